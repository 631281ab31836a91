fn main() {
    let _ = amysql::query!("UPDATE users SET email = %(email)s WHERE id = %(id)s", id = 7);
}
