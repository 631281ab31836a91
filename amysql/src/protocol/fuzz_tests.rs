//! Property tests: every decoder takes arbitrary bytes without panicking.

use proptest::prelude::*;

use super::column::Column;
use super::constants::capability as cap;
use super::handshake::HandshakeV10;
use super::packet::{find_frame, join_chunks};
use super::response::{EofPacket, ErrPacket, OkPacket, QueryResponse};
use super::text_row::parse_text_row;

const CAPS: [u32; 3] =
    [0, cap::PROTOCOL_41, cap::PROTOCOL_41 | cap::SESSION_TRACK | cap::DEPRECATE_EOF | cap::TRANSACTIONS];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), ncols in 0usize..20) {
        let _ = HandshakeV10::decode(&bytes);
        let _ = Column::decode(&bytes);
        let _ = EofPacket::decode(&bytes);
        for caps in CAPS {
            let _ = OkPacket::decode(&bytes, caps);
            let _ = ErrPacket::decode(&bytes, caps);
            let _ = QueryResponse::decode(&bytes, caps, caps & 1 == 0);
        }
        let mut cells = Vec::new();
        if parse_text_row(&bytes, ncols, &mut cells).is_ok() {
            for c in &cells {
                let _ = c.slice(&bytes);
            }
        }
        // Expect whatever id the first header carries, so framing itself is exercised.
        if let Ok(Some(frame)) = find_frame(&bytes, 1 << 20, bytes.get(3).copied().unwrap_or(0)) {
            let _ = join_chunks(&bytes[..frame.wire_len], &frame);
        }
    }

    #[test]
    fn decoders_survive_prefixed_garbage(head in prop_oneof![Just(0u8), Just(0xfeu8), Just(0xffu8), Just(0xfbu8), Just(0x0au8)],
                                         tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = vec![head];
        bytes.extend_from_slice(&tail);
        let _ = HandshakeV10::decode(&bytes);
        for caps in CAPS {
            let _ = OkPacket::decode(&bytes, caps);
            let _ = QueryResponse::decode(&bytes, caps, caps & 1 == 0);
        }
    }
}
