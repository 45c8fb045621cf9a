//! Spawning helper processes that never outlive the test, and waiting for them to be ready.

use std::io;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Why a test server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The program is not installed (run `scripts/setup.sh`).
    #[error("{program} not found: run scripts/setup.sh ({source})")]
    NotInstalled {
        /// The program.
        program: String,
        /// What spawning said.
        source: io::Error,
    },
    /// The server did not become ready in time.
    #[error("{what} not ready after {waited:?}{}", log_tail.as_deref().map(|l| format!("; log:\n{l}")).unwrap_or_default())]
    NotReady {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The end of the server's log, if it has one.
        log_tail: Option<String>,
    },
    /// A setup command failed.
    #[error("{command} failed: {message}")]
    Command {
        /// The command.
        command: String,
        /// Its output or status.
        message: String,
    },
    /// Any other I/O error.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A child process in its own process group, killed (with its children) on drop.
#[derive(Debug)]
pub struct Child {
    inner: std::process::Child,
    name: String,
}

impl Child {
    /// Spawns `command` in a new process group.
    pub fn spawn(name: &str, mut command: Command) -> Result<Child, TestkitError> {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let inner = command.spawn().map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                TestkitError::NotInstalled {
                    program: format!("{:?}", command.get_program()),
                    source,
                }
            } else {
                TestkitError::Io(source)
            }
        })?;
        Ok(Child {
            inner,
            name: name.to_owned(),
        })
    }

    /// The process id (also its process group id).
    pub fn id(&self) -> u32 {
        self.inner.id()
    }

    /// The name given at spawn, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.inner.try_wait(), Ok(Some(_)))
    }

    /// Sends `signal` to the whole process group.
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        let pgid = libc::pid_t::try_from(self.inner.id())
            .map_err(|_| io::Error::other("pid out of range"))?;
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(-pgid, signal) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Kills the process group with SIGKILL and reaps the child.
    pub fn kill(&mut self) {
        let _ = self.signal(libc::SIGKILL);
        let _ = self.inner.wait();
    }

    /// Asks the process group to stop (SIGTERM) and waits up to `grace` before killing it.
    pub fn terminate(&mut self, grace: Duration) {
        let _ = self.signal(libc::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.has_exited() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, TestkitError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Polls `ready` every 50 ms until it returns true or `timeout` passes.
pub fn wait_until(
    what: &str,
    timeout: Duration,
    log: Option<&Path>,
    mut ready: impl FnMut() -> bool,
) -> Result<(), TestkitError> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            let log_tail = log.and_then(|p| std::fs::read_to_string(p).ok()).map(|s| {
                let lines: Vec<&str> = s.lines().collect();
                lines[lines.len().saturating_sub(20)..].join("\n")
            });
            return Err(TestkitError::NotReady {
                what: what.to_owned(),
                waited: timeout,
                log_tail,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Live (not zombie) processes whose process group is `pgid`.
    fn live_members(pgid: u32) -> Vec<String> {
        let mut live = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // stat is "pid (comm) state ppid pgrp …"; comm may hold spaces, so split after ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.get(2) == Some(&pgid.to_string().as_str()) && fields.first() != Some(&"Z") {
                live.push(stat);
            }
        }
        live
    }

    #[test]
    fn dropping_a_child_kills_its_process_group() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & sleep 60"]);
        let child = Child::spawn("sleepers", cmd).unwrap();
        let pgid = child.id();
        wait_until("both sleepers", Duration::from_secs(5), None, || {
            live_members(pgid).len() >= 2
        })
        .unwrap();
        drop(child);
        // The orphaned background sleep is reaped by PID 1 whenever it gets to it: until then
        // it is a zombie, which is dead. Only live members would mean the kill missed them.
        wait_until("no live member", Duration::from_secs(5), None, || {
            live_members(pgid).is_empty()
        })
        .unwrap_or_else(|e| panic!("{e}: {:?}", live_members(pgid)));
    }

    #[test]
    fn missing_program_says_how_to_install() {
        let err = Child::spawn("nope", Command::new("agentrec-no-such-program")).unwrap_err();
        assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
    }

    #[test]
    fn wait_until_times_out_with_the_log_tail() {
        let dir = std::env::temp_dir().join(format!("testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        std::fs::write(&log, "line one\nfatal: no socket\n").unwrap();
        let err =
            wait_until("server", Duration::from_millis(100), Some(&log), || false).unwrap_err();
        assert!(err.to_string().contains("fatal: no socket"), "{err}");
        assert!(wait_until("x", Duration::from_secs(1), None, || true).is_ok());
    }
}
