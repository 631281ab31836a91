//! Tests for `params.rs`: every parameter-set shape through the formatter.

use super::*;
use crate::value::{format_query, SqlTemplate, Value};
use std::collections::{BTreeMap, HashMap};

fn fmt<P: Params + ?Sized>(sql: &str, params: &P) -> Result<String> {
    let mut out = Vec::new();
    format_query(sql, params, &FormatContext::default(), &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

fn assert_send_sync<T: Send + Sync>(_: &T) {}

#[test]
fn tuples_up_to_sixteen() {
    assert_eq!(fmt("%s", &(1,)).unwrap(), "1");
    let p = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "16");
    let sql = vec!["%s"; 16].join(",");
    assert_eq!(fmt(&sql, &p).unwrap(), "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,'16'");
    assert_eq!(p.positional_len(), Some(16));
    assert!(p.write_positional(16, &mut Vec::new(), &FormatContext::default()).is_err());
}

#[test]
fn sequences_as_parameter_sets() {
    let values = vec![Value::Int(1), Value::Text("a".into()), Value::Null];
    assert_eq!(fmt("%s,%s,%s", &values).unwrap(), "1,'a',NULL");
    assert_eq!(fmt("%s,%s,%s", &values[..]).unwrap(), "1,'a',NULL");
    assert_eq!(fmt("%s,%s", &[Value::Int(1), Value::Double(2.0)]).unwrap(), "1,2.0e0");
    assert_eq!(fmt("%s,%s", &vec![1, 2]).unwrap(), "1,2");
    // As the whole set a byte string is one parameter (PyMySQL treats bytes the same).
    assert_eq!(fmt("%s", &b"ab".to_vec()).unwrap(), "_binary'ab'");
    assert_eq!(fmt("%s", b"ab").unwrap(), "_binary'ab'");
    assert_eq!(fmt("%s %s", b"ab").unwrap_err().to_string(), "not enough parameters for %s placeholder #2 (1 given)");
    assert!(b"ab"[..].write_positional(1, &mut Vec::new(), &FormatContext::default()).is_err());
    // A list inside a set is one IN-list value.
    assert_eq!(fmt("IN %s", &(vec![1, 2],)).unwrap(), "IN (1,2)");
}

#[test]
fn params_macro_positional() {
    let name = String::from("bob");
    let p = params![5, name, 1.5, None::<i32>];
    assert_eq!(fmt("%s %s %s %s", &p).unwrap(), "5 'bob' 1.5e0 NULL");
    assert_send_sync(&p);
    // Temporaries live as long as the `let`: array, cast and borrow extend them.
    let q = params![name.to_uppercase(), format!("{}!", 1)];
    assert_eq!(fmt("%s %s", &q).unwrap(), "'BOB' '1!'");
    assert_eq!(fmt("%s", &params![7,]).unwrap(), "7");
    let many = params![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
    assert_eq!(many.positional_len(), Some(17));
}

#[test]
fn params_macro_named() {
    let id = 9u64;
    let p = params! {"id" => id, "name" => "x".to_string(),};
    assert_send_sync(&p);
    assert_eq!(fmt("%(name)s/%(id)s", &p).unwrap(), "'x'/9");
    assert_eq!(p.named_len(), 2);
    assert_eq!(p.named_keys(), vec!["id", "name"]);
    assert_eq!(p.positional_len(), None);
    assert!(p.write_positional(0, &mut Vec::new(), &FormatContext::default()).is_err());
    assert!(params! {}.is_empty_params());
}

#[test]
fn maps() {
    let mut h: HashMap<&str, Value> = HashMap::new();
    h.insert("a", Value::Int(1));
    h.insert("b", Value::Text("t".into()));
    assert_eq!(fmt("%(b)s %(a)s", &h).unwrap(), "'t' 1");
    let mut b = BTreeMap::new();
    b.insert(String::from("z"), 1.5f32);
    b.insert(String::from("unused"), 0.0);
    assert_eq!(fmt("%(z)s", &b).unwrap_err().to_string(), "named parameter `unused` is not used by the query");
    b.remove("unused");
    assert_eq!(fmt("%(z)s", &b).unwrap(), "1.5e0");
    let empty: HashMap<String, i32> = HashMap::new();
    assert_eq!(fmt("SELECT 1", &empty).unwrap(), "SELECT 1");
}

#[test]
fn references_delegate() {
    let p = (1, 2);
    let r = &&p;
    assert_eq!(fmt("%s+%s", r).unwrap(), "1+2");
    assert!(<&() as Params>::is_empty_params(&&()));
    let named = params! {"a" => 1};
    assert_eq!(<&NamedParams<'_, 1> as Params>::named_keys(&&named), vec!["a"]);
}

/// `executemany`-style use: a `Vec` of parameter sets, each formatted with one template.
#[test]
fn vec_of_param_sets() {
    let rows: Vec<(i32, &str)> = vec![(1, "x"), (2, "y")];
    let t = SqlTemplate::parse("(%s,%s)").unwrap();
    let mut out = Vec::new();
    for row in &rows {
        t.format_into(row, &FormatContext::default(), &mut out).unwrap();
    }
    assert_eq!(out, b"(1,'x')(2,'y')");
}
