//! The MySQL client/server protocol, sans-IO: encoders write into buffers, decoders read
//! from byte slices. Nothing here touches a socket or an async runtime.

pub mod buf;
pub mod column;
pub mod constants;
