//! The MySQL client/server protocol, sans-IO: encoders write into buffers, decoders read
//! from byte slices. Nothing here touches a socket or an async runtime.

pub mod auth;
pub mod binary_row;
pub mod buf;
pub mod charset;
pub mod column;
pub mod command;
pub mod compressed;
pub mod constants;
pub mod handshake;
pub mod packet;
pub mod prepared;
pub mod response;
pub mod text_row;

#[cfg(test)]
mod fuzz_tests;
