//! The compressed protocol (CLIENT_COMPRESS, CLIENT_ZSTD_COMPRESSION_ALGORITHM), sans-IO.
//!
//! Once negotiated, the ordinary packet stream (4-byte headers, see `packet.rs`) is cut
//! into pieces and each piece travels in a compressed packet with a 7-byte header:
//! a 3-byte length of what follows the header, a 1-byte *compressed* sequence id (its own
//! counter, reset to 0 with each command like the ordinary one), and the 3-byte length of
//! the piece before compression. That last length is 0 when the piece is sent as it is
//! (small pieces, and pieces that do not shrink). A piece may hold part of a packet or
//! several packets; the reader decompresses them back into one ordinary byte stream.
//!
//! Compression starts after authentication: the connection phase, its final OK
//! included, is uncompressed on both sides.
//!
//! What servers do with the ids (MySQL and MariaDB share the code, `net_serv.cc`): they
//! check only the compressed ids of what they read, and when they read a compressed
//! packet with id `n` they continue both counters from `n + 1`. So the inner packets of a
//! response are numbered from the compressed id of the request's last packet plus one,
//! and consecutively after that; the inner ids the client sends are not checked.

use bytes::BytesMut;

use super::constants::MAX_PAYLOAD_LEN;
use super::packet::{out_of_order, HEADER_LEN};
use crate::error::{Error, Result};

/// The header in front of each compressed packet.
pub const COMPRESSED_HEADER_LEN: usize = 7;

/// Pieces shorter than this are sent uncompressed, as libmysqlclient does
/// (`MIN_COMPRESS_LENGTH`): compressing them costs CPU and saves nothing.
pub const MIN_COMPRESS_LENGTH: usize = 50;

/// CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8.0.18+).
pub const CLIENT_ZSTD_COMPRESSION_ALGORITHM: u32 = 1 << 26;

/// The compression algorithm of `ConnectOptions::compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// zlib (CLIENT_COMPRESS): MySQL and MariaDB. Levels 0-9, default 6.
    Zlib,
    /// zstd (CLIENT_ZSTD_COMPRESSION_ALGORITHM): MySQL 8.0.18 and later. Levels 1-22,
    /// default 3 (the server's default).
    Zstd,
}

impl std::str::FromStr for Compression {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "zlib" | "deflate" => Ok(Compression::Zlib),
            "zstd" => Ok(Compression::Zstd),
            _ => Err(Error::Interface("URL option `compression` must be zlib or zstd".into())),
        }
    }
}

impl Compression {
    /// The capability bit that asks for this algorithm.
    pub fn capability(self) -> u32 {
        match self {
            Compression::Zlib => super::constants::capability::COMPRESS,
            Compression::Zstd => CLIENT_ZSTD_COMPRESSION_ALGORITHM,
        }
    }

    /// `level`, or the default, checked against the algorithm's range.
    pub fn level(self, level: Option<u8>) -> Result<u8> {
        let (range, default) = match self {
            Compression::Zlib => (0..=9, 6),
            Compression::Zstd => (1..=22, 3),
        };
        let level = level.unwrap_or(default);
        if !range.contains(&level) {
            return Err(Error::Interface(format!(
                "compression level {level} is out of range for {self:?} ({}-{})",
                range.start(),
                range.end()
            )));
        }
        Ok(level)
    }
}

/// The algorithm both sides support, if any: the one asked for, when the server offers it.
/// A server without it gets an uncompressed connection (as libmysqlclient does).
pub fn negotiate(wanted: Option<Compression>, server_caps: u32) -> Option<Compression> {
    wanted.filter(|c| server_caps & c.capability() != 0)
}

/// Where the next compressed packet lies in a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressedFrame {
    /// Header plus payload.
    pub wire_len: usize,
    /// Length before compression; 0 means the payload is stored as it is.
    pub uncompressed_len: usize,
    pub seq: u8,
}

impl CompressedFrame {
    /// Bytes this packet adds to the ordinary stream.
    pub fn plain_len(&self) -> usize {
        if self.uncompressed_len == 0 {
            self.wire_len - COMPRESSED_HEADER_LEN
        } else {
            self.uncompressed_len
        }
    }
}

