//! The subcommands of `agentrec-ingest`.

pub mod bootstrap;
pub mod serve;
pub mod simulate;
