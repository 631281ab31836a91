//! Mutations of a server transcript, split into the two classes the fuzz test judges
//! differently:
//!
//! * **content** mutations change payload bytes and keep the framing consistent (a length
//!   header fixed up after an insertion or deletion). The client may return an error or
//!   different values: a flipped bit in a row is a different row.
//! * **desync** mutations break the packet stream itself: a changed sequence id, a length
//!   header that no longer matches, a dropped, duplicated or cut packet. A client that
//!   checks sequence ids and leftovers must answer every one of them with an error.

use std::fmt;
use std::ops::Range;

use amysql_tests::fake_server::scripted::packet_ranges;

/// SplitMix64: tiny, seedable, and stable forever (a seed printed today replays the same
/// cases after any dependency update).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Bytes with a meaning in the protocol: length prefixes, NULL, EOF/OK/ERR headers.
const INTERESTING: [u8; 12] = [0x00, 0x01, 0x7f, 0x80, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, b'#', 0x0a];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Content,
    Desync,
}

/// One applied mutation, for the report: what, in which step, which packet.
#[derive(Debug, Clone)]
pub struct Applied {
    pub what: &'static str,
    pub class: Class,
    pub step: usize,
    pub packet: usize,
    pub detail: String,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (step {} packet {}: {})", self.what, self.step, self.packet, self.detail)
    }
}

/// A transcript as the server sends it: one byte string per step (greeting, each auth
/// answer, each command answer).
#[derive(Debug, Clone)]
pub struct Transcript {
    pub steps: Vec<Vec<u8>>,
}

/// Where a packet is: its step and its byte range in that step.
struct Loc {
    step: usize,
    index: usize,
    range: Range<usize>,
    last_in_transcript: bool,
}

fn locate(t: &Transcript, rng: &mut Rng) -> Option<Loc> {
    let mut all = Vec::new();
    for (s, bytes) in t.steps.iter().enumerate() {
        for (i, r) in packet_ranges(bytes).into_iter().enumerate() {
            all.push((s, i, r));
        }
    }
    if all.is_empty() {
        return None;
    }
    let last = all.len() - 1;
    let k = rng.below(all.len());
    let (step, index, range) = all.swap_remove(k);
    Some(Loc { step, index, range, last_in_transcript: k == last })
}

fn set_len(bytes: &mut [u8], at: usize, len: usize) {
    let l = (len.min(0xff_ffff) as u32).to_le_bytes();
    bytes[at..at + 3].copy_from_slice(&l[..3]);
}

/// Applies one desync mutation, or one to three content mutations, chosen by `rng`.
pub fn mutate(t: &mut Transcript, rng: &mut Rng) -> Vec<Applied> {
    if rng.chance(50) {
        desync(t, rng).into_iter().collect()
    } else {
        (0..1 + rng.below(3)).filter_map(|_| content(t, rng)).collect()
    }
}

fn content(t: &mut Transcript, rng: &mut Rng) -> Option<Applied> {
    let loc = locate(t, rng)?;
    let bytes = &mut t.steps[loc.step];
    let payload = loc.range.start + 4..loc.range.end;
    let plen = payload.len();
    let applied =
        |what, detail: String| Applied { what, class: Class::Content, step: loc.step, packet: loc.index, detail };
    let choice = rng.below(100);
    if plen > 0 && choice < 30 {
        let at = payload.start + rng.below(plen);
        let bit = rng.below(8);
        bytes[at] ^= 1 << bit;
        return Some(applied("bit flip", format!("payload byte {} bit {bit}", at - payload.start)));
    }
    if plen > 0 && choice < 60 {
        let at = payload.start + rng.below(plen);
        let v = if rng.chance(70) { INTERESTING[rng.below(INTERESTING.len())] } else { rng.byte() };
        let old = std::mem::replace(&mut bytes[at], v);
        return Some(applied("byte replace", format!("payload byte {}: {old:#04x} -> {v:#04x}", at - payload.start)));
    }
    if plen > 0 && choice < 75 {
        // Delete bytes and fix the header: a shorter but well-framed packet.
        let at = payload.start + rng.below(plen);
        let n = (1 + rng.below(4)).min(payload.end - at);
        bytes.drain(at..at + n);
        set_len(bytes, loc.range.start, plen - n);
        return Some(applied("shrink (length fixed)", format!("{n} bytes at payload byte {}", at - payload.start)));
    }
    if choice < 90 {
        let at = payload.start + rng.below(plen + 1);
        let n = 1 + rng.below(4);
        let ins: Vec<u8> =
            (0..n).map(|_| if rng.chance(50) { INTERESTING[rng.below(12)] } else { rng.byte() }).collect();
        bytes.splice(at..at, ins.iter().copied());
        set_len(bytes, loc.range.start, plen + n);
        return Some(applied("insert (length fixed)", format!("{ins:02x?} at payload byte {}", at - payload.start)));
    }
    // A huge length-encoded integer where one might be read.
    let at = payload.start + rng.below(plen + 1);
    let huge = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    bytes.splice(at..at, huge);
    set_len(bytes, loc.range.start, plen + huge.len());
    Some(applied("huge lenenc (length fixed)", format!("at payload byte {}", at - payload.start)))
}