/// Looks for one complete compressed packet at the front of `buf`; `Ok(None)` means more
/// bytes are needed. The id is checked, and the size the packet will take once
/// decompressed is bounded by `max_plain`, as soon as the header is in: a hostile length
/// is refused before anything is buffered or allocated for it.
pub fn find_compressed_frame(buf: &[u8], max_plain: usize, expected: u8) -> Result<Option<CompressedFrame>> {
    if buf.len() < COMPRESSED_HEADER_LEN {
        return Ok(None);
    }
    let len = u24(&buf[..3]);
    let seq = buf[3];
    let uncompressed_len = u24(&buf[4..7]);
    if seq != expected {
        return Err(out_of_order(expected, seq));
    }
    let plain = if uncompressed_len == 0 { len } else { uncompressed_len };
    if plain > max_plain {
        return Err(Error::Protocol(format!(
            "compressed packet of {plain} bytes exceeds the client's limit of {max_plain} bytes \
             (ConnectOptions::max_incoming_packet)"
        )));
    }
    let wire_len = COMPRESSED_HEADER_LEN + len;
    Ok((buf.len() >= wire_len).then_some(CompressedFrame { wire_len, uncompressed_len, seq }))
}

fn u24(b: &[u8]) -> usize {
    usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16
}

fn put_u24(out: &mut [u8], n: usize) {
    out.copy_from_slice(&(n as u32).to_le_bytes()[..3]);
}

/// One connection's compressor and decompressor (kept: a zlib state is ~300 KB to set up).
pub struct Codec {
    algorithm: Compression,
    engine: Engine,
}

