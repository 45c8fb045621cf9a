//! The file that tells local clients where the API is and which token to send: JSON
//! `{"url": "http://127.0.0.1:47821", "token": "…"}` in the per-user data directory, readable
//! by the user only. A new token is written at every start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ApiToken;

/// The file's name inside the data directory.
pub const FILE: &str = "local-api.json";

/// The file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    /// Base URL of the API.
    pub url: String,
    /// Bearer token.
    pub token: String,
}

/// Writes the file (owner-only) and returns its path.
pub fn write(data_dir: &Path, addr: SocketAddr, token: &ApiToken) -> std::io::Result<PathBuf> {
    let path = data_dir.join(FILE);
    let content = TokenFile {
        url: format!("http://{addr}"),
        token: token.expose().to_owned(),
    };
    let json = serde_json::to_vec_pretty(&content).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&path, &json, true)?;
    Ok(path)
}
