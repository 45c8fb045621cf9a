//! One recording in progress: its capture state, recorded time and timeline.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::command::Command;
use super::input::Source;
use super::timeline::{TimelineEvent, TimelineKind};
use crate::ids::{MonitorId, RecordingId};

/// Whether capture runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Capture {
    /// Capturing since this instant.
    Running { since: Instant },
    /// Paused: sources open, nothing captured.
    Paused,
    /// Stopped by the agent (On-Demand UIS): sources closed.
    Stopped,
}

#[derive(Debug)]
pub(super) struct Recording {
    pub(super) id: RecordingId,
    pub(super) started_at: Instant,
    pub(super) capture: Capture,
    /// Captured time of the runs that are over; the current run is added on demand.
    pub(super) recorded_before: Duration,
    pub(super) monitors: Vec<MonitorId>,
    pub(super) failing: BTreeSet<Source>,
    pub(super) capture_failed: bool,
    pub(super) timeline: Vec<TimelineEvent>,
}

impl Recording {
    pub(super) fn new(id: RecordingId, now: Instant, monitors: Vec<MonitorId>) -> Self {
        Recording {
            id,
            started_at: now,
            capture: Capture::Running { since: now },
            recorded_before: Duration::ZERO,
            monitors,
            failing: BTreeSet::new(),
            capture_failed: false,
            timeline: Vec::new(),
        }
    }

    /// Captured time up to `now`.
    pub(super) fn recorded(&self, now: Instant) -> Duration {
        match self.capture {
            Capture::Running { since } => {
                self.recorded_before + now.saturating_duration_since(since)
            }
            Capture::Paused | Capture::Stopped => self.recorded_before,
        }
    }

    /// Ends the current run (if any) at `now`, folding its time into the total.
    pub(super) fn close_run(&mut self, now: Instant, next: Capture) {
        self.recorded_before = self.recorded(now);
        self.capture = next;
    }

    /// Whether the capture session is open (running or paused).
    pub(super) fn is_open(&self) -> bool {
        self.capture != Capture::Stopped
    }

    /// Adds a marker at `at` and tells the shell about it.
    pub(super) fn mark(&mut self, at: Instant, kind: TimelineKind, out: &mut Vec<Command>) {
        let offset_ms = if at >= self.started_at {
            millis_i64(at - self.started_at)
        } else {
            -millis_i64(self.started_at - at)
        };
        let event = TimelineEvent { offset_ms, kind };
        self.timeline.push(event.clone());
        out.push(Command::Timeline {
            recording: self.id,
            event,
        });
    }
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn millis_i64(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
