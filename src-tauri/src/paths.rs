//! Where the app reads and writes files: the machine-wide managed config installers write,
//! and the per-user data directory (policy cache, local API token, user enrollment).
//!
//! Both can be moved with environment variables so tests and side-by-side installs never
//! touch the real locations.

use std::path::PathBuf;

/// Overrides the managed config file's path.
pub const MANAGED_CONFIG_ENV: &str = "AGENTREC_MANAGED_CONFIG";
/// Overrides the per-user data directory.
pub const DATA_DIR_ENV: &str = "AGENTREC_DATA_DIR";

/// The managed config file's path: the env override, else the per-OS machine-wide location.
pub fn managed_config() -> PathBuf {
    if let Some(p) = std::env::var_os(MANAGED_CONFIG_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    machine_config_dir().join("agent.toml")
}

#[cfg(target_os = "windows")]
fn machine_config_dir() -> PathBuf {
    // %ProgramData% is C:\ProgramData unless the machine moved it.
    std::env::var_os("ProgramData")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("agentrec")
}

#[cfg(target_os = "macos")]
fn machine_config_dir() -> PathBuf {
    PathBuf::from("/Library/Application Support/agentrec")
}

#[cfg(not(any(target_os = "windows", target_os = "macos")))]
fn machine_config_dir() -> PathBuf {
    PathBuf::from("/etc/agentrec")
}

/// The per-user data directory: the env override, else the OS's local data directory.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(DATA_DIR_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    dirs::data_local_dir().map(|d| d.join("agentrec"))
}
