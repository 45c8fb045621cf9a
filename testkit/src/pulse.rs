//! A real, headless PulseAudio for tests: a null sink `speaker` (what the agent hears; its
//! monitor is the "system" side), a null sink `micsrc` remapped as the source `vmic` (the
//! agent's microphone), in its own runtime directory so tests can run in parallel.
//!
//! cpal's PulseAudio host finds the server only through `PULSE_SERVER` /
//! `XDG_RUNTIME_DIR` in the environment: pass [`PulseServer::env`] to the process under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::process::{Child, TestkitError, wait_until};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A running PulseAudio, killed on drop (its runtime directory is removed).
#[derive(Debug)]
pub struct PulseServer {
    child: Child,
    runtime_dir: PathBuf,
}

impl PulseServer {
    /// Starts the server with the `speaker`, `micsrc` sinks and the `vmic` source.
    pub fn start() -> Result<PulseServer, TestkitError> {
        let runtime_dir = std::env::temp_dir().join(format!(
            "agentrec-pulse-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&runtime_dir);
        std::fs::create_dir_all(&runtime_dir)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let log = runtime_dir.join("pulse.log");
        let mut cmd = Command::new("pulseaudio");
        cmd.env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("HOME", &runtime_dir)
            .env_remove("PULSE_SERVER")
            .args([
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit=yes",
                "-n",
                &format!("--log-target=file:{}", log.display()),
                "--load=module-native-protocol-unix",
                "--load=module-null-sink sink_name=speaker rate=48000",
                "--load=module-null-sink sink_name=micsrc rate=48000",
                "--load=module-remap-source master=micsrc.monitor source_name=vmic",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = Child::spawn("pulseaudio", cmd)?;
        let mut server = PulseServer { child, runtime_dir };
        wait_until("pulseaudio", Duration::from_secs(15), Some(&log), || {
            server.child.has_exited() || server.pactl(&["info"]).is_ok()
        })?;
        if server.child.has_exited() {
            return Err(TestkitError::NotReady {
                what: "pulseaudio (exited)".into(),
                waited: Duration::ZERO,
                log_tail: std::fs::read_to_string(&log).ok(),
            });
        }
        Ok(server)
    }

    /// Runs `pactl` against this server.
    pub fn pactl(&self, args: &[&str]) -> Result<String, TestkitError> {
        let mut c = Command::new("pactl");
        self.apply_env(&mut c);
        let out = c.args(args).output()?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(TestkitError::Command {
                command: format!("pactl {args:?}"),
                message: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }

    /// The environment a client needs to reach this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "XDG_RUNTIME_DIR".into(),
                self.runtime_dir.display().to_string(),
            ),
            (
                "PULSE_SERVER".into(),
                format!(
                    "unix:{}",
                    self.runtime_dir.join("pulse").join("native").display()
                ),
            ),
        ]
    }

    /// Sets [`PulseServer::env`] on a command.
    pub fn apply_env(&self, cmd: &mut Command) {
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
    }

    /// The default sink is `speaker` and the default source `vmic`.
    pub fn set_defaults(&self) -> Result<(), TestkitError> {
        self.pactl(&["set-default-sink", "speaker"])?;
        self.pactl(&["set-default-source", "vmic"]).map(drop)
    }

    /// Plays a WAV file into a sink (`speaker` = the customer, `micsrc` = the agent).
    pub fn play(&self, sink: &str, wav: &Path) -> Result<Child, TestkitError> {
        let mut c = Command::new("paplay");
        self.apply_env(&mut c);
        c.args(["--latency-msec=20", "-d", sink]).arg(wav);
        Child::spawn("paplay", c)
    }

    /// The runtime directory.
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime_dir
    }
}

impl Drop for PulseServer {
    fn drop(&mut self) {
        self.child.kill();
        let _ = std::fs::remove_dir_all(&self.runtime_dir);
    }
}

/// Speaks `text` into a WAV file with espeak-ng.
pub fn speak_to_wav(text: &str, wav: &Path) -> Result<(), TestkitError> {
    let out = Command::new("espeak-ng")
        .arg("-w")
        .arg(wav)
        .arg(text)
        .output()
        .map_err(|source| TestkitError::NotInstalled {
            program: "espeak-ng".into(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestkitError::Command {
            command: "espeak-ng".into(),
            message: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}
