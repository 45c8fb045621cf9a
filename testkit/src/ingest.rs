//! A real `agentrec-ingest` server for tests: the binary, on a free 127.0.0.1 port, with its
//! embedded default (SQLite + media directory) in a temporary data directory, or with an
//! S3-compatible store. It can be stopped and started again on the same port and data, as
//! when the server goes down under an agent, and is killed (and its data deleted) on drop.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{Child, TestkitError, free_port, wait_until};

/// Builds (once per test process) a binary of this workspace with cargo and returns its path.
/// `AGENTREC_<BIN>_BIN` (upper case, `-` as `_`) overrides it.
pub fn workspace_bin(package: &str, bin: &str) -> Result<PathBuf, TestkitError> {
    let var = format!("{}_BIN", bin.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&var) {
        return Ok(PathBuf::from(path));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .stdout(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(TestkitError::Command {
            command: format!("cargo build -p {package} --bin {bin}"),
            message: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(target_dir().join("debug").join(bin))
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // testkit/ is one level under the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), |root| root.join("target"))
}

/// The `agentrec-ingest` binary (built once per test process).
pub fn binary() -> Result<PathBuf, TestkitError> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        workspace_bin("agentrec-ingest", "agentrec-ingest").map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|message| TestkitError::Command {
        command: "building agentrec-ingest".into(),
        message,
    })
}

/// Where the server keeps its media.
#[derive(Debug, Clone, Default)]
pub enum Media {
    /// The data directory (embedded default).
    #[default]
    Local,
    /// An S3-compatible bucket.
    S3 {
        /// Endpoint URL.
        endpoint: String,
        /// Bucket.
        bucket: String,
        /// Access key id.
        access_key: String,
        /// Secret key.
        secret_key: String,
    },
}

/// A running (or stopped) ingest server.
#[derive(Debug)]
pub struct IngestServer {
    bin: PathBuf,
    data_dir: PathBuf,
    port: u16,
    media: Media,
    child: Option<Child>,
    /// An admin API token (from `bootstrap`).
    pub admin_token: String,
}

impl IngestServer {
    /// Bootstraps an admin and starts the server on the embedded default.
    pub fn start() -> Result<IngestServer, TestkitError> {
        IngestServer::start_with(Media::Local)
    }

    /// Bootstraps an admin and starts the server with `media`.
    pub fn start_with(media: Media) -> Result<IngestServer, TestkitError> {
        let bin = binary()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let data_dir =
            std::env::temp_dir().join(format!("agentrec-ingest-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&data_dir)?;
        let out = Command::new(&bin)
            .args(["bootstrap", "--email", "admin@example.com", "--data-dir"])
            .arg(&data_dir)
            .env_remove("AGENTREC_DATABASE_URL")
            .output()?;
        if !out.status.success() {
            return Err(TestkitError::Command {
                command: "agentrec-ingest bootstrap".into(),
                message: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let admin_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let mut server = IngestServer {
            bin,
            data_dir,
            port: free_port()?,
            media,
            child: None,
            admin_token,
        };
        server.start_again()?;
        Ok(server)
    }

    /// Starts the server again (same port, same data) after [`IngestServer::stop`].
    pub fn start_again(&mut self) -> Result<(), TestkitError> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = self.log_path();
        let mut cmd = Command::new(&self.bin);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env_remove("AGENTREC_DATABASE_URL")
            .env(
                "AGENTREC_LOG",
                std::env::var("AGENTREC_INGEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)?,
            );
        if let Media::S3 {
            endpoint,
            bucket,
            access_key,
            secret_key,
        } = &self.media
        {
            cmd.args(["--s3-endpoint", endpoint, "--s3-bucket", bucket])
                .args(["--s3-access-key", access_key, "--s3-secret-key", secret_key]);
        }
        let mut child = Child::spawn("agentrec-ingest", cmd)?;
        let port = self.port;
        wait_until(
            "agentrec-ingest",
            Duration::from_secs(20),
            Some(&log),
            || child.has_exited() || TcpStream::connect(("127.0.0.1", port)).is_ok(),
        )?;
        if child.has_exited() {
            return Err(TestkitError::NotReady {
                what: "agentrec-ingest (exited)".into(),
                waited: Duration::ZERO,
                log_tail: std::fs::read_to_string(&log).ok(),
            });
        }
        self.child = Some(child);
        Ok(())
    }

    /// Kills the server (SIGKILL), as when it crashes or its machine goes away.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>/api/v2`.
    pub fn api(&self) -> String {
        format!("{}/api/v2", self.url())
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Its log file (stderr of every run).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.with_extension("log")
    }

    /// The binary, e.g. for `simulate-call`.
    pub fn binary(&self) -> &Path {
        &self.bin
    }
}

impl Drop for IngestServer {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("AGENTREC_KEEP_TEST_DATA").is_none() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
            let _ = std::fs::remove_file(self.log_path());
        }
    }
}
