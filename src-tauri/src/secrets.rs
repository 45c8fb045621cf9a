//! Secrets in the OS keyring: the device credential the server issues at enrollment, the
//! enrollment token an agent typed in, and the spool encryption key (random, 256 bits,
//! created on first run).
//!
//! Backends: Windows Credential Manager, macOS Keychain; on Linux the Secret Service (desktop
//! sessions, persistent) when one answers on the session bus, else the kernel keyutils store
//! (headless machines; it lives as long as the session keyring, so CI runs under
//! `keyctl session`). `AGENTREC_KEYRING=keyutils|secret-service` forces the Linux choice.

use std::fmt;

use keyring::credential::CredentialBuilder;
use keyring::{Entry, Error as KeyringError};

/// Forces the Linux keyring backend.
pub const KEYRING_ENV: &str = "AGENTREC_KEYRING";
/// Overrides the keyring service name (tests use their own, so they never see real secrets).
pub const SERVICE_ENV: &str = "AGENTREC_KEYRING_SERVICE";
const DEFAULT_SERVICE: &str = "agentrec";

const DEVICE_CREDENTIAL: &str = "device-credential";
const ENROLLMENT_TOKEN: &str = "enrollment-token";
const SPOOL_KEY: &str = "spool-key";
const VIEWER_CREDENTIALS: &str = "viewer-credentials";

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The keyring cannot be reached (no Secret Service, locked, no session keyring).
    #[error("the {backend} keyring is not available: {source}")]
    Unavailable {
        /// Which backend.
        backend: &'static str,
        /// What it said.
        source: KeyringError,
    },
    /// A stored value is not what the app wrote (e.g. a spool key of the wrong size).
    #[error("the keyring entry {entry:?} is corrupt: {detail}")]
    Corrupt {
        /// The entry.
        entry: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// No randomness from the OS.
    #[error("no randomness from the OS: {0}")]
    Random(String),
}

/// The 256-bit key that encrypts the spool. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SpoolKey(pub [u8; 32]);

impl fmt::Debug for SpoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpoolKey(..)")
    }
}

/// The app's entries in the OS keyring.
pub struct Secrets {
    builder: Box<CredentialBuilder>,
    backend: &'static str,
    service: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("backend", &self.backend)
            .field("service", &self.service)
            .finish()
    }
}

impl Secrets {
    /// Opens the OS keyring under the service name from `AGENTREC_KEYRING_SERVICE` or
    /// `agentrec`.
    pub fn open() -> Self {
        let service = std::env::var(SERVICE_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SERVICE.to_owned());
        let (backend, builder) = choose_backend(std::env::var(KEYRING_ENV).ok().as_deref());
        Secrets {
            builder,
            backend,
            service,
        }
    }

