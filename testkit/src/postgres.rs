//! A throwaway PostgreSQL cluster from Debian's packages: `initdb` into a temporary
//! directory, `postgres` in the foreground on a free 127.0.0.1 port with trust auth. Stopped
//! (fast shutdown) and deleted on drop. As root, both run as the `postgres` user, since
//! `initdb` refuses to run as root.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{Child, TestkitError, free_port, wait_until};

/// A running cluster.
#[derive(Debug)]
pub struct Postgres {
    child: Option<Child>,
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn pg_bin() -> Result<PathBuf, TestkitError> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|source| TestkitError::NotInstalled {
            program: "postgresql (/usr/lib/postgresql)".to_owned(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| TestkitError::NotInstalled {
        program: "postgres".to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })
}

fn is_root() -> bool {
    #[allow(unsafe_code)]
    // SAFETY: geteuid has no preconditions and touches no memory.
    unsafe {
        libc::geteuid() == 0
    }
}

/// `program args…`, as the postgres user when we are root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), TestkitError> {
    let out = command.stdin(Stdio::null()).output().map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            TestkitError::NotInstalled {
                program: what.to_owned(),
                source,
            }
        } else {
            TestkitError::Io(source)
        }
    })?;
    if !out.status.success() {
        return Err(TestkitError::Command {
            command: what.to_owned(),
            message: format!(
                "{}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

impl Postgres {
    /// Initializes and starts a cluster (a few seconds).
    pub fn start() -> Result<Postgres, TestkitError> {
        let bin = pg_bin()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("agentrec-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&dir);
            run(chown, "chown")?;
        }
        let data = dir.join("data");
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(initdb, "initdb")?;
        let port = free_port()?;
        let log = dir.join("postgres.log");
        let mut server = as_postgres(&bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-k")
            .arg(&dir)
            // A test cluster: durability is not what is under test here.
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=200",
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(dir.join("postgres.err"))?);
        let child = Child::spawn("postgres", server)?;
        let pg = Postgres {
            child: Some(child),
            dir,
            bin,
            port,
        };
        let err = pg.dir.join("postgres.err");
        wait_until("postgres", Duration::from_secs(30), Some(&err), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && Command::new(pg.bin.join("pg_isready"))
                    .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
                    .status()
                    .is_ok_and(|s| s.success())
        })?;
        Ok(pg)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name`.
    pub fn create_database(&self, name: &str) -> Result<(), TestkitError> {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-q",
            "-c",
        ])
        .arg(format!("CREATE DATABASE \"{name}\""));
        run(psql, "psql")
    }

    /// Stops the server (fast shutdown), as when the database goes down under the app.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.signal(libc::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && !child.has_exited() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
