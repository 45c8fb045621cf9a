//! Deterministic test patterns behind the same traits as the real backends (feature
//! `synthetic`): for tests of the pipeline without an X server and for the benchmark's two
//! workloads, which must be identical on every run.
//!
//! - [`Workload::Typical`]: monitor 0 is a CRM form being filled in (a character every
//!   150 ms, a new page every 20 s), monitor 1 an idle desktop with a clock ticking every
//!   second, monitor 2 a chat window with a new line every 30 s, monitor 3 static.
//! - [`Workload::Busy`]: scrolling text on every monitor (10 lines per second).
//! - [`Workload::Pattern`]: one distinct solid colour per monitor and a counter square that
//!   changes once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use agentrec_core::MonitorId;
use agentrec_core::media::DesktopRect;

use crate::error::SourceError;
use crate::source::{
    AUDIO_RATE, AudioChunk, AudioSide, AudioSource, BgrxFrame, Damage, MonitorInfo, ScreenSource,
};

/// What the synthetic monitors show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// One active CRM monitor, three mostly static.
    Typical,
    /// Scrolling text on all monitors.
    Busy,
    /// Solid colours and a once-a-second counter (tests).
    Pattern,
}

/// The colours of [`Workload::Pattern`], as (B, G, R), by monitor index.
pub const PATTERN_COLOURS: [[u8; 3]; 4] = [[0, 0, 220], [0, 200, 0], [220, 0, 0], [0, 220, 220]];

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A synthetic screen with up to four 1920-wide monitors side by side.
#[derive(Debug)]
pub struct SyntheticScreen {
    workload: Workload,
    monitors: Vec<MonitorInfo>,
    start: Instant,
    manual_ms: Option<u64>,
    last_state: Vec<Option<u64>>,
}

impl SyntheticScreen {
    /// `count` monitors of `width`×`height` each, side by side.
    pub fn new(workload: Workload, count: usize, width: u32, height: u32) -> SyntheticScreen {
        let monitors = (0..count)
            .map(|i| MonitorInfo {
                id: MonitorId(format!("SYN{i}")),
                rect: DesktopRect {
                    x: (i as u32 * width) as i32,
                    y: 0,
                    width,
                    height,
                },
                primary: i == 0,
            })
            .collect();
        SyntheticScreen {
            workload,
            monitors,
            start: Instant::now(),
            manual_ms: None,
            last_state: vec![None; count],
        }
    }

    /// Drives the content from this time instead of the wall clock (benchmark).
    pub fn set_time_ms(&mut self, t_ms: u64) {
        self.manual_ms = Some(t_ms);
    }

    fn now_ms(&self) -> u64 {
        self.manual_ms
            .unwrap_or_else(|| self.start.elapsed().as_millis() as u64)
    }

    /// Removes monitor `index` (tests of unplugging).
    pub fn unplug(&mut self, index: usize) {
        if index < self.monitors.len() {
            self.monitors.remove(index);
            self.last_state.remove(index);
        }
    }

    /// What monitor `index` shows at `t_ms`, as a key (equal keys = identical content) and
    /// the area that changes when the key changes.
    pub fn state(&self, index: usize, t_ms: u64) -> (u64, u64) {
        let full = u64::from(
            self.monitors
                .first()
                .map_or(0, |m| m.rect.width * m.rect.height),
        );
        match (self.workload, index) {
            (Workload::Busy, _) => (t_ms / 100, full),
            (Workload::Pattern, _) => (t_ms / 1000, 64 * 64),
            (Workload::Typical, 0) => {
                let page = t_ms / 20_000;
                let typed = (t_ms % 20_000) / 150;
                let area = if (t_ms % 20_000) < 150 { full } else { 8 * 16 };
                ((page << 32) | typed, area)
            }
            (Workload::Typical, 1) => (t_ms / 1000, 8 * 16 * 8),
            (Workload::Typical, 2) => (t_ms / 30_000, 1200 * 16),
            (Workload::Typical, _) => (0, 0),
        }
    }

