//! Command packets (`COM_*`). Each command starts a new sequence at id 0.

use super::buf::put_lenenc_bytes;
use super::constants::{capability as cap, command};
use super::packet::{begin_packet, finish_packet};

/// Starts a command packet whose payload the caller writes in place (used by COM_QUERY so
/// that `%s` formatting writes straight into the send buffer). Returns the start offset
/// to hand to [`finish_command`].
pub fn begin_command(out: &mut Vec<u8>, cmd: u8) -> usize {
    let start = begin_packet(out);
    out.push(cmd);
    start
}

/// Completes a command begun with [`begin_command`]; returns the next sequence id.
pub fn finish_command(out: &mut Vec<u8>, start: usize) -> u8 {
    let mut seq = 0;
    finish_packet(out, start, &mut seq);
    seq
}

/// A command with a fixed argument.
pub fn simple_command(out: &mut Vec<u8>, cmd: u8, arg: &[u8]) -> u8 {
    let start = begin_command(out, cmd);
    out.extend_from_slice(arg);
    finish_command(out, start)
}

pub fn com_query(out: &mut Vec<u8>, sql: &[u8]) -> u8 {
    simple_command(out, command::QUERY, sql)
}

pub fn com_ping(out: &mut Vec<u8>) -> u8 {
    simple_command(out, command::PING, &[])
}

pub fn com_quit(out: &mut Vec<u8>) -> u8 {
    simple_command(out, command::QUIT, &[])
}

pub fn com_init_db(out: &mut Vec<u8>, db: &str) -> u8 {
    simple_command(out, command::INIT_DB, db.as_bytes())
}

pub fn com_reset_connection(out: &mut Vec<u8>) -> u8 {
    simple_command(out, command::RESET_CONNECTION, &[])
}

pub fn com_statistics(out: &mut Vec<u8>) -> u8 {
    simple_command(out, command::STATISTICS, &[])
}

pub fn com_process_kill(out: &mut Vec<u8>, thread_id: u32) -> u8 {
    simple_command(out, command::PROCESS_KILL, &thread_id.to_le_bytes())
}

/// What goes into COM_CHANGE_USER.
#[derive(Debug, Clone)]
pub struct ChangeUser<'a> {
    pub username: &'a str,
    pub auth_response: &'a [u8],
    pub database: Option<&'a str>,
    pub charset: u16,
    pub auth_plugin: &'a str,
    pub attributes: &'a [(&'a str, &'a str)],
}

pub fn com_change_user(out: &mut Vec<u8>, cu: &ChangeUser<'_>, capabilities: u32) -> u8 {
    let start = begin_command(out, command::CHANGE_USER);
    out.extend_from_slice(cu.username.as_bytes());
    out.push(0);
    if capabilities & cap::SECURE_CONNECTION != 0 {
        let n = cu.auth_response.len().min(255);
        out.push(n as u8);
        out.extend_from_slice(&cu.auth_response[..n]);
    } else {
        out.extend_from_slice(cu.auth_response);
        out.push(0);
    }
    out.extend_from_slice(cu.database.unwrap_or("").as_bytes());
    out.push(0);
    out.extend_from_slice(&cu.charset.to_le_bytes());
    if capabilities & cap::PLUGIN_AUTH != 0 {
        out.extend_from_slice(cu.auth_plugin.as_bytes());
        out.push(0);
    }
    if capabilities & cap::CONNECT_ATTRS != 0 {
        let mut attrs = Vec::new();
        for (k, v) in cu.attributes {
            put_lenenc_bytes(&mut attrs, k.as_bytes());
            put_lenenc_bytes(&mut attrs, v.as_bytes());
        }
        put_lenenc_bytes(out, &attrs);
    }
    finish_command(out, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_bytes() {
        let mut out = Vec::new();
        assert_eq!(com_query(&mut out, b"SELECT 1"), 1);
        assert_eq!(out, b"\x09\x00\x00\x00\x03SELECT 1");
    }

    #[test]
    fn fixed_commands() {
        let mut out = Vec::new();
        com_ping(&mut out);
        com_quit(&mut out);
        com_reset_connection(&mut out);
        com_init_db(&mut out, "db");
        com_process_kill(&mut out, 0x01020304);
        assert_eq!(
            out,
            b"\x01\x00\x00\x00\x0e\x01\x00\x00\x00\x01\x01\x00\x00\x00\x1f\x03\x00\x00\x00\x02db\x05\x00\x00\x00\x0c\x04\x03\x02\x01"
        );
    }

    #[test]
    fn change_user_bytes() {
        let mut out = Vec::new();
        let caps = cap::SECURE_CONNECTION | cap::PLUGIN_AUTH;
        com_change_user(
            &mut out,
            &ChangeUser {
                username: "u",
                auth_response: &[9, 9],
                database: Some("d"),
                charset: 45,
                auth_plugin: "p",
                attributes: &[],
            },
            caps,
        );
        assert_eq!(out, b"\x0c\x00\x00\x00\x11u\x00\x02\x09\x09d\x00\x2d\x00p\x00");
    }
}
