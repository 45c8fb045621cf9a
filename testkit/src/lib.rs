//! Test support: starts the real servers agentrec's tests run against, on this machine, and
//! stops them when the test ends.
//!
//! Each server is a guard value; dropping it kills the process group. Nothing here is a mock:
//! the point is to test against the real X server, audio server, database and object store.
//! Used only as a dev-dependency.

pub mod ingest;
pub mod postgres;
pub mod process;
pub mod pulse;
pub mod s3;
pub mod x11;

pub use process::{Child, TestkitError, free_port, wait_until};