    /// Draws monitor `index` as it is at `t_ms`.
    pub fn render(&self, index: usize, t_ms: u64, frame: &mut BgrxFrame) {
        let (w, h) = self
            .monitors
            .get(index)
            .map_or((1920, 1080), |m| (m.rect.width, m.rect.height));
        frame.reshape(w, h);
        let mut canvas = Canvas { frame };
        match self.workload {
            Workload::Pattern => {
                let c = PATTERN_COLOURS[index % 4];
                canvas.fill(0, 0, w, h, c);
                let v = (t_ms / 1000 % 2 * 255) as u8;
                canvas.fill(16, 16, 64, 64, [v, v, v]);
            }
            Workload::Busy => {
                canvas.fill(0, 0, w, h, [30, 30, 30]);
                let first_line = t_ms / 100;
                for row in 0..h / 16 {
                    let line = first_line + u64::from(row);
                    let len = 40 + mix(line ^ (index as u64) << 40) % 180;
                    canvas.text(
                        8,
                        row * 16,
                        line ^ ((index as u64) << 48),
                        len.min(u64::from(w / 8 - 2)),
                        [200, 220, 200],
                    );
                }
            }
            Workload::Typical => self.render_typical(index, t_ms, &mut canvas, w, h),
        }
    }

    fn render_typical(&self, index: usize, t_ms: u64, c: &mut Canvas<'_>, w: u32, h: u32) {
        match index {
            0 => {
                let page = t_ms / 20_000;
                let typed = (t_ms % 20_000) / 150;
                c.fill(0, 0, w, h, [240, 240, 240]);
                let hdr = mix(page);
                c.fill(
                    0,
                    0,
                    w,
                    56,
                    [(hdr & 0x7f) as u8 + 60, (hdr >> 8 & 0x7f) as u8 + 60, 40],
                );
                c.text(24, 20, page * 7 + 1, 30, [255, 255, 255]);
                c.fill(0, 56, 260, h - 56, [225, 228, 232]);
                for item in 0..12 {
                    c.text(
                        20,
                        90 + item * 32,
                        page ^ (item as u64 + 100),
                        18,
                        [60, 60, 60],
                    );
                }
                // A form of 2 × 8 fields; fields fill in order, 12 characters each.
                for field in 0..16u64 {
                    let (col, row) = (field % 2, field / 2);
                    let (x, y) = (320 + col as u32 * 760, 110 + row as u32 * 110);
                    c.text(x, y, page * 1000 + field, 14, [90, 90, 90]);
                    c.fill(x, y + 24, 600, 40, [160, 160, 160]);
                    c.fill(x + 2, y + 26, 596, 36, [255, 255, 255]);
                    let chars = typed.saturating_sub(field * 12).min(12);
                    c.text(x + 10, y + 36, page * 5000 + field, chars, [20, 20, 20]);
                }
            }
            1 => {
                c.fill(0, 0, w, h, [120, 90, 40]);
                c.fill(200, 150, 900, 600, [250, 250, 250]);
                for row in 0..30 {
                    c.text(
                        220,
                        170 + row * 18,
                        9_000 + u64::from(row),
                        90,
                        [40, 40, 40],
                    );
                }
                c.fill(w - 120, h - 40, 120, 40, [20, 20, 20]);
                c.text(w - 110, h - 28, 77_000 + t_ms / 1000, 8, [255, 255, 255]);
            }
            2 => {
                c.fill(0, 0, w, h, [70, 70, 70]);
                c.fill(300, 100, 1300, 850, [245, 245, 245]);
                let lines = (t_ms / 30_000 + 5).min(45);
                for row in 0..lines {
                    c.text(
                        320,
                        120 + row as u32 * 18,
                        5_000 + row,
                        60 + mix(row) % 80,
                        [30, 30, 30],
                    );
                }
            }
            _ => {
                c.fill(0, 0, w, h, [90, 60, 30]);
                c.fill(100, 100, 600, 400, [230, 230, 230]);
                c.text(120, 120, 42, 60, [0, 0, 0]);
            }
        }
    }
}

struct Canvas<'a> {
    frame: &'a mut BgrxFrame,
}

impl Canvas<'_> {
    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, bgr: [u8; 3]) {
        let (fw, fh) = (self.frame.width, self.frame.height);
        let px = [bgr[0], bgr[1], bgr[2], 0];
        for row in y.min(fh)..(y + h).min(fh) {
            let start = row as usize * self.frame.stride + x.min(fw) as usize * 4;
            let end = row as usize * self.frame.stride + (x + w).min(fw) as usize * 4;
            if let Some(line) = self.frame.data.get_mut(start..end) {
                for p in line.chunks_exact_mut(4) {
                    p.copy_from_slice(&px);
                }
            }
        }
    }

    /// `len` pseudo-glyphs (8×16 cells, 6×10 dots) derived from `seed`.
    fn text(&mut self, x: u32, y: u32, seed: u64, len: u64, bgr: [u8; 3]) {
        for i in 0..len {
            let bits = mix(seed.wrapping_mul(31).wrapping_add(i));
            if bits.is_multiple_of(7) {
                continue; // a space
            }
            for dy in 0..10u32 {
                for dx in 0..6u32 {
                    if bits >> ((dy * 6 + dx) % 64) & 1 == 1 {
                        self.fill(x + i as u32 * 8 + dx, y + 3 + dy, 1, 1, bgr);
                    }
                }
            }
        }
    }
}

