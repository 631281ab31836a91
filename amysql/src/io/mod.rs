//! The only layer that touches sockets: transports, TLS and buffered packet I/O.

pub mod packet_stream;
pub mod stream;
pub mod tls;
