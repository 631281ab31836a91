//! A bounds-checked cursor over received bytes and the length-encoded writers.
//!
//! Every read returns `Err` instead of panicking: packets come from the network, and a
//! truncated or hostile packet must surface as a protocol error, never as a crash.

use crate::error::{Error, Result};

/// Reads protocol primitives from a byte slice, front to back.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// `what` names the packet for error messages ("OK packet", "column definition").
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    fn short(&self, need: usize) -> Error {
        Error::protocol(format!("truncated {}: needed {need} more bytes, {} left", self.what, self.buf.len()))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(self.short(n));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn peek_u8(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    pub fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Result<u32> {
        let b = self.take(3)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }

    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length-encoded integer. 0xFB (NULL) and 0xFF (ERR marker) are not integers here.
    pub fn lenenc_int(&mut self) -> Result<u64> {
        match self.u8()? {
            n @ 0..=0xfa => Ok(u64::from(n)),
            0xfc => self.u16().map(u64::from),
            0xfd => self.u24().map(u64::from),
            0xfe => self.u64(),
            b => Err(Error::protocol(format!("invalid length-encoded integer prefix 0x{b:02x} in {}", self.what))),
        }
    }

    pub fn lenenc_bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.lenenc_int()?;
        let len = usize::try_from(len).map_err(|_| self.short(usize::MAX))?;
        self.take(len)
    }

    /// A NUL-terminated string; the terminator is consumed, not returned.
    pub fn null_terminated(&mut self) -> Result<&'a [u8]> {
        match self.buf.iter().position(|&b| b == 0) {
            Some(i) => {
                let s = &self.buf[..i];
                self.buf = &self.buf[i + 1..];
                Ok(s)
            }
            None => Err(Error::protocol(format!("missing NUL terminator in {}", self.what))),
        }
    }

    /// A string that runs to the end of the packet; a trailing NUL (some servers send one
    /// after the auth plugin name) is dropped.
    pub fn eof_string(&mut self) -> &'a [u8] {
        let s = self.buf;
        self.buf = &[];
        s.strip_suffix(&[0]).unwrap_or(s)
    }
}

/// Appends a length-encoded integer.
pub fn put_lenenc_int(out: &mut Vec<u8>, n: u64) {
    if n < 0xfb {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xfc);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xff_ffff {
        out.push(0xfd);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
    } else {
        out.push(0xfe);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// Appends a length-encoded string.
pub fn put_lenenc_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_lenenc_int(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_int_forms() {
        let bytes = [0xfa, 0xfc, 0x34, 0x12, 0xfd, 1, 2, 3, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0x80];
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.lenenc_int().unwrap(), 0xfa);
        assert_eq!(r.lenenc_int().unwrap(), 0x1234);
        assert_eq!(r.lenenc_int().unwrap(), 0x030201);
        assert_eq!(r.lenenc_int().unwrap(), 0x8000_0000_0000_0001);
        assert!(r.is_empty());
    }

    #[test]
    fn lenenc_rejects_null_and_err_prefix() {
        assert!(Reader::new(&[0xfb], "t").lenenc_int().is_err());
        assert!(Reader::new(&[0xff], "t").lenenc_int().is_err());
    }

    #[test]
    fn truncated_reads_are_errors() {
        let mut r = Reader::new(&[0xfc, 0x01], "OK packet");
        let e = r.lenenc_int().unwrap_err();
        assert!(e.to_string().contains("truncated OK packet"), "{e}");
        assert!(Reader::new(&[0x05, b'a'], "t").lenenc_bytes().is_err());
        assert!(Reader::new(b"abc", "t").null_terminated().is_err());
        // A huge declared length must not allocate or panic.
        assert!(Reader::new(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "t").lenenc_bytes().is_err());
    }

    #[test]
    fn put_lenenc_roundtrip() {
        for n in [0u64, 250, 251, 0xffff, 0x10000, 0xff_ffff, 0x100_0000, u64::MAX] {
            let mut out = Vec::new();
            put_lenenc_int(&mut out, n);
            assert_eq!(Reader::new(&out, "t").lenenc_int().unwrap(), n);
        }
    }
}
