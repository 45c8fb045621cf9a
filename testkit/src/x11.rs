//! A real X server for tests: Xvfb with one wide screen split into RandR monitors (as
//! `xrandr --setmonitor` does on a multi-head desktop), and a painter that puts known
//! content on each monitor.
//!
//! Each server gets its own display number, so tests can run in parallel.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ConnectionExt as _, CreateWindowAux, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

use crate::process::{Child, TestkitError, wait_until};

static NEXT_DISPLAY: AtomicU32 = AtomicU32::new(0);

/// A monitor as set with `xrandr --setmonitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A running Xvfb, killed on drop.
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    display: String,
}

fn run(cmd: &mut Command) -> Result<String, TestkitError> {
    let out = cmd.output().map_err(|source| TestkitError::NotInstalled {
        program: format!("{:?}", cmd.get_program()),
        source,
    })?;
    if !out.status.success() {
        return Err(TestkitError::Command {
            command: format!("{cmd:?}"),
            message: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Xvfb {
    /// Xvfb with one `width`×`height` screen and no RandR monitors set yet (`-noreset`, so
    /// monitors survive clients leaving).
    pub fn start(width: u32, height: u32) -> Result<Xvfb, TestkitError> {
        let base = 200 + (std::process::id() % 300) * 10;
        for _ in 0..20 {
            let n = base + NEXT_DISPLAY.fetch_add(1, Ordering::Relaxed) % 1000;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{n}");
            let mut cmd = Command::new("Xvfb");
            cmd.args([
                display.as_str(),
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-noreset",
                "-nolisten",
                "tcp",
            ]);
            cmd.stderr(std::process::Stdio::null());
            let mut child = Child::spawn("Xvfb", cmd)?;
            let socket = format!("/tmp/.X11-unix/X{n}");
            let ready = wait_until("Xvfb", Duration::from_secs(10), None, || {
                Path::new(&socket).exists() || child.has_exited()
            });
            if ready.is_ok() && !child.has_exited() {
                let x = Xvfb { child, display };
                wait_until("X connection", Duration::from_secs(10), None, || {
                    x.connect().is_ok()
                })?;
                return Ok(x);
            }
        }
        Err(TestkitError::NotReady {
            what: "a free X display".into(),
            waited: Duration::from_secs(10),
            log_tail: None,
        })
    }

    /// Xvfb with a 7680×1080 screen split into four 1920×1080 RandR monitors MON0–MON3
    /// (MON0 takes the `screen` output so that no fifth monitor appears).
    pub fn four_monitors() -> Result<Xvfb, TestkitError> {
        let x = Xvfb::start(7680, 1080)?;
        for i in 0..4 {
            x.set_monitor(i)?;
        }
        Ok(x)
    }

    /// The display name (`:N`).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The rectangle of monitor `MONi` in the four-monitor layout.
    pub fn monitor_rect(i: usize) -> Rect {
        Rect {
            x: i as i32 * 1920,
            y: 0,
            width: 1920,
            height: 1080,
        }
    }

    /// Creates monitor `MONi` (1920×1080 at i×1920).
    pub fn set_monitor(&self, i: usize) -> Result<(), TestkitError> {
        let (name, output) = if i == 0 {
            ("*MON0".to_owned(), "screen")
        } else {
            (format!("MON{i}"), "none")
        };
        run(Command::new("xrandr").args([
            "-display",
            &self.display,
            "--setmonitor",
            &name,
            &format!("1920/508x1080/286+{}+0", i * 1920),
            output,
        ]))
        .map(drop)
    }

    /// Deletes monitor `MONi`.
    pub fn delete_monitor(&self, i: usize) -> Result<(), TestkitError> {
        run(Command::new("xrandr").args([
            "-display",
            &self.display,
            "--delmonitor",
            &format!("MON{i}"),
        ]))
        .map(drop)
    }

    /// `xrandr --listmonitors` output.
    pub fn list_monitors(&self) -> Result<String, TestkitError> {
        run(Command::new("xrandr").args(["-display", &self.display, "--listmonitors"]))
    }

    /// A client connection.
    pub fn connect(&self) -> Result<RustConnection, TestkitError> {
        x11rb::connect(Some(&self.display))
            .map(|(c, _)| c)
            .map_err(|e| TestkitError::Command {
                command: format!("connect {}", self.display),
                message: e.to_string(),
            })
    }

    /// A painter drawing on this server.
    pub fn painter(&self) -> Result<Painter, TestkitError> {
        let conn = self.connect()?;
        let root = conn.setup().roots[0].root;
        Ok(Painter {
            conn,
            root,
            windows: Vec::new(),
        })
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Paints solid rectangles with override-redirect windows (no window manager needed).
#[derive(Debug)]
pub struct Painter {
    conn: RustConnection,
    root: Window,
    windows: Vec<(Rect, Window)>,
}

fn x_err(e: impl std::fmt::Display) -> TestkitError {
    TestkitError::Command {
        command: "X request".into(),
        message: e.to_string(),
    }
}

/// `0xRRGGBB` for a 24-bit TrueColor visual.
pub fn rgb(r: u8, g: u8, b: u8) -> u32 {
    (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)
}

impl Painter {
    /// Fills `rect` with `colour` (`0xRRGGBB`) and waits until the server has done it.
    pub fn fill(&mut self, rect: Rect, colour: u32) -> Result<(), TestkitError> {
        let existing = self
            .windows
            .iter()
            .find(|(r, _)| *r == rect)
            .map(|(_, w)| *w);
        let win = match existing {
            Some(w) => {
                self.conn
                    .change_window_attributes(
                        w,
                        &ChangeWindowAttributesAux::new().background_pixel(colour),
                    )
                    .map_err(x_err)?;
                self.conn.clear_area(true, w, 0, 0, 0, 0).map_err(x_err)?;
                w
            }
            None => {
                let w = self.conn.generate_id().map_err(x_err)?;
                self.conn
                    .create_window(
                        0,
                        w,
                        self.root,
                        rect.x as i16,
                        rect.y as i16,
                        rect.width as u16,
                        rect.height as u16,
                        0,
                        WindowClass::INPUT_OUTPUT,
                        0,
                        &CreateWindowAux::new()
                            .background_pixel(colour)
                            .override_redirect(1),
                    )
                    .map_err(x_err)?;
                self.conn.map_window(w).map_err(x_err)?;
                self.windows.push((rect, w));
                w
            }
        };
        let _ = win;
        self.conn.flush().map_err(x_err)?;
        self.sync()
    }

    /// Waits until the server processed every request sent so far.
    pub fn sync(&self) -> Result<(), TestkitError> {
        self.conn
            .get_input_focus()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(())
    }
}
