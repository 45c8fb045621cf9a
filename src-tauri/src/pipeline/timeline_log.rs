//! Timeline markers of the recordings in progress, appended to one small JSON-lines file per
//! recording as they happen: the Recorder's timeline lives in memory, and a recording found
//! unfinished after a crash is finalized with the markers kept here (pauses, hold, …).

use std::io::Write;
use std::path::PathBuf;

use agentrec_core::RecordingId;
use agentrec_core::recorder::TimelineEvent;

/// The directory of marker files.
#[derive(Debug, Clone)]
pub struct TimelineLog {
    dir: PathBuf,
}

impl TimelineLog {
    /// Markers kept under `dir`.
    pub fn new(dir: PathBuf) -> Self {
        TimelineLog { dir }
    }

    fn path(&self, recording: RecordingId) -> PathBuf {
        self.dir.join(format!("{recording}.jsonl"))
    }

    /// Appends a marker (best effort: a marker that cannot be kept is only logged).
    pub fn append(&self, recording: RecordingId, event: &TimelineEvent) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
            line.push(b'\n');
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(recording))?
                .write_all(&line)
        };
        if let Err(e) = write() {
            tracing::warn!(%recording, error = %e, "cannot keep a timeline marker");
        }
    }

    /// The markers kept for `recording`; a torn last line (a crash mid-write) is skipped.
    pub fn read(&self, recording: RecordingId) -> Vec<TimelineEvent> {
        std::fs::read_to_string(self.path(recording))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Forgets a recording's markers (it was finalized or discarded).
    pub fn remove(&self, recording: RecordingId) {
        let _ = std::fs::remove_file(self.path(recording));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::recorder::TimelineKind;

    #[test]
    fn markers_round_trip_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = TimelineLog::new(dir.path().join("t"));
        let rec = RecordingId::from_random_bytes([4; 16]);
        assert!(log.read(rec).is_empty());
        let paused = TimelineEvent {
            offset_ms: 5_000,
            kind: TimelineKind::Paused,
        };
        log.append(rec, &paused);
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path(rec))
            .unwrap()
            .write_all(b"{\"offset_ms\": 6")
            .unwrap();
        assert_eq!(log.read(rec), vec![paused]);
        log.remove(rec);
        assert!(log.read(rec).is_empty());
    }
}
