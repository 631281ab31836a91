//! Buffered packet I/O over a [`Stream`].
//!
//! Both directions are cancel-safe at packet granularity: a read only consumes bytes from
//! the receive buffer once a whole logical packet is there, and the send buffer is
//! advanced by exactly what was written. A future dropped mid-read or mid-write therefore
//! leaves the buffers consistent, and the connection can finish the job later.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::compressed::CompressedIo;
use super::stream::Stream;
use crate::error::{client_code, Error, Result};
use crate::protocol::compressed::{find_compressed_frame, Codec};
use crate::protocol::packet::{find_frame, join_chunks, Frame, HEADER_LEN};

/// Default for the largest logical packet the client accepts from the server
/// (`ConnectOptions::max_incoming_packet`): one row, column definition or OK packet. Large
/// enough for any row of a server at MariaDB's default max_allowed_packet (16 MiB) and
/// MySQL 8's (64 MiB); small enough that a hostile length costs at most this much memory.
pub const DEFAULT_MAX_INCOMING_PACKET: usize = 64 << 20;

/// Room made in the receive buffer when it runs low: large, so that a big result is read
/// with few syscalls (measured: 64 KiB → 256 KiB cut client CPU per scanned row by ~7%).
const READ_CHUNK: usize = 256 * 1024;
/// A new connection starts small: most only ever see short responses.
const INITIAL_READ_BUFFER: usize = 16 * 1024;

pub struct PacketStream {
    pub(crate) stream: Stream,
    rbuf: BytesMut,
    /// Encoded packets waiting to be written; `wpos` is how much of it has been written.
    wbuf: Vec<u8>,
    wpos: usize,
    /// Whether the last socket read filled the buffer's free space (more was waiting).
    last_read_filled: bool,
    /// Sequence id expected on the next packet read, and used on the next write. Every
    /// packet read is checked against it: an id out of step means a lost, repeated or
    /// corrupted packet, and nothing read after it could be trusted.
    pub(crate) seq: u8,
    /// Largest logical packet accepted from the server.
    pub(crate) max_incoming: usize,
    /// Bound on each wait for server data (restarted whenever bytes arrive).
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    /// Set once compression is negotiated: the socket then carries compressed packets,
    /// and `rbuf`/`wbuf` hold the ordinary stream on this side of them.
    compressed: Option<Box<CompressedIo>>,
}

impl PacketStream {
    pub fn new(stream: Stream) -> Self {
        PacketStream {
            stream,
            rbuf: BytesMut::with_capacity(INITIAL_READ_BUFFER),
            wbuf: Vec::new(),
            wpos: 0,
            last_read_filled: false,
            seq: 0,
            max_incoming: DEFAULT_MAX_INCOMING_PACKET,
            read_timeout: None,
            write_timeout: None,
            compressed: None,
        }
    }

    /// Switches to the compressed protocol: called once authentication has succeeded,
    /// with nothing buffered (servers compress from the first command on: the whole
    /// connection phase, its OK included, is uncompressed, as libmysqlclient expects).
    pub(crate) fn enable_compression(&mut self, codec: Codec) {
        let c = CompressedIo::new(codec);
        self.compressed = Some(Box::new(c));
    }

    /// The negotiated compression, if any.
    pub fn compression(&self) -> Option<crate::protocol::compressed::Compression> {
        self.compressed.as_ref().map(|c| c.codec.algorithm())
    }

    /// Bytes received but not yet consumed (non-zero only mid-result or on a protocol error).
    pub fn buffered(&self) -> usize {
        self.rbuf.len() + self.compressed.as_ref().map_or(0, |c| c.rbuf.len())
    }

    /// Bytes queued but not yet written.
    pub fn unflushed(&self) -> usize {
        self.wbuf.len() - self.wpos + self.compressed.as_ref().map_or(0, |c| c.unflushed())
    }

