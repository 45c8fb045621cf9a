//! The app's configuration: the managed config file IT installs machine-wide, and the
//! enrollment an agent enters in the first-run window when there is none.
//!
//! A broken managed config never stops the app: [`load_managed`] returns the problem, the app
//! logs it, shows it in the status window and runs on defaults (the local API, the tray and
//! the last-known policy keep working).

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Default port of the local API on 127.0.0.1.
pub const DEFAULT_LOCAL_API_PORT: u16 = 47_821;

/// The managed config file (`agent.toml`), as installers and MDM profiles write it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct ManagedConfig {
    /// The ingest server's base URL.
    pub server_url: Option<String>,
    /// The one-time enrollment token IT issued for this machine (or fleet).
    pub enrollment_token: Option<String>,
    /// The local API for softphones, CTI toolbars and browser apps.
    pub local_api: LocalApiConfig,
    /// Whether the app registers itself to start at login (default on).
    pub autostart: Option<bool>,
    /// The most the encrypted spool may hold on disk, in MiB (default 10 GiB): beyond it,
    /// capture stops cleanly and the recording is marked as failed.
    pub spool_quota_mb: Option<u64>,
}

/// Settings of the local API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LocalApiConfig {
    /// Whether it runs at all.
    pub enabled: bool,
    /// TCP port on 127.0.0.1; 0 picks a free one (its number is in the token file).
    pub port: u16,
    /// Browser origins allowed to call it (CORS), e.g. `https://crm.example.com`.
    pub allowed_origins: Vec<String>,
}

impl Default for LocalApiConfig {
    fn default() -> Self {
        LocalApiConfig {
            enabled: true,
            port: DEFAULT_LOCAL_API_PORT,
            allowed_origins: Vec::new(),
        }
    }
}

/// Why the managed config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read (permissions, I/O).
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file is not valid TOML, or a setting has the wrong type.
    #[error("{path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A setting has a value the app cannot use.
    #[error("{path}: {field}: {message}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// The setting.
        field: &'static str,
        /// Why.
        message: String,
    },
}

/// What reading the managed config found.
#[derive(Debug)]
pub enum ManagedLoad {
    /// No file: the machine is not managed; the agent may enroll by hand.
    Absent,
    /// A usable file; `warnings` name settings that were ignored (unknown keys).
    Loaded {
        /// The settings.
        config: ManagedConfig,
        /// Ignored settings, for the log and the status window.
        warnings: Vec<String>,
    },
    /// A file that cannot be used; the app runs on defaults and shows why.
    Broken(ConfigError),
}

/// Reads the managed config at `path`.
pub fn load_managed(path: &Path) -> ManagedLoad {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return ManagedLoad::Absent,
        Err(source) => {
            return ManagedLoad::Broken(ConfigError::Unreadable {
                path: path.to_owned(),
                source,
            });
        }
    };
    match parse_managed(&text, path) {
        Ok((config, warnings)) => ManagedLoad::Loaded { config, warnings },
        Err(e) => ManagedLoad::Broken(e),
    }
}

/// Parses and checks a managed config document; unknown keys are warnings, not errors, so a
/// config written for a newer app still enrolls an older one.
pub fn parse_managed(text: &str, path: &Path) -> Result<(ManagedConfig, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let invalid = |e: toml::de::Error| ConfigError::Invalid {
        path: path.to_owned(),
        message: toml_message(text, &e),
    };
    let de = toml::Deserializer::parse(text).map_err(invalid)?;
    let config: ManagedConfig = serde_ignored::deserialize(de, |key| {
        warnings.push(format!("unknown setting `{key}` ignored"));
    })
    .map_err(invalid)?;
    warnings.sort();
    if let Some(url) = &config.server_url {
        check_server_url(url).map_err(|message| ConfigError::BadValue {
            path: path.to_owned(),
            field: "server_url",
            message,
        })?;
    }
    if config
        .enrollment_token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(ConfigError::BadValue {
            path: path.to_owned(),
            field: "enrollment_token",
            message: "is empty".to_owned(),
        });
    }
    for origin in &config.local_api.allowed_origins {
        check_origin(origin).map_err(|message| ConfigError::BadValue {
            path: path.to_owned(),
            field: "local_api.allowed_origins",
            message,
        })?;
    }
    Ok((config, warnings))
}

/// A TOML error on one line ("line 3: …"), for logs and the status window; toml's own
/// rendering quotes the source over several lines.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end_matches('\n');
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message.to_owned(),
    }
}

/// Checks that `url` is an absolute http(s) URL with a host.
pub fn check_server_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} must start with https:// (or http://)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