fn desync(t: &mut Transcript, rng: &mut Rng) -> Option<Applied> {
    let choice = rng.below(100);
    // Bytes a mutation leaves after the last packet (a duplicate, a splice) go out in the
    // same write as that packet, so they are in the client's buffer when it finishes.
    let loc = locate(t, rng)?;
    let (step, index, range) = (loc.step, loc.index, loc.range.clone());
    let applied = |what, detail: String| Applied { what, class: Class::Desync, step, packet: index, detail };
    let bytes = &mut t.steps[step];
    if range.len() < 4 {
        return None;
    }
    if choice < 25 {
        let old = bytes[range.start + 3];
        let new = if rng.chance(50) { old.wrapping_add(1 + rng.below(2) as u8) } else { old ^ (1 + rng.byte() % 255) };
        let new = if new == old { old.wrapping_add(1) } else { new };
        bytes[range.start + 3] = new;
        return Some(applied("sequence id", format!("{old} -> {new}")));
    }
    if choice < 40 {
        let copy = bytes[range.clone()].to_vec();
        bytes.splice(range.end..range.end, copy);
        return Some(applied("duplicate packet", format!("{} bytes", range.len())));
    }
    if choice < 55 {
        bytes.drain(range.clone());
        let last = if loc.last_in_transcript { ", the last" } else { "" };
        return Some(applied("drop packet", format!("{} bytes{last}", range.len())));
    }
    if choice < 65 {
        // Cut the stream inside this packet; nothing after it is sent.
        let keep = range.start + rng.below(range.len());
        bytes.truncate(keep);
        t.steps.truncate(step + 1);
        return Some(applied(
            "cut stream",
            format!("after {} of the packet's {} bytes", keep - range.start, range.len()),
        ));
    }
    let payload_len = range.len() - 4;
    if choice < 80 {
        let old = payload_len;
        let new = match rng.below(4) {
            0 => old.saturating_sub(1 + rng.below(3)),
            1 => old + 1 + rng.below(3),
            2 => rng.below(0x1_0000),
            _ => 0xff_ffff, // a 16 MiB chunk that continues
        };
        let new = if new == old { old + 1 } else { new };
        set_len(bytes, range.start, new);
        return Some(applied("length header", format!("{old} -> {new}")));
    }
    // Insert or delete payload bytes but leave the header alone.
    let at = range.start + 4 + rng.below(payload_len + 1);
    if payload_len > 0 && rng.chance(50) {
        let n = (1 + rng.below(3)).min(range.end - at).max(1);
        if at + n <= range.end {
            bytes.drain(at..at + n);
            return Some(applied(
                "splice out (length kept)",
                format!("{n} bytes at payload byte {}", at - range.start - 4),
            ));
        }
    }
    let n = 1 + rng.below(3);
    let ins: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
    bytes.splice(at..at, ins);
    Some(applied("splice in (length kept)", format!("{n} bytes at payload byte {}", at - range.start - 4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_stable() {
        let mut r = Rng::new(1);
        assert_eq!(r.next(), 0x910a_2dec_8902_5cc1);
    }
}