    /// The send buffer, for encoders to append framed packets to. Call [`flush`] after.
    pub fn write_buf(&mut self) -> &mut Vec<u8> {
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
            // Don't keep a 20 MiB buffer alive because of one large query.
            if self.wbuf.capacity() > 4 * 1024 * 1024 {
                self.wbuf = Vec::new();
            }
        }
        &mut self.wbuf
    }

    /// Writes everything queued. Cancel-safe: what is not yet written stays queued.
    pub async fn flush(&mut self) -> Result<()> {
        let fut = async {
            if let Some(c) = self.compressed.as_deref_mut() {
                if self.wpos < self.wbuf.len() {
                    c.queue(&self.wbuf[self.wpos..])?;
                    self.wpos = self.wbuf.len();
                    // The server numbers its answer from the compressed id it read last.
                    self.seq = c.seq;
                }
                write_all(&mut self.stream, &c.wbuf, &mut c.wpos).await?;
            } else {
                write_all(&mut self.stream, &self.wbuf, &mut self.wpos).await?;
            }
            self.stream.flush().await.map_err(|e| Error::io(client_code::SERVER_GONE, "flushing to the server", e))
        };
        match self.write_timeout {
            Some(t) => tokio::time::timeout(t, fut).await.map_err(|_| Error::Timeout { what: "write", after: t })?,
            None => fut.await,
        }
    }

    /// Reads one logical packet (chunks of 16 MiB joined) and returns its payload.
    /// `read_timeout` bounds each wait for bytes, not the whole packet: a large row that
    /// keeps arriving is not cut off.
    pub async fn read_packet(&mut self) -> Result<Bytes> {
        loop {
            if let Some(frame) = find_frame(&self.rbuf, self.max_incoming, self.seq)? {
                // Complete packet present: consume it in one synchronous step.
                self.seq = frame.last_seq.wrapping_add(1);
                let wire = self.rbuf.split_to(frame.wire_len);
                return Ok(if frame.chunks == 1 {
                    wire.freeze().slice(HEADER_LEN..)
                } else {
                    Bytes::from(join_chunks(&wire, &frame))
                });
            }
            self.fill().await?;
        }
    }

    /// Waits for more bytes from the server and appends them to the receive buffer.
    /// Cancel-safe: tokio's `read_buf` either appends what it read or reads nothing.
    async fn fill(&mut self) -> Result<()> {
        if self.compressed.is_some() {
            // Boxed: inline, the compressed path's larger future would be carried (and
            // moved) by every read of an uncompressed connection too.
            return Box::pin(self.fill_compressed()).await;
        }
        read_more(&mut self.stream, &mut self.rbuf, &mut self.last_read_filled, self.read_timeout).await
    }

    /// `fill` on a compressed connection: appends the next compressed packet's contents
    /// to the receive buffer, reading from the socket until one is complete. Decompressing
    /// and consuming it is one synchronous step, so this is as cancel-safe as `fill`.
    #[cold]
    async fn fill_compressed(&mut self) -> Result<()> {
        // What one compressed packet may add: the client's packet limit (plus its
        // header), but at least 1 MiB, the most servers pack small packets into one
        // (net_buffer_length). The 3-byte length fields cap it at 16 MiB anyway.
        let max_plain = self.max_incoming.saturating_add(HEADER_LEN).max(1 << 20);
        let Some(c) = self.compressed.as_deref_mut() else { return Ok(()) };
        loop {
            if let Some(frame) = find_compressed_frame(&c.rbuf, max_plain, c.seq)? {
                let at_boundary = self.rbuf.is_empty();
                c.codec.decompress(&c.rbuf, &frame, &mut self.rbuf)?;
                c.rbuf.advance(frame.wire_len);
                // A server restarts its inner numbering at the compressed id whenever it
                // flushes (between the result sets of a multi-statement, for one), and a
                // flush ends a compressed packet: so a compressed packet that starts with
                // a whole packet may number it either way. Mid-packet, or any other
                // number, the ordinary check refuses it.
                if at_boundary && self.rbuf.len() >= HEADER_LEN && self.rbuf[3] == frame.seq {
                    self.seq = frame.seq;
                }
                c.seq = frame.seq.wrapping_add(1);
                c.continuing = false;
                return Ok(());
            }
            read_more(&mut self.stream, &mut c.rbuf, &mut c.last_read_filled, self.read_timeout).await?;
        }
    }

    /// The next logical packet if it is complete in the buffer and a single chunk: its
    /// payload and frame, without consuming it. The typed row path decodes straight from
    /// this slice (no `Bytes` handle, no await per row); [`consume`] then drops it.
    pub fn peek_buffered(&self) -> Result<Option<(&[u8], Frame)>> {
        match find_frame(&self.rbuf, self.max_incoming, self.seq)? {
            Some(frame) if frame.chunks == 1 => Ok(Some((&self.rbuf[HEADER_LEN..frame.wire_len], frame))),
            _ => Ok(None),
        }
    }

    /// Consumes the packet [`peek_buffered`] returned.
    pub fn consume(&mut self, frame: &Frame) {
        self.seq = frame.last_seq.wrapping_add(1);
        self.rbuf.advance(frame.wire_len);
    }

    /// Reads any bytes already available without waiting, to notice a server that closed
    /// an idle connection. Returns false when the socket is closed or holds unexpected data.
    pub fn probe_idle(&mut self) -> bool {
        use std::task::{Context, Poll};
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut tmp = [0u8; 64];
        let mut rb = tokio::io::ReadBuf::new(&mut tmp);
        match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut self.stream), &mut cx, &mut rb) {
            Poll::Pending => self.buffered() == 0,
            // EOF or an error packet (e.g. the server's idle-timeout notice): not usable.
            Poll::Ready(_) => false,
        }
    }

    /// Shuts the write side down (used after COM_QUIT).
    pub async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// Writes `buf[*pos..]`, advancing `pos` by exactly what was written (cancel-safe).