    /// The backend in use, for logs and the status window.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    fn entry(&self, name: &'static str) -> Result<Entry, SecretsError> {
        let credential = self
            .builder
            .build(None, &self.service, name)
            .map_err(|source| self.unavailable(source))?;
        Ok(Entry::new_with_credential(credential))
    }

    fn unavailable(&self, source: KeyringError) -> SecretsError {
        SecretsError::Unavailable {
            backend: self.backend,
            source,
        }
    }

    fn get(&self, name: &'static str) -> Result<Option<String>, SecretsError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(KeyringError::BadEncoding(_)) => Err(SecretsError::Corrupt {
                entry: name,
                detail: "not UTF-8".to_owned(),
            }),
            Err(e) => Err(self.unavailable(e)),
        }
    }

    fn set(&self, name: &'static str, value: &str) -> Result<(), SecretsError> {
        self.entry(name)?
            .set_password(value)
            .map_err(|e| self.unavailable(e))
    }

    fn delete(&self, name: &'static str) -> Result<(), SecretsError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(self.unavailable(e)),
        }
    }

    /// The credential the server issued at enrollment, if enrolled.
    pub fn device_credential(&self) -> Result<Option<String>, SecretsError> {
        self.get(DEVICE_CREDENTIAL)
    }

    /// Stores the device credential after a successful enrollment.
    pub fn set_device_credential(&self, credential: &str) -> Result<(), SecretsError> {
        self.set(DEVICE_CREDENTIAL, credential)
    }

    /// Forgets the device credential (the server revoked it: enroll again).
    pub fn delete_device_credential(&self) -> Result<(), SecretsError> {
        self.delete(DEVICE_CREDENTIAL)
    }

    /// The enrollment token the agent typed in the first-run window.
    pub fn enrollment_token(&self) -> Result<Option<String>, SecretsError> {
        self.get(ENROLLMENT_TOKEN)
    }

    /// Stores the enrollment token the agent typed in.
    pub fn set_enrollment_token(&self, token: &str) -> Result<(), SecretsError> {
        self.set(ENROLLMENT_TOKEN, token)
    }

    /// The supervisor viewer's sign-in (JSON: server URL and the user's API token).
    pub fn viewer_credentials(&self) -> Result<Option<String>, SecretsError> {
        self.get(VIEWER_CREDENTIALS)
    }

    /// Stores the supervisor viewer's sign-in.
    pub fn set_viewer_credentials(&self, json: &str) -> Result<(), SecretsError> {
        self.set(VIEWER_CREDENTIALS, json)
    }

    /// Forgets the supervisor viewer's sign-in.
    pub fn delete_viewer_credentials(&self) -> Result<(), SecretsError> {
        self.delete(VIEWER_CREDENTIALS)
    }

    /// The spool key, created (random) and stored on first use.
    pub fn spool_key_or_create(&self) -> Result<SpoolKey, SecretsError> {
        if let Some(hex_key) = self.get(SPOOL_KEY)? {
            let bytes = hex::decode(hex_key.trim()).map_err(|e| SecretsError::Corrupt {
                entry: SPOOL_KEY,
                detail: e.to_string(),
            })?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|b: Vec<u8>| SecretsError::Corrupt {
                    entry: SPOOL_KEY,
                    detail: format!("{} bytes instead of 32", b.len()),
                })?;
            return Ok(SpoolKey(key));
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| SecretsError::Random(e.to_string()))?;
        self.set(SPOOL_KEY, &hex::encode(key))?;
        // Read it back: a keyring that accepts writes but cannot return them (keyutils
        // without a session keyring) would otherwise lose the key, and the spool with it.
        match self.get(SPOOL_KEY)? {
            Some(stored) if stored == hex::encode(key) => Ok(SpoolKey(key)),
            _ => Err(self.unavailable(KeyringError::NoStorageAccess(
                "the key was saved but cannot be read back (no session keyring?)".into(),
            ))),
        }
    }

    #[cfg(test)]
    pub(crate) fn set_raw_for_test(&self, name: &'static str, value: &str) {
        if let Err(e) = self.set(name, value) {
            panic!("{e}");
        }
    }
}

/// Picks the keyring backend for this OS (and, on Linux, for this session).
#[cfg(target_os = "linux")]
fn choose_backend(forced: Option<&str>) -> (&'static str, Box<CredentialBuilder>) {
    let keyutils = || ("keyutils", keyring::keyutils::default_credential_builder());
    let secret_service = || {
        (
            "secret-service",
            keyring::secret_service::default_credential_builder(),
        )
    };
    match forced {
        Some("keyutils") => keyutils(),
        Some("secret-service") => secret_service(),
        _ => {
            // A Secret Service that answers a lookup (even "no entry") is usable.
            let (name, builder) = secret_service();
            let answers = builder
                .build(None, DEFAULT_SERVICE, "probe")
                .map(|c| Entry::new_with_credential(c).get_password())
                .is_ok_and(|r| matches!(r, Ok(_) | Err(KeyringError::NoEntry)));
            if answers {
                (name, builder)
            } else {
                tracing::info!("no Secret Service on the session bus: using the keyutils store");
                keyutils()
            }
        }
    }
}

#[cfg(target_os = "windows")]
fn choose_backend(_forced: Option<&str>) -> (&'static str, Box<CredentialBuilder>) {
    (
        "Windows Credential Manager",
        keyring::windows::default_credential_builder(),
    )
}

#[cfg(target_os = "macos")]
fn choose_backend(_forced: Option<&str>) -> (&'static str, Box<CredentialBuilder>) {
    (
        "macOS Keychain",
        keyring::macos::default_credential_builder(),
    )
}

