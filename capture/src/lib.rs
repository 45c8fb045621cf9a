//! The capture pipeline of agentrec: up to four monitors and the call audio, encoded on the
//! agent's PC (AV1 with rav1e, Opus) into fragmented-MP4 segments on an encrypted,
//! crash-safe spool.
#![deny(missing_docs)]

pub mod audio;
pub mod encode;
pub mod error;
pub mod export;
pub mod mux;
pub mod poster;
pub mod session;
pub mod source;
pub mod spool;
