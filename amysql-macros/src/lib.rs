//! Procedural macros for `amysql`. Users reach these through `amysql::FromRow`,
//! `amysql::query!` and friends; this crate is an implementation detail.
#![forbid(unsafe_code)]