/// Checks a CORS origin: scheme, host and optional port, nothing else.
fn check_origin(origin: &str) -> Result<(), String> {
    let parsed = url::Url::parse(origin).map_err(|e| format!("{origin:?}: {e}"))?;
    let canonical = parsed.origin().ascii_serialization();
    if canonical != origin.trim_end_matches('/') {
        return Err(format!(
            "{origin:?} is not an origin (scheme://host[:port], e.g. {canonical:?})"
        ));
    }
    Ok(())
}

/// The enrollment an agent entered in the first-run window (the token itself goes to the
/// keyring; this file only says where to enroll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEnrollment {
    /// The ingest server's base URL.
    pub server_url: String,
}

const USER_ENROLLMENT_FILE: &str = "enrollment.toml";

/// Reads the user's enrollment from the data directory, if they entered one.
pub fn load_user_enrollment(data_dir: &Path) -> Result<Option<UserEnrollment>, ConfigError> {
    let path = data_dir.join(USER_ENROLLMENT_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Unreadable { path, source }),
    };
    let enrollment: UserEnrollment = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })?;
    check_server_url(&enrollment.server_url).map_err(|message| ConfigError::BadValue {
        path,
        field: "server_url",
        message,
    })?;
    Ok(Some(enrollment))
}

/// Saves the user's enrollment to the data directory.
pub fn save_user_enrollment(data_dir: &Path, enrollment: &UserEnrollment) -> io::Result<()> {
    let text = toml::to_string(enrollment).map_err(io::Error::other)?;
    crate::fsutil::write_atomic(&data_dir.join(USER_ENROLLMENT_FILE), text.as_bytes(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(ManagedConfig, Vec<String>), ConfigError> {
        parse_managed(text, Path::new("/etc/agentrec/agent.toml"))
    }

    #[test]
    fn full_document() {
        let (c, warnings) = parse(
            r#"
            server_url = "https://rec.example.com"
            enrollment_token = "tok-123"
            autostart = false
            [local_api]
            port = 0
            allowed_origins = ["https://crm.example.com", "http://localhost:8080"]
            "#,
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(c.server_url.as_deref(), Some("https://rec.example.com"));
        assert_eq!(c.local_api.port, 0);
        assert_eq!(c.local_api.allowed_origins.len(), 2);
        assert_eq!(c.autostart, Some(false));
    }

    #[test]
    fn empty_document_is_all_defaults() {
        let (c, _) = parse("").unwrap();
        assert_eq!(c, ManagedConfig::default());
        assert_eq!(c.local_api.port, DEFAULT_LOCAL_API_PORT);
        assert!(c.local_api.enabled);
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let (c, warnings) = parse("server_urll = \"x\"\n[local_api]\nprot = 1\n").unwrap();
        assert_eq!(c.server_url, None);
        assert_eq!(
            warnings,
            vec![
                "unknown setting `local_api.prot` ignored",
                "unknown setting `server_urll` ignored"
            ]
        );
    }

    #[test]
    fn bad_documents_name_the_problem() {
        let err = parse("server_url = ").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
        let err = parse("autostart = true\n\nserver_url = ").unwrap_err();
        assert!(err.to_string().contains("line 3: "), "{err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
        let err = parse("[local_api]\nport = \"eighty\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("line 2: invalid type: string \"eighty\""),
            "{err}"
        );
        let err = parse("server_url = \"ftp://rec.example.com\"").unwrap_err();
        assert!(err.to_string().contains("server_url"), "{err}");
        let err = parse("server_url = \"not a url\"").unwrap_err();
        assert!(err.to_string().contains("not a URL"), "{err}");
        let err = parse("enrollment_token = \"  \"").unwrap_err();
        assert!(err.to_string().contains("enrollment_token"), "{err}");
        let err =
            parse("[local_api]\nallowed_origins = [\"https://crm.example.com/app\"]").unwrap_err();
        assert!(err.to_string().contains("not an origin"), "{err}");
    }

    #[test]
    fn absent_unreadable_and_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_managed(&dir.path().join("none.toml")),
            ManagedLoad::Absent
        ));
        // A directory where the file should be cannot be read as one.
        assert!(matches!(
            load_managed(dir.path()),
            ManagedLoad::Broken(ConfigError::Unreadable { .. })
        ));
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, "[[[").unwrap();
        assert!(matches!(
            load_managed(&path),
            ManagedLoad::Broken(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn user_enrollment_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_user_enrollment(dir.path()).unwrap(), None);
        let e = UserEnrollment {
            server_url: "https://rec.example.com".into(),
        };
        save_user_enrollment(dir.path(), &e).unwrap();
        assert_eq!(load_user_enrollment(dir.path()).unwrap(), Some(e));
        std::fs::write(dir.path().join(USER_ENROLLMENT_FILE), "server_url = 3").unwrap();
        assert!(load_user_enrollment(dir.path()).is_err());
    }
}
