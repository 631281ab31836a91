//! The only layer that touches sockets: transports, TLS and buffered packet I/O.

mod compressed;
pub mod packet_stream;
pub mod stream;
pub mod tls;
