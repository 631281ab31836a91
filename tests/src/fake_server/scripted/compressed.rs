//! A scripted server that speaks the compressed protocol after the handshake response,
//! with zlib or zstd (MySQL 8.0.18+'s CLIENT_ZSTD_COMPRESSION_ALGORITHM, which MariaDB
//! lacks), from the first command on. It plays an ordinary [`Script`]: every answer is cut into compressed packets
//! of at most 16 KiB (as a server's net buffer would), numbered on from the client's
//! compressed id; a [`Mangle`] corrupts the first compressed packet of each command's
//! answer. It records the handshake response and the commands it decompressed.
//!
//! Written with flate2/zstd directly, independently of amysql's codec.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::{Reply, Script};

/// CLIENT_ZSTD_COMPRESSION_ALGORITHM.
pub const ZSTD_CAP: u32 = 1 << 26;
/// CLIENT_COMPRESS.
pub const ZLIB_CAP: u32 = 1 << 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    Zlib,
    Zstd,
}

/// A corruption of the first compressed packet of each command's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangle {
    None,
    /// Replace its compressed sequence id.
    SeqId(u8),
    /// Replace the uncompressed length its header announces.
    UncompressedLen(usize),
    /// Flip the bits of the byte at this offset (header included).
    FlipByte(usize),
    /// Announce this many more compressed bytes than are sent.
    CompressedLenPlus(usize),
}

#[derive(Default)]
struct Record {
    handshake: Vec<Vec<u8>>,
    commands: Vec<Vec<u8>>,
    wire_in: usize,
    wire_out: usize,
}

/// A running compressed scripted server (one script for every connection).
pub struct CompressedServer {
    addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    task: JoinHandle<()>,
}

fn lock(m: &Mutex<Record>) -> std::sync::MutexGuard<'_, Record> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl CompressedServer {
    /// Serves `script` with `algo`; the greeting is given the algorithm's capability.
    pub async fn start(script: Script, algo: Algo) -> CompressedServer {
        CompressedServer::start_mangled(script, algo, Mangle::None).await
    }

    pub async fn start_mangled(script: Script, algo: Algo, mangle: Mangle) -> CompressedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let record = Arc::new(Mutex::new(Record::default()));
        let rec = Arc::clone(&record);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (script, rec) = (script.clone(), Arc::clone(&rec));
                tokio::spawn(async move {
                    let _ = serve(tcp, script, algo, mangle, rec).await;
                });
            }
        });
        CompressedServer { addr, record, task }
    }

    pub fn options(&self) -> amysql::ConnectOptions {
        amysql::ConnectOptions::new()
            .host(self.addr.ip().to_string())
            .port(self.addr.port())
            .user("scripted")
            .password("pw")
    }

    /// The connection-phase packets received (header included): the handshake
    /// response, then any authentication answers, for every connection.
    pub fn handshake_responses(&self) -> Vec<Vec<u8>> {
        lock(&self.record).handshake.clone()
    }

    /// Payloads of the packets decompressed after authentication.
    pub fn commands(&self) -> Vec<Vec<u8>> {
        lock(&self.record).commands.clone()
    }

    /// Compressed bytes received (after authentication).
    pub fn wire_bytes_received(&self) -> usize {
        lock(&self.record).wire_in
    }

    /// Compressed bytes sent (after authentication).
    pub fn wire_bytes_sent(&self) -> usize {
        lock(&self.record).wire_out
    }
}

impl Drop for CompressedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The greeting with the capability bit of `algo` set (the 2-byte halves at fixed spots
/// after the version string).
fn with_capability(greeting: &[u8], algo: Algo) -> Vec<u8> {
    let mut g = greeting.to_vec();
    let bit = if algo == Algo::Zlib { ZLIB_CAP } else { ZSTD_CAP };
    let nul = 5 + g[5..].iter().position(|&b| b == 0).expect("version string");
    let low = nul + 1 + 4 + 8 + 1;
    let high = low + 2 + 1 + 2;
    let mut caps = u32::from(u16::from_le_bytes([g[low], g[low + 1]]))
        | u32::from(u16::from_le_bytes([g[high], g[high + 1]])) << 16;
    caps |= bit;
    g[low..low + 2].copy_from_slice(&(caps as u16).to_le_bytes());
    g[high..high + 2].copy_from_slice(&((caps >> 16) as u16).to_le_bytes());
    g
}

fn compress(algo: Algo, data: &[u8]) -> Vec<u8> {
    match algo {
        Algo::Zlib => {
            use std::io::Write;
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).expect("zlib");
            e.finish().expect("zlib")
        }
        Algo::Zstd => zstd::bulk::compress(data, 3).expect("zstd"),
    }
}

fn decompress(algo: Algo, data: &[u8], len: usize) -> Vec<u8> {
    match algo {
        Algo::Zlib => {
            use std::io::Read;
            let mut out = Vec::with_capacity(len);
            flate2::read::ZlibDecoder::new(data).read_to_end(&mut out).expect("zlib from the client");
            out
        }
        Algo::Zstd => zstd::bulk::decompress(data, len).expect("zstd from the client"),
    }
}

