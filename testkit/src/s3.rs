//! A real S3-compatible server for tests: the `s3s-fs` binary (installed by
//! `scripts/setup.d/30-ingest.sh`), on a free 127.0.0.1 port, with its buckets as directories
//! of a temporary root. It checks SigV4 signatures and checksums. Killed and deleted on drop.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{Child, TestkitError, free_port, wait_until};

/// A running S3 server.
#[derive(Debug)]
pub struct S3Server {
    child: Option<Child>,
    root: PathBuf,
    port: u16,
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

impl S3Server {
    /// Starts `s3s-fs`.
    pub fn start() -> Result<S3Server, TestkitError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir().join(format!("agentrec-s3-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&root)?;
        let port = free_port()?;
        let (access_key, secret_key) = (
            "agentrec-test".to_owned(),
            "agentrec-test-secret".to_owned(),
        );
        let log = root.with_extension("log");
        let program = std::env::var_os("S3S_FS").unwrap_or_else(|| "s3s-fs".into());
        let mut command = Command::new(program);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        let child = Child::spawn("s3s-fs", command)?;
        wait_until("s3s-fs", Duration::from_secs(15), Some(&log), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(S3Server {
            child: Some(child),
            root,
            port,
            access_key,
            secret_key,
        })
    }

    /// Endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (a directory of the root).
    pub fn create_bucket(&self, name: &str) -> Result<(), TestkitError> {
        std::fs::create_dir_all(self.root.join(name))?;
        Ok(())
    }

    /// Where a bucket's objects are on disk (for assertions).
    pub fn bucket_dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Starts the server again on the same port and data, after [`S3Server::stop`].
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = self.root.with_extension("log");
        let program = std::env::var_os("S3S_FS").unwrap_or_else(|| "s3s-fs".into());
        let mut command = Command::new(program);
        command
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--access-key",
                &self.access_key,
                "--secret-key",
                &self.secret_key,
            ])
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        let child = Child::spawn("s3s-fs", command)?;
        let port = self.port;
        wait_until("s3s-fs", Duration::from_secs(15), Some(&log), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the server, as when the object store goes down under the app.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = std::fs::remove_file(self.root.with_extension("log"));
    }
}