#[inline]
async fn write_all(stream: &mut Stream, buf: &[u8], pos: &mut usize) -> Result<()> {
    while *pos < buf.len() {
        let n = stream
            .write(&buf[*pos..])
            .await
            .map_err(|e| Error::io(client_code::SERVER_GONE, "writing to the server", e))?;
        if n == 0 {
            return Err(Error::Io {
                code: client_code::SERVER_GONE,
                message: "server closed the connection".into(),
                source: None,
            });
        }
        *pos += n;
    }
    Ok(())
}

/// Waits for more bytes from the server and appends them to `buf`.
/// Cancel-safe: tokio's `read_buf` either appends what it read or reads nothing.
#[inline]
async fn read_more(
    stream: &mut Stream,
    buf: &mut BytesMut,
    last_read_filled: &mut bool,
    timeout: Option<Duration>,
) -> Result<()> {
    let spare = buf.capacity() - buf.len();
    if spare < INITIAL_READ_BUFFER / 2 {
        // Take a large step only while the server is streaming faster than we
        // read (the last read filled all the room it had); a connection that
        // sees small responses keeps a small buffer.
        buf.reserve(if *last_read_filled { READ_CHUNK } else { INITIAL_READ_BUFFER });
    }
    let room = buf.capacity() - buf.len();
    let read = stream.read_buf(buf);
    let n = match timeout {
        Some(t) => tokio::time::timeout(t, read).await.map_err(|_| Error::Timeout { what: "read", after: t })?,
        None => read.await,
    }
    .map_err(|e| Error::io(client_code::SERVER_LOST, "reading from the server", e))?;
    *last_read_filled = n == room;
    if n == 0 {
        return Err(Error::Io {
            code: client_code::SERVER_LOST,
            message: "lost connection to server (the server closed the connection)".into(),
            source: None,
        });
    }
    Ok(())
}
