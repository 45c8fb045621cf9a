//! Export: a spooled track, decrypted and concatenated (init + media segments in order) into
//! one playable fragmented MP4.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use agentrec_core::RecordingId;
use agentrec_core::media::TrackNo;

use crate::error::SpoolError;
use crate::spool::{Spool, TrackFile};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Media segments written.
    pub segments: usize,
    /// Segments missing from the spool (already uploaded and deleted).
    pub missing: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes track `track` of `recording` to `out`.
pub fn export_track(
    spool: &Spool,
    recording: RecordingId,
    track: TrackNo,
    out: &Path,
) -> Result<ExportSummary, SpoolError> {
    let manifest = spool
        .manifest(recording)
        .ok_or_else(|| SpoolError::NotFound(format!("recording {recording}")))?;
    let entry = manifest
        .track(track)
        .ok_or_else(|| SpoolError::NotFound(format!("track {track}")))?;
    let mut file = File::create(out).map_err(|e| SpoolError::io(out, e))?;
    let init = spool.read(recording, track, TrackFile::Init)?;
    file.write_all(&init).map_err(|e| SpoolError::io(out, e))?;
    let mut summary = ExportSummary {
        segments: 0,
        missing: 0,
        bytes: init.len() as u64,
    };
    for seg in &entry.segments {
        if seg.uploaded {
            summary.missing += 1;
            continue;
        }
        let bytes = spool.read_segment(recording, track, seg.info.seq)?;
        file.write_all(&bytes).map_err(|e| SpoolError::io(out, e))?;
        summary.segments += 1;
        summary.bytes += bytes.len() as u64;
    }
    file.sync_all().map_err(|e| SpoolError::io(out, e))?;
    Ok(summary)
}
