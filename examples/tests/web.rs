//! Drives the `web` example over real HTTP against the private MariaDB.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use amysql_tests::{server, unique_name};

struct Web {
    child: Child,
    addr: String,
}

impl Drop for Web {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_web() -> Web {
    let db = unique_name("web");
    server().cli(&format!("CREATE DATABASE {db}")).unwrap();
    let url = server().url().replacen("/test", &format!("/{db}"), 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_web"))
        .env("DATABASE_URL", url)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line}")).to_string();
    Web { child, addr }
}

/// A minimal HTTP/1.1 exchange: returns (status, body).
fn http(web: &Web, method: &str, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(&web.addr).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp.split(' ').nth(1).unwrap().parse().unwrap();
    let json = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(json).unwrap_or(serde_json::Value::Null))
}

#[test]
fn users_and_transfers_over_http() {
    let web = start_web();

    let (status, users) = http(&web, "GET", "/users", None);
    assert_eq!(status, 200);
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[1]["email"], serde_json::Value::Null);

    let (status, user) = http(&web, "GET", "/users/1", None);
    assert_eq!((status, user["name"].as_str()), (200, Some("alice")));
    let (status, _) = http(&web, "GET", "/users/999", None);
    assert_eq!(status, 404);

    let (status, created) = http(&web, "POST", "/users", Some(r#"{"name":"carol","email":"c@example.com"}"#));
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let (status, user) = http(&web, "GET", &format!("/users/{id}"), None);
    assert_eq!((status, user["email"].as_str()), (200, Some("c@example.com")));
    let (status, _) = http(&web, "POST", "/users", Some(r#"{"name":"carol","email":null}"#));
    assert_eq!(status, 409, "duplicate name");

    let (status, _) = http(&web, "POST", "/transfers", Some(r#"{"from":1,"to":2,"amount":"30.25"}"#));
    assert_eq!(status, 200);
    assert_eq!(http(&web, "GET", "/accounts/1", None).1["balance"], "69.75");
    assert_eq!(http(&web, "GET", "/accounts/2", None).1["balance"], "50.25");

    let (status, err) = http(&web, "POST", "/transfers", Some(r#"{"from":2,"to":1,"amount":"1000.00"}"#));
    assert_eq!(status, 409, "{err}");
    assert_eq!(http(&web, "GET", "/accounts/1", None).1["balance"], "69.75");
    assert_eq!(http(&web, "GET", "/accounts/2", None).1["balance"], "50.25");

    let (status, _) = http(&web, "POST", "/transfers", Some(r#"{"from":1,"to":77,"amount":"1.00"}"#));
    assert_eq!(status, 404);
    assert_eq!(http(&web, "GET", "/accounts/1", None).1["balance"], "69.75");
    let (status, _) = http(&web, "POST", "/transfers", Some(r#"{"from":1,"to":2,"amount":"-5"}"#));
    assert_eq!(status, 400);
}
