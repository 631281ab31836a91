//! Packet framing: a 3-byte little-endian payload length and a 1-byte sequence id in
//! front of every payload. Payloads of 16 MiB - 1 bytes or more are split into
//! maximum-size chunks followed by a shorter (possibly empty) one.

use super::constants::MAX_PAYLOAD_LEN;
use crate::error::{Error, Result};

/// The 4-byte header in front of each physical packet.
pub const HEADER_LEN: usize = 4;

/// Starts a packet in `out`: reserves the header, returns where it starts. Write the payload
/// after it, then call [`finish_packet`]. Writing in place avoids copying large queries.
pub fn begin_packet(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    start
}

/// Fills in the header(s) of the packet begun at `start`, splitting the payload into
/// 16 MiB chunks when it is that large. `seq` is the sequence id of the first chunk and is
/// advanced past the last one.
pub fn finish_packet(out: &mut Vec<u8>, start: usize, seq: &mut u8) {
    let payload_len = out.len() - start - HEADER_LEN;
    if payload_len < MAX_PAYLOAD_LEN {
        write_header(&mut out[start..start + HEADER_LEN], payload_len, *seq);
        *seq = seq.wrapping_add(1);
        return;
    }
    // Rare path (queries of 16 MiB and more): rebuild the tail with a header per chunk.
    let payload = out.split_off(start + HEADER_LEN);
    out.truncate(start);
    let mut chunks = payload.chunks(MAX_PAYLOAD_LEN);
    let mut last_len = 0;
    for chunk in chunks.by_ref() {
        let mut header = [0u8; HEADER_LEN];
        write_header(&mut header, chunk.len(), *seq);
        *seq = seq.wrapping_add(1);
        out.extend_from_slice(&header);
        out.extend_from_slice(chunk);
        last_len = chunk.len();
    }
    if last_len == MAX_PAYLOAD_LEN {
        // A payload that is an exact multiple of the chunk size ends with an empty packet,
        // so the reader knows it is complete.
        let mut header = [0u8; HEADER_LEN];
        write_header(&mut header, 0, *seq);
        *seq = seq.wrapping_add(1);
        out.extend_from_slice(&header);
    }
}

fn write_header(h: &mut [u8], len: usize, seq: u8) {
    let len = (len as u32).to_le_bytes();
    h[..3].copy_from_slice(&len[..3]);
    h[3] = seq;
}

/// Writes a whole payload as packet(s).
pub fn write_packet(out: &mut Vec<u8>, payload: &[u8], seq: &mut u8) {
    let start = begin_packet(out);
    out.extend_from_slice(payload);
    finish_packet(out, start, seq);
}

/// Where the next logical packet lies in a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Total bytes (headers included) the logical packet occupies in the buffer.
    pub wire_len: usize,
    /// Payload length after joining the chunks.
    pub payload_len: usize,
    /// Number of physical packets (chunks) it was split into.
    pub chunks: usize,
    /// Sequence id of the first chunk.
    pub first_seq: u8,
    /// Sequence id of the last chunk.
    pub last_seq: u8,
}

/// Looks for one complete logical packet at the front of `buf`. Returns `Ok(None)` when
/// more bytes are needed; never consumes anything, so a caller that is cancelled while
/// waiting for the rest loses nothing. `max_payload` bounds the joined payload so that a
/// hostile length cannot make the client buffer without limit: the refusal comes as soon
/// as the headers announce too much, before those bytes arrive. The chunks of one logical
/// packet must carry consecutive sequence ids; a gap means the stream is out of step (a
/// lost, repeated or corrupted header) and is a protocol error. So is a first chunk whose
/// id is not `expected`: checked as soon as its header is in, so a misread length cannot
/// leave the reader waiting for bytes that will never come.
pub fn find_frame(buf: &[u8], max_payload: usize, expected: u8) -> Result<Option<Frame>> {
    let mut pos = 0;
    let mut payload_len = 0usize;
    let mut chunks = 0;
    let mut first_seq = 0;
    loop {
        if buf.len() < pos + HEADER_LEN {
            return Ok(None);
        }
        let len = usize::from(buf[pos]) | usize::from(buf[pos + 1]) << 8 | usize::from(buf[pos + 2]) << 16;
        let seq = buf[pos + 3];
        let want = expected.wrapping_add(chunks as u8);
        if seq != want {
            return Err(out_of_order(want, seq));
        }
        if chunks == 0 {
            first_seq = seq;
        }
        chunks += 1;
        payload_len += len;
        if payload_len > max_payload {
            return Err(too_large_incoming(payload_len, max_payload));
        }
        pos += HEADER_LEN + len;
        if buf.len() < pos {
            return Ok(None);
        }
        if len < MAX_PAYLOAD_LEN {
            return Ok(Some(Frame { wire_len: pos, payload_len, chunks, first_seq, last_seq: seq }));
        }
    }
}

/// The error for a packet whose sequence id is not the one the exchange is at.
#[cold]
pub fn out_of_order(expected: u8, got: u8) -> Error {
    Error::Protocol(format!("packets out of order: expected sequence id {expected}, the server sent {got}"))
}

#[cold]
fn too_large_incoming(len: usize, max: usize) -> Error {
    Error::Protocol(format!(
        "server packet of at least {len} bytes exceeds the client's limit of {max} bytes \
         (ConnectOptions::max_incoming_packet)"
    ))
}

