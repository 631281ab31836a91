//! Stores that applications commonly build on aiomysql, ported to amysql: a session
//! store with expiry and a durable event queue. Each is a small module used by an
//! example program in `src/bin/` and exercised by `tests/stores.rs`.

pub mod event_queue;
pub mod session_store;