enum Engine {
    #[cfg(feature = "compression")]
    Zlib { compress: flate2::Compress, decompress: flate2::Decompress },
    #[cfg(feature = "zstd")]
    Zstd { compress: zstd::bulk::Compressor<'static>, decompress: zstd::bulk::Decompressor<'static> },
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl Codec {
    /// A codec for `algorithm` at `level` (already range-checked, see [`Compression::level`]).
    /// An algorithm this build has no support for is an error.
    #[allow(unreachable_code, unused_variables)]
    pub fn new(algorithm: Compression, level: u8) -> Result<Codec> {
        let engine = match algorithm {
            #[cfg(feature = "compression")]
            Compression::Zlib => Engine::Zlib {
                compress: flate2::Compress::new(flate2::Compression::new(u32::from(level)), true),
                decompress: flate2::Decompress::new(true),
            },
            #[cfg(feature = "zstd")]
            Compression::Zstd => Engine::Zstd {
                compress: zstd::bulk::Compressor::new(i32::from(level)).map_err(zstd_error)?,
                decompress: zstd::bulk::Decompressor::new().map_err(zstd_error)?,
            },
            #[allow(unreachable_patterns, unreachable_code)]
            _ => {
                let _ = level;
                let feature = if algorithm == Compression::Zlib { "compression" } else { "zstd" };
                return Err(Error::Interface(format!(
                    "{algorithm:?} compression needs amysql's `{feature}` cargo feature"
                )));
            }
        };
        Ok(Codec { algorithm, engine })
    }

    pub fn algorithm(&self) -> Compression {
        self.algorithm
    }

    /// Appends the ordinary bytes carried by `frame` (the front of `buf`) to `out`.
    /// Decompression writes into exactly the announced length: a payload that inflates
    /// to more (a decompression bomb) or less is an error, and nothing is appended.
    pub fn decompress(&mut self, buf: &[u8], frame: &CompressedFrame, out: &mut BytesMut) -> Result<()> {
        let payload = &buf[COMPRESSED_HEADER_LEN..frame.wire_len];
        if frame.uncompressed_len == 0 {
            out.extend_from_slice(payload);
            return Ok(());
        }
        let start = out.len();
        out.resize(start + frame.uncompressed_len, 0);
        let r = self.inflate(payload, &mut out[start..]);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    #[allow(unused_variables)]
    fn inflate(&mut self, input: &[u8], output: &mut [u8]) -> Result<()> {
        match &mut self.engine {
            #[cfg(feature = "compression")]
            Engine::Zlib { decompress, .. } => {
                decompress.reset(true);
                let status = decompress
                    .decompress(input, output, flate2::FlushDecompress::Finish)
                    .map_err(|e| Error::Protocol(format!("corrupt zlib data from the server: {e}")))?;
                let (read, written) = (decompress.total_in() as usize, decompress.total_out() as usize);
                if status != flate2::Status::StreamEnd || written != output.len() || read != input.len() {
                    return Err(bad_length(output.len()));
                }
                Ok(())
            }
            #[cfg(feature = "zstd")]
            Engine::Zstd { decompress, .. } => {
                // The zstd library stops with an error when the output slice is full.
                let n = decompress
                    .decompress_to_buffer(input, output)
                    .map_err(|e| Error::Protocol(format!("corrupt zstd data from the server: {e}")))?;
                if n != output.len() {
                    return Err(bad_length(output.len()));
                }
                Ok(())
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::protocol("compression is not built in")),
        }
    }

    /// Compresses one piece (at most 16 MiB - 1 bytes) into `out` as one compressed packet
    /// with id `seq`. Small pieces, and pieces that would not shrink, are stored as they are.
    pub fn write_piece(&mut self, piece: &[u8], seq: u8, out: &mut Vec<u8>) -> Result<()> {
        debug_assert!(piece.len() <= MAX_PAYLOAD_LEN);
        let start = out.len();
        if piece.len() >= MIN_COMPRESS_LENGTH {
            // Room for the header and a result smaller than the input; anything larger is
            // not worth sending compressed.
            out.resize(start + COMPRESSED_HEADER_LEN + piece.len() - 1, 0);
            if let Some(n) = self.deflate(piece, &mut out[start + COMPRESSED_HEADER_LEN..])? {
                out.truncate(start + COMPRESSED_HEADER_LEN + n);
                let h = &mut out[start..start + COMPRESSED_HEADER_LEN];
                put_u24(&mut h[..3], n);
                h[3] = seq;
                put_u24(&mut h[4..7], piece.len());
                return Ok(());
            }
            out.truncate(start);
        }
        let mut h = [0u8; COMPRESSED_HEADER_LEN];
        put_u24(&mut h[..3], piece.len());
        h[3] = seq;
        out.extend_from_slice(&h);
        out.extend_from_slice(piece);
        Ok(())
    }

    /// Compresses `input` into `output`; `None` when it does not fit (did not shrink).
    #[allow(unused_variables)]
    fn deflate(&mut self, input: &[u8], output: &mut [u8]) -> Result<Option<usize>> {
        match &mut self.engine {
            #[cfg(feature = "compression")]
            Engine::Zlib { compress, .. } => {
                compress.reset();
                let status = compress
                    .compress(input, output, flate2::FlushCompress::Finish)
                    .map_err(|e| Error::Interface(format!("zlib compression failed: {e}")))?;
                Ok((status == flate2::Status::StreamEnd).then_some(compress.total_out() as usize))
            }
            // Too small an output buffer is the only error zstd reports here.
            #[cfg(feature = "zstd")]
            Engine::Zstd { compress, .. } => Ok(compress.compress_to_buffer(input, output).ok()),
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }

    /// Compresses the ordinary packets in `plain` (whole packets, as the encoders wrote
    /// them) into compressed packets appended to `out`. `seq` is the compressed id to use
    /// next. `continuing` says whether the client is in the middle of answering the
    /// server (since the last read it has sent a packet that was not a command); while it
    /// is not, a packet with inner id 0 starts a command, and a command starts a new
    /// compressed packet with id 0, as the server resets its counter for each command
    /// and reads each command from a compressed packet of its own.
    pub fn compress_packets(
        &mut self,
        plain: &[u8],
        seq: &mut u8,
        continuing: &mut bool,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut segment = 0;
        let mut pos = 0;
        while pos + HEADER_LEN <= plain.len() {
            if !*continuing {
                if plain[pos + 3] == 0 {
                    self.write_segment(&plain[segment..pos], seq, out)?;
                    segment = pos;
                    *seq = 0;
                } else {
                    *continuing = true;
                }
            }
            // Skip the whole logical packet (its chunks of 16 MiB - 1 and the last one).
            loop {
                let len = u24(&plain[pos..pos + 3]);
                pos = (pos + HEADER_LEN + len).min(plain.len());
                if len < MAX_PAYLOAD_LEN || pos + HEADER_LEN > plain.len() {
                    break;
                }
            }
        }
        self.write_segment(&plain[segment..], seq, out)
    }

    fn write_segment(&mut self, segment: &[u8], seq: &mut u8, out: &mut Vec<u8>) -> Result<()> {
        for piece in segment.chunks(MAX_PAYLOAD_LEN) {
            self.write_piece(piece, *seq, out)?;
            *seq = seq.wrapping_add(1);
        }
        Ok(())
    }
}

#[cold]
#[cfg(feature = "compression")]
fn bad_length(announced: usize) -> Error {
    Error::Protocol(format!(
        "compressed packet from the server does not decompress to the {announced} bytes its header announced"
    ))
}

#[cfg(feature = "zstd")]
fn zstd_error(e: std::io::Error) -> Error {
    Error::Interface(format!("zstd: {e}"))
}

#[cfg(all(test, feature = "compression"))]
mod tests {
    use super::*;
    use crate::protocol::packet::write_packet;

    fn zlib() -> Codec {
        Codec::new(Compression::Zlib, 6).unwrap()
    }

    /// Decodes every compressed packet of `wire` (ids from `seq`) into the ordinary stream.
    fn unpack(codec: &mut Codec, wire: &[u8], mut seq: u8) -> (Vec<u8>, Vec<CompressedFrame>) {
        let mut out = BytesMut::new();
        let mut frames = Vec::new();
        let mut pos = 0;
        while pos < wire.len() {
            let f = find_compressed_frame(&wire[pos..], 1 << 30, seq).unwrap().unwrap();
            codec.decompress(&wire[pos..], &f, &mut out).unwrap();
            frames.push(f);
            pos += f.wire_len;
            seq = seq.wrapping_add(1);
        }
        (out.to_vec(), frames)
    }

    #[test]
    fn small_packet_goes_uncompressed() {
        // COM_PING: one byte of payload, a 5-byte packet, stored with length 0.
        let mut c = zlib();
        let mut out = Vec::new();
        let (mut seq, mut cont) = (0, false);
        c.compress_packets(b"\x01\x00\x00\x00\x0e", &mut seq, &mut cont, &mut out).unwrap();
        assert_eq!(out, b"\x05\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0e");
        assert_eq!((seq, cont), (1, false));
        let f = find_compressed_frame(&out, 100, 0).unwrap().unwrap();
        assert_eq!(f, CompressedFrame { wire_len: 12, uncompressed_len: 0, seq: 0 });
        assert_eq!(f.plain_len(), 5);
    }

    #[test]
    fn mysql_docs_example_decodes() {
        // The example of the MySQL internals documentation: a 46-byte COM_QUERY for
        // select "012345678901234567890123456789012345", zlib-compressed (level 6, as
        // zlib's compress()) into 34 bytes.
        let wire: &[u8] = b"\x22\x00\x00\x00\x32\x00\x00\x78\x9c\xd3\x63\x60\x60\x60\x2e\x4e\xcd\
\x49\x4d\x2e\x51\x50\x32\x30\x34\x32\x36\x31\x35\x33\xb7\xb0\xc4\xcd\x52\x02\x00\x0c\xd1\x0a\x6c";
        let f = find_compressed_frame(wire, 1 << 20, 0).unwrap().unwrap();
        assert_eq!((f.wire_len, f.uncompressed_len), (wire.len(), 0x32));
        let mut out = BytesMut::new();
        zlib().decompress(wire, &f, &mut out).unwrap();
        let mut query = b"\x2e\x00\x00\x00\x03select \"".to_vec();
        query.extend_from_slice(b"012345678901234567890123456789012345\"");
        assert_eq!(&out[..], &query[..]);
    }

    #[test]
    fn compressible_packet_roundtrips_smaller() {
        let mut c = zlib();
        let mut plain = Vec::new();
        let mut s = 0;
        write_packet(&mut plain, &[b'a'; 1000], &mut s);
        let mut out = Vec::new();
        let (mut seq, mut cont) = (0, false);
        c.compress_packets(&plain, &mut seq, &mut cont, &mut out).unwrap();
        assert!(out.len() < 100, "{}", out.len());
        // Header: compressed length, id 0, 1004 (0x3ec) bytes before compression.
        assert_eq!(&out[3..7], b"\x00\xec\x03\x00");
        assert_eq!(u24(&out[..3]), out.len() - 7);
        let (back, frames) = unpack(&mut c, &out, 0);
        assert_eq!(back, plain);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn incompressible_packet_is_stored() {
        let mut c = zlib();
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let mut plain = Vec::new();
        let mut s = 0;
        write_packet(&mut plain, &noise, &mut s);
        let mut out = Vec::new();
        c.compress_packets(&plain, &mut 0, &mut false, &mut out).unwrap();
        assert_eq!(&out[..7], &[0x8c, 0x13, 0x00, 0x00, 0, 0, 0]); // 5004 bytes, stored
        assert_eq!(&out[7..], &plain[..]);
    }

    #[test]
    fn each_command_gets_its_own_compressed_packet_from_id_0() {
        // A queued COM_STMT_CLOSE, then a COM_QUERY: two compressed packets, both id 0.
        let mut plain = Vec::new();
        write_packet(&mut plain, b"\x19\x01\x00\x00\x00", &mut 0);
        write_packet(&mut plain, b"\x03SELECT 1", &mut 0);
        let mut out = Vec::new();
        let (mut seq, mut cont) = (7, false);
        zlib().compress_packets(&plain, &mut seq, &mut cont, &mut out).unwrap();
        assert_eq!(
            out,
            b"\x09\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x19\x01\x00\x00\x00\
\x0d\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x03SELECT 1"
        );
        assert_eq!(seq, 1);
    }

    #[test]
    fn a_reply_continues_the_ids_and_inner_zero_then_does_not_reset() {
        // LOCAL INFILE data after the server's request (compressed id 1): the client's
        // packets continue at 2, and an inner id that wrapped to 0 is still data.
        let mut c = zlib();
        let mut out = Vec::new();
        let (mut seq, mut cont) = (2, false);
        c.compress_packets(b"\x01\x00\x00\x02x", &mut seq, &mut cont, &mut out).unwrap();
        assert_eq!(out, b"\x05\x00\x00\x02\x00\x00\x00\x01\x00\x00\x02x");
        assert_eq!((seq, cont), (3, true));
        out.clear();
        c.compress_packets(b"\x00\x00\x00\x00", &mut seq, &mut cont, &mut out).unwrap();
        assert_eq!(out, b"\x04\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00");
        assert_eq!(seq, 4);
    }

    #[test]
    fn large_payload_spans_several_compressed_packets() {
        // 20 MiB: an ordinary packet of 16 MiB - 1 and one of the rest, cut into
        // compressed packets of at most 16 MiB - 1 bytes before compression.
        let payload: Vec<u8> = (0..20 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut plain = Vec::new();
        write_packet(&mut plain, &payload, &mut 0);
        let mut c = zlib();
        let mut out = Vec::new();
        let mut seq = 0;
        c.compress_packets(&plain, &mut seq, &mut false, &mut out).unwrap();
        assert_eq!(seq, 2);
        let (back, frames) = unpack(&mut c, &out, 0);
        assert_eq!(
            frames.iter().map(|f| f.uncompressed_len).collect::<Vec<_>>(),
            [MAX_PAYLOAD_LEN, plain.len() - MAX_PAYLOAD_LEN]
        );
        assert!(back == plain);
        assert!(out.len() < plain.len() / 10);
    }

    #[test]
    fn exact_16_mib_boundaries() {
        // A payload of exactly 16 MiB - 1 is one full chunk plus an empty one: 8 bytes of
        // headers, so the plain stream is 16 MiB + 7 and needs a second compressed packet.
        let payload = vec![b'z'; MAX_PAYLOAD_LEN];
        let mut plain = Vec::new();
        write_packet(&mut plain, &payload, &mut 0);
        assert_eq!(plain.len(), MAX_PAYLOAD_LEN + 8);
        let mut c = zlib();
        let mut out = Vec::new();
        let mut seq = 0;
        c.compress_packets(&plain, &mut seq, &mut false, &mut out).unwrap();
        let (back, frames) = unpack(&mut c, &out, 0);
        assert!(back == plain);
        // The second piece is 8 bytes: stored, not compressed.
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].uncompressed_len, MAX_PAYLOAD_LEN);
        assert_eq!((frames[1].uncompressed_len, frames[1].plain_len()), (0, 8));
        assert_eq!(seq, 2);
    }

    #[test]
    fn wrong_compressed_id_is_an_error_at_the_header() {
        let e = find_compressed_frame(b"\x00\x00\x10\x05\x00\x00\x00", 1 << 30, 1).unwrap_err();
        assert!(e.to_string().contains("expected sequence id 1, the server sent 5"), "{e}");
        for n in 0..COMPRESSED_HEADER_LEN {
            assert_eq!(find_compressed_frame(&b"\x00\x00\x10\x05\x00\x00\x00"[..n], 1 << 30, 1).unwrap(), None);
        }
    }

    #[test]
    fn announced_sizes_are_bounded_before_buffering() {
        // 16 MiB - 1 announced after decompression, limit 1 MiB: refused at the header.
        let e = find_compressed_frame(b"\x10\x00\x00\x00\xff\xff\xff", 1 << 20, 0).unwrap_err();
        assert!(e.to_string().contains("max_incoming_packet"), "{e}");
        // Same for a stored payload.
        assert!(find_compressed_frame(b"\xff\xff\xff\x00\x00\x00\x00", 1 << 20, 0).is_err());
    }

    #[test]
    fn decompression_bomb_and_short_data_are_errors() {
        let mut c = zlib();
        // 1 MiB of zeros compresses to ~1 KB; announce 100 bytes.
        let mut wire = Vec::new();
        let mut plain = Vec::new();
        write_packet(&mut plain, &vec![0u8; 1 << 20], &mut 0);
        c.write_piece(&plain, 0, &mut wire).unwrap();
        assert!(wire.len() < 5000);
        let real = u24(&wire[4..7]);
        assert_eq!(real, plain.len());
        put_u24(&mut wire[4..7], 100);
        let f = find_compressed_frame(&wire, 1 << 30, 0).unwrap().unwrap();
        let mut out = BytesMut::from(&b"keep"[..]);
        let e = c.decompress(&wire, &f, &mut out).unwrap_err();
        assert!(e.to_string().contains("does not decompress to the 100 bytes"), "{e}");
        assert_eq!(&out[..], b"keep"); // nothing appended
                                       // Announcing more than there is is an error too.
        put_u24(&mut wire[4..7], real + 1);
        let f = find_compressed_frame(&wire, 1 << 30, 0).unwrap().unwrap();
        assert!(c.decompress(&wire, &f, &mut out).is_err());
        // And garbage is an error, not a panic.
        let garbage = b"\x05\x00\x00\x00\x40\x00\x00\xde\xad\xbe\xef\x00";
        let f = find_compressed_frame(garbage, 1 << 30, 0).unwrap().unwrap();
        assert!(c.decompress(garbage, &f, &mut out).is_err());
        assert_eq!(&out[..], b"keep");
    }

    #[test]
    fn levels_are_checked() {
        assert_eq!(Compression::Zlib.level(None).unwrap(), 6);
        assert_eq!(Compression::Zstd.level(None).unwrap(), 3);
        assert!(Compression::Zlib.level(Some(10)).is_err());
        assert!(Compression::Zstd.level(Some(0)).is_err());
        assert_eq!(negotiate(Some(Compression::Zstd), 1 << 5), None);
        assert_eq!(negotiate(Some(Compression::Zlib), 1 << 5), Some(Compression::Zlib));
        assert_eq!("ZSTD".parse::<Compression>().unwrap(), Compression::Zstd);
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_roundtrip_and_bomb() {
        let mut c = Codec::new(Compression::Zstd, 3).unwrap();
        let mut plain = Vec::new();
        write_packet(&mut plain, &vec![b'q'; 100_000], &mut 0);
        let mut out = Vec::new();
        c.compress_packets(&plain, &mut 0, &mut false, &mut out).unwrap();
        assert!(out.len() < 1000);
        assert_eq!(&out[7..11], b"\x28\xb5\x2f\xfd"); // a zstd frame
        let (back, _) = unpack(&mut c, &out, 0);
        assert_eq!(back, plain);
        put_u24(&mut out[4..7], 1000);
        let f = find_compressed_frame(&out, 1 << 30, 0).unwrap().unwrap();
        assert!(c.decompress(&out, &f, &mut BytesMut::new()).is_err());
    }
}