impl ScreenSource for SyntheticScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, SourceError> {
        Ok(self.monitors.clone())
    }

    fn poll_damage(&mut self) -> Result<Vec<Damage>, SourceError> {
        let t = self.now_ms();
        let mut out = Vec::new();
        for i in 0..self.monitors.len() {
            let (key, area) = self.state(i, t);
            if self.last_state[i] != Some(key) {
                let first = self.last_state[i].is_none();
                self.last_state[i] = Some(key);
                let m = &self.monitors[i];
                out.push(Damage {
                    monitor: m.id.clone(),
                    pixels: if first {
                        u64::from(m.rect.width * m.rect.height)
                    } else {
                        area
                    },
                });
            }
        }
        Ok(out)
    }

    fn capture(&mut self, monitor: &MonitorInfo, frame: &mut BgrxFrame) -> Result<(), SourceError> {
        let index = self
            .monitors
            .iter()
            .position(|m| m.id == monitor.id)
            .ok_or_else(|| SourceError::MonitorGone(monitor.id.clone()))?;
        self.render(index, self.now_ms(), frame);
        Ok(())
    }
}

/// A synthetic audio side: a sine tone in 20 ms chunks, paced by the wall clock.
#[derive(Debug)]
pub struct SyntheticAudio {
    side: AudioSide,
    tone_hz: f32,
    running: Option<(Arc<AtomicU64>, JoinHandle<()>)>,
}

impl SyntheticAudio {
    /// A tone of `tone_hz` on `side`.
    pub fn new(side: AudioSide, tone_hz: f32) -> SyntheticAudio {
        SyntheticAudio {
            side,
            tone_hz,
            running: None,
        }
    }
}

impl AudioSource for SyntheticAudio {
    fn side(&self) -> AudioSide {
        self.side
    }

    fn start(&mut self, out: flume::Sender<AudioChunk>) -> Result<(), SourceError> {
        self.stop();
        let stop = Arc::new(AtomicU64::new(0));
        let (side, hz, flag) = (self.side, self.tone_hz, Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("synthetic-audio".into())
            .spawn(move || {
                let start = Instant::now();
                let mut n = 0u64;
                while flag.load(Ordering::Relaxed) == 0 {
                    let samples: Vec<f32> = (0..960u64)
                        .map(|k| {
                            let t = (n + k) as f32 / AUDIO_RATE as f32;
                            (t * hz * std::f32::consts::TAU).sin() * 0.3
                        })
                        .collect();
                    let at = start + Duration::from_micros(n * 1_000_000 / u64::from(AUDIO_RATE));
                    let _ = out.try_send(AudioChunk {
                        side,
                        captured_at: at,
                        samples,
                    });
                    n += 960;
                    let next = start + Duration::from_micros(n * 1_000_000 / u64::from(AUDIO_RATE));
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
            })
            .map_err(|e| SourceError::Backend(e.to_string()))?;
        self.running = Some((stop, thread));
        Ok(())
    }

    fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            stop.store(1, Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

impl Drop for SyntheticAudio {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_workload_changes_little_on_the_side_monitors() {
        let mut s = SyntheticScreen::new(Workload::Typical, 4, 1920, 1080);
        s.set_time_ms(0);
        assert_eq!(s.poll_damage().unwrap().len(), 4, "first poll reports all");
        s.set_time_ms(200);
        let d = s.poll_damage().unwrap();
        assert_eq!(d.len(), 1, "only the CRM monitor typed a character: {d:?}");
        s.set_time_ms(1_050);
        let d: Vec<_> = s
            .poll_damage()
            .unwrap()
            .into_iter()
            .map(|d| d.monitor.0)
            .collect();
        assert_eq!(d, ["SYN0", "SYN1"]);
    }

    #[test]
    fn rendering_is_deterministic_and_distinct_per_monitor() {
        let s = SyntheticScreen::new(Workload::Pattern, 2, 64, 48);
        let (mut a, mut b, mut c) = (
            BgrxFrame::default(),
            BgrxFrame::default(),
            BgrxFrame::default(),
        );
        s.render(0, 500, &mut a);
        s.render(0, 500, &mut b);
        s.render(1, 500, &mut c);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&a.data[(5 * 64 + 5) * 4..][..3], &PATTERN_COLOURS[0]);
    }
}
