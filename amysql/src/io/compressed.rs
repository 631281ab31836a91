//! The state a compressed connection adds to its packet stream (see
//! `protocol/compressed.rs` for the framing).
//!
//! The socket's bytes land in `rbuf` here; each complete compressed packet is checked and
//! decompressed into the packet stream's own receive buffer, so everything above (packet
//! framing, sequence checks, the in-place row path) reads the ordinary stream unchanged.
//! Writes go the other way: at flush, the ordinary packets queued in the stream's send
//! buffer are compressed into `wbuf` here, which is what reaches the socket.

use bytes::BytesMut;

use crate::error::Result;
use crate::protocol::compressed::Codec;

pub(crate) struct CompressedIo {
    pub(crate) codec: Codec,
    /// Compressed bytes read from the socket, not yet decompressed.
    pub(crate) rbuf: BytesMut,
    pub(crate) last_read_filled: bool,
    /// Compressed bytes to write; `wpos` is how much of it has been written.
    pub(crate) wbuf: Vec<u8>,
    pub(crate) wpos: usize,
    /// The compressed sequence id of the next packet read or written: one counter for
    /// both directions, as the server continues from the id it last read.
    pub(crate) seq: u8,
    /// Whether the client is answering the server (an authentication round, LOCAL INFILE
    /// data) rather than at the start of a command: see `Codec::compress_packets`.
    pub(crate) continuing: bool,
}

impl CompressedIo {
    /// Compression from the next command on.
    pub(crate) fn new(codec: Codec) -> Self {
        CompressedIo {
            codec,
            rbuf: BytesMut::with_capacity(16 * 1024),
            last_read_filled: false,
            wbuf: Vec::new(),
            wpos: 0,
            seq: 0,
            continuing: false,
        }
    }

    /// Compresses ordinary packets into the send queue. Synchronous: a flush cancelled
    /// after this loses nothing, the compressed bytes stay queued.
    pub(crate) fn queue(&mut self, plain: &[u8]) -> Result<()> {
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
            if self.wbuf.capacity() > 4 * 1024 * 1024 {
                self.wbuf = Vec::new();
            }
        }
        self.codec.compress_packets(plain, &mut self.seq, &mut self.continuing, &mut self.wbuf)
    }

    pub(crate) fn unflushed(&self) -> usize {
        self.wbuf.len() - self.wpos
    }
}
