//! A corrupting TCP proxy between a client and a real server: it forwards both
//! directions, and can change one packet of what the server sends (its sequence id, its
//! first payload byte, or its length) once a test arms it. With it a test shows what one
//! bad byte on the network does to a connection talking to real MariaDB.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to the chosen server packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Replace its sequence id.
    Seq(u8),
    /// Replace the first byte of its payload.
    FirstByte(u8),
    /// Add this (wrapping, 24-bit) to its length field.
    Length(i32),
}

/// One armed mutation: applied to the `skip`-th server packet (0-based) after arming.
#[derive(Debug, Clone, Copy)]
struct Armed {
    skip: usize,
    mutation: Mutation,
}

/// A running proxy on 127.0.0.1 (ephemeral port) in front of `target`.
pub struct Proxy {
    addr: SocketAddr,
    armed: Arc<Mutex<Option<Armed>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let armed: Arc<Mutex<Option<Armed>>> = Arc::default();
        let shared = Arc::clone(&armed);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(target).await else { continue };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                tokio::spawn(relay(client, server, Arc::clone(&shared)));
            }
        });
        Proxy { addr, armed, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes the `skip`-th packet the server sends from now on (0 = the next one).
    pub fn arm(&self, skip: usize, mutation: Mutation) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Armed { skip, mutation });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, server: TcpStream, armed: Arc<Mutex<Option<Armed>>>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
        let _ = sw.shutdown().await;
    });
    // Server to client, packet by packet, so one packet can be changed.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    'outer: loop {
        let n = match sr.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut out = Vec::new();
        while buf.len() >= 4 {
            let len = usize::from(buf[0]) | usize::from(buf[1]) << 8 | usize::from(buf[2]) << 16;
            if buf.len() < 4 + len {
                break;
            }
            let mut packet: Vec<u8> = buf.drain(..4 + len).collect();
            mutate(&armed, &mut packet);
            out.extend_from_slice(&packet);
        }
        if !out.is_empty() && cw.write_all(&out).await.is_err() {
            break 'outer;
        }
    }
    let _ = cw.shutdown().await;
    upstream.abort();
}

fn mutate(armed: &Mutex<Option<Armed>>, packet: &mut [u8]) {
    let mut slot = armed.lock().unwrap_or_else(|e| e.into_inner());
    let Some(a) = slot.as_mut() else { return };
    if a.skip > 0 {
        a.skip -= 1;
        return;
    }
    match a.mutation {
        Mutation::Seq(s) => packet[3] = s,
        Mutation::FirstByte(b) => {
            if packet.len() > 4 {
                packet[4] = b;
            }
        }
        Mutation::Length(d) => {
            let len = i64::from(packet[0]) | i64::from(packet[1]) << 8 | i64::from(packet[2]) << 16;
            let new = (len + i64::from(d)).rem_euclid(1 << 24) as u32;
            packet[..3].copy_from_slice(&new.to_le_bytes()[..3]);
        }
    }
    *slot = None;
}