/// Copies the payload of a multi-chunk frame out of `wire` (the frame's bytes).
pub fn join_chunks(wire: &[u8], frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.payload_len);
    let mut pos = 0;
    while pos + HEADER_LEN <= wire.len() {
        let len = usize::from(wire[pos]) | usize::from(wire[pos + 1]) << 8 | usize::from(wire[pos + 2]) << 16;
        let end = (pos + HEADER_LEN + len).min(wire.len());
        out.extend_from_slice(&wire[pos + HEADER_LEN..end]);
        pos = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_packet_header() {
        let mut out = Vec::new();
        let mut seq = 0;
        write_packet(&mut out, b"\x03SELECT 1", &mut seq);
        assert_eq!(out, b"\x09\x00\x00\x00\x03SELECT 1");
        assert_eq!(seq, 1);
        let f = find_frame(&out, 1 << 30, 0).unwrap().unwrap();
        assert_eq!(f, Frame { wire_len: 13, payload_len: 9, chunks: 1, first_seq: 0, last_seq: 0 });
    }

    #[test]
    fn incomplete_frames_need_more() {
        let bytes = b"\x09\x00\x00\x00\x03SELECT 1";
        for n in 0..bytes.len() {
            assert_eq!(find_frame(&bytes[..n], 1 << 30, 0).unwrap(), None);
        }
    }

    #[test]
    fn oversize_length_is_refused_before_buffering() {
        assert!(find_frame(b"\xff\xff\xff\x00", 1000, 0).is_err());
    }

    #[test]
    fn endless_continuation_is_refused_at_the_limit() {
        // Headers of maximum-size chunks, with no payload behind them yet: the limit is
        // checked against what the headers announce, so nothing near it is buffered.
        let mut buf = b"\xff\xff\xff\x01".to_vec();
        assert_eq!(find_frame(&buf, 64 << 20, 1).unwrap(), None);
        buf.extend(std::iter::repeat(0).take(MAX_PAYLOAD_LEN));
        buf.extend_from_slice(b"\xff\xff\xff\x02");
        assert_eq!(find_frame(&buf, 64 << 20, 1).unwrap(), None);
        let e = find_frame(&buf, MAX_PAYLOAD_LEN + 10, 1).unwrap_err();
        assert!(e.to_string().contains("max_incoming_packet"), "{e}");
    }

    #[test]
    fn unexpected_first_id_is_an_error_as_soon_as_the_header_is_in() {
        // A header announcing 1 MiB with the wrong id: refused before the payload arrives.
        let e = find_frame(b"\x00\x00\x10\x07", 1 << 30, 5).unwrap_err();
        assert!(e.to_string().contains("expected sequence id 5, the server sent 7"), "{e}");
        assert!(find_frame(b"\x00\x00\x10\x05", 1 << 30, 5).unwrap().is_none());
    }

    #[test]
    fn chunk_sequence_gap_is_an_error() {
        // First chunk id 1, second chunk id 3 (2 expected).
        let mut buf = b"\xff\xff\xff\x01".to_vec();
        buf.extend(std::iter::repeat(0).take(MAX_PAYLOAD_LEN));
        buf.extend_from_slice(b"\x00\x00\x00\x03");
        let e = find_frame(&buf, 1 << 30, 1).unwrap_err();
        assert!(e.to_string().contains("expected sequence id 2, the server sent 3"), "{e}");
        // Ids wrap around from 255 to 0 within one packet.
        let mut buf = b"\xff\xff\xff\xff".to_vec();
        buf.extend(std::iter::repeat(0).take(MAX_PAYLOAD_LEN));
        buf.extend_from_slice(b"\x00\x00\x00\x00");
        let f = find_frame(&buf, 1 << 30, 255).unwrap().unwrap();
        assert_eq!((f.first_seq, f.last_seq, f.chunks), (255, 0, 2));
    }

    #[test]
    fn split_and_join_exact_multiple() {
        let payload = vec![7u8; MAX_PAYLOAD_LEN];
        let mut out = Vec::new();
        let mut seq = 3;
        write_packet(&mut out, &payload, &mut seq);
        // one full chunk and one empty terminator
        assert_eq!(out.len(), MAX_PAYLOAD_LEN + 8);
        assert_eq!(&out[..4], b"\xff\xff\xff\x03");
        assert_eq!(&out[out.len() - 4..], b"\x00\x00\x00\x04");
        assert_eq!(seq, 5);
        let f = find_frame(&out, 1 << 30, 3).unwrap().unwrap();
        assert_eq!((f.chunks, f.payload_len, f.wire_len), (2, MAX_PAYLOAD_LEN, out.len()));
        assert_eq!(join_chunks(&out, &f), payload);
    }

    #[test]
    fn split_and_join_uneven() {
        let payload: Vec<u8> = (0..MAX_PAYLOAD_LEN + 10).map(|i| i as u8).collect();
        let mut out = vec![0xaa]; // packets may follow other bytes in a write buffer
        let mut seq = 0;
        let start = begin_packet(&mut out);
        out.extend_from_slice(&payload);
        finish_packet(&mut out, start, &mut seq);
        assert_eq!(seq, 2);
        let f = find_frame(&out[1..], 1 << 30, 0).unwrap().unwrap();
        assert_eq!(f.payload_len, payload.len());
        assert_eq!(join_chunks(&out[1..], &f), payload);
    }
}