/// Against the real keyutils store, inside a fresh session keyring: each test re-runs itself
/// under `keyctl session -` (as CI and `scripts/run.sh` run the app), so entries never leak
/// between tests or into the developer's keyring.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    const INSIDE: &str = "AGENTREC_TEST_IN_SESSION_KEYRING";

    /// Runs `body` inside a new session keyring; returns false when the caller is the outer
    /// process (which has already checked the inner run passed).
    fn in_session_keyring(test: &str) -> bool {
        if std::env::var_os(INSIDE).is_some() {
            return true;
        }
        let exe = std::env::current_exe().expect("the test binary knows its path");
        let out = std::process::Command::new("keyctl")
            .args(["session", "-"])
            .arg(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(INSIDE, "1")
            .output()
            .expect("keyctl (package keyutils) runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "inner run failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        false
    }

    fn secrets(service: &str) -> Secrets {
        let (backend, builder) = choose_backend(Some("keyutils"));
        Secrets {
            builder,
            backend,
            service: service.to_owned(),
        }
    }

    #[test]
    fn an_empty_keyring_has_no_entries_and_that_is_not_an_error() {
        if !in_session_keyring(
            "secrets::tests::an_empty_keyring_has_no_entries_and_that_is_not_an_error",
        ) {
            return;
        }
        let s = secrets("agentrec-test-empty");
        assert_eq!(s.device_credential().unwrap(), None);
        assert_eq!(s.enrollment_token().unwrap(), None);
        s.delete_device_credential().unwrap();
    }

    #[test]
    fn device_credential_round_trips_and_can_be_revoked() {
        if !in_session_keyring("secrets::tests::device_credential_round_trips_and_can_be_revoked") {
            return;
        }
        let s = secrets("agentrec-test-cred");
        s.set_device_credential("dev-cred-1").unwrap();
        assert_eq!(
            s.device_credential().unwrap().as_deref(),
            Some("dev-cred-1")
        );
        s.delete_device_credential().unwrap();
        assert_eq!(s.device_credential().unwrap(), None);
    }

    #[test]
    fn viewer_credentials_round_trip_and_sign_out_forgets_them() {
        if !in_session_keyring(
            "secrets::tests::viewer_credentials_round_trip_and_sign_out_forgets_them",
        ) {
            return;
        }
        let s = secrets("agentrec-test-viewer");
        assert_eq!(s.viewer_credentials().unwrap(), None);
        let json = r#"{"server":"https://rec.example","token":"ar_tok_1"}"#;
        s.set_viewer_credentials(json).unwrap();
        assert_eq!(s.viewer_credentials().unwrap().as_deref(), Some(json));
        s.delete_viewer_credentials().unwrap();
        assert_eq!(s.viewer_credentials().unwrap(), None);
    }

    #[test]
    fn the_spool_key_is_created_once_and_kept() {
        if !in_session_keyring("secrets::tests::the_spool_key_is_created_once_and_kept") {
            return;
        }
        let s = secrets("agentrec-test-spool");
        let first = s.spool_key_or_create().unwrap();
        assert_ne!(first.0, [0u8; 32]);
        assert_eq!(format!("{first:?}"), "SpoolKey(..)");
        let again = secrets("agentrec-test-spool")
            .spool_key_or_create()
            .unwrap();
        assert_eq!(first, again, "a second start finds the same key");
        let other = secrets("agentrec-test-spool-2")
            .spool_key_or_create()
            .unwrap();
        assert_ne!(first, other);
    }

    #[test]
    fn a_corrupt_spool_key_is_reported_not_replaced() {
        if !in_session_keyring("secrets::tests::a_corrupt_spool_key_is_reported_not_replaced") {
            return;
        }
        let s = secrets("agentrec-test-corrupt");
        s.set_raw_for_test(SPOOL_KEY, "abcd");
        let err = s.spool_key_or_create().unwrap_err();
        assert!(err.to_string().contains("2 bytes instead of 32"), "{err}");
        s.set_raw_for_test(SPOOL_KEY, "not hex at all");
        assert!(matches!(
            s.spool_key_or_create(),
            Err(SecretsError::Corrupt { .. })
        ));
    }
}