/// `plain` as compressed packets of at most 16 KiB each, ids from `*seq`.
fn pack(algo: Algo, plain: &[u8], seq: &mut u8, mangle: Mangle) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, piece) in plain.chunks(16 * 1024).enumerate() {
        let (body, ulen) = if piece.len() >= 50 { (compress(algo, piece), piece.len()) } else { (piece.to_vec(), 0) };
        let mut clen = body.len();
        let mut id = *seq;
        let mut ulen = ulen;
        if i == 0 {
            match mangle {
                Mangle::SeqId(s) => id = s,
                Mangle::UncompressedLen(n) => ulen = n,
                Mangle::CompressedLenPlus(n) => clen += n,
                _ => {}
            }
        }
        let start = out.len();
        out.extend_from_slice(&(clen as u32).to_le_bytes()[..3]);
        out.push(id);
        out.extend_from_slice(&(ulen as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&body);
        if let (0, Mangle::FlipByte(at)) = (i, mangle) {
            if let Some(b) = out.get_mut(start + at) {
                *b ^= 0xff;
            }
        }
        *seq = seq.wrapping_add(1);
    }
    out
}

/// The client's next compressed packet, decompressed, and its id.
async fn read_compressed(r: &mut OwnedReadHalf, algo: Algo, rec: &Mutex<Record>) -> Option<(Vec<u8>, u8)> {
    let mut h = [0u8; 7];
    r.read_exact(&mut h).await.ok()?;
    let clen = usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16;
    let ulen = usize::from(h[4]) | usize::from(h[5]) << 8 | usize::from(h[6]) << 16;
    let mut body = vec![0u8; clen];
    r.read_exact(&mut body).await.ok()?;
    lock(rec).wire_in += 7 + clen;
    Some((if ulen == 0 { body } else { decompress(algo, &body, ulen) }, h[3]))
}

/// Reads compressed packets until `plain` holds a whole logical packet; returns its payload.
async fn next_command(
    r: &mut OwnedReadHalf,
    algo: Algo,
    plain: &mut Vec<u8>,
    seq: &mut u8,
    rec: &Mutex<Record>,
) -> Option<Vec<u8>> {
    loop {
        let mut pos = 0;
        let mut payload = Vec::new();
        while plain.len() >= pos + 4 {
            let len = usize::from(plain[pos]) | usize::from(plain[pos + 1]) << 8 | usize::from(plain[pos + 2]) << 16;
            if plain.len() < pos + 4 + len {
                break;
            }
            payload.extend_from_slice(&plain[pos + 4..pos + 4 + len]);
            pos += 4 + len;
            if len < 0xff_ffff {
                plain.drain(..pos);
                return Some(payload);
            }
        }
        let (more, id) = read_compressed(r, algo, rec).await?;
        *seq = id.wrapping_add(1);
        plain.extend_from_slice(&more);
    }
}

async fn send(w: &mut OwnedWriteHalf, bytes: &[u8], rec: &Mutex<Record>) -> io::Result<()> {
    lock(rec).wire_out += bytes.len();
    w.write_all(bytes).await
}

async fn serve(tcp: TcpStream, script: Script, algo: Algo, mangle: Mangle, rec: Arc<Mutex<Record>>) -> io::Result<()> {
    let (mut r, mut w) = tcp.into_split();
    w.write_all(&with_capability(script.greeting(), algo)).await?;
    // The connection phase is uncompressed, its last OK included.
    for answer in script.auth() {
        let mut h = [0u8; 4];
        r.read_exact(&mut h).await?;
        let len = usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16;
        let mut packet = h.to_vec();
        packet.resize(4 + len, 0);
        r.read_exact(&mut packet[4..]).await?;
        lock(&rec).handshake.push(packet);
        w.write_all(answer).await?;
    }
    let mut seq = 0;
    let mut plain = Vec::new();
    for reply in script.replies() {
        loop {
            seq = 0;
            let Some(cmd) = next_command(&mut r, algo, &mut plain, &mut seq, &rec).await else { return Ok(()) };
            lock(&rec).commands.push(cmd.clone());
            match cmd.first() {
                Some(0x01) => return Ok(()),
                Some(0x18 | 0x19) => continue,
                _ => break,
            }
        }
        let raw = match reply {
            Reply::Send(raw) | Reply::Slowly { raw, .. } => raw,
            Reply::Stall => {
                while next_command(&mut r, algo, &mut plain, &mut seq, &rec).await.is_some() {}
                return Ok(());
            }
        };
        let bytes = pack(algo, raw, &mut seq, mangle);
        send(&mut w, &bytes, &rec).await?;
    }
    // Read (and record) until the client leaves.
    while let Some(cmd) = next_command(&mut r, algo, &mut plain, &mut seq, &rec).await {
        lock(&rec).commands.push(cmd);
    }
    Ok(())
}
