//! Arbitrary bytes into amysql's sans-IO decoders (packet framing, greeting, OK / ERR /
//! EOF, result headers, column definitions, text and binary rows with their value
//! decoding, COM_STMT_PREPARE OK, auth switch). Any panic is a bug: decoders must turn
//! every hostile input into an `Err`. See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    amysql::__fuzz::decoders(data);
});
