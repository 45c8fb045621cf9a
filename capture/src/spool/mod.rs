//! The on-disk spool: encrypted, crash-safe storage of finished segments until the uploader
//! has them acknowledged by the server.
//!
//! Layout (all files sealed with the caller's [`SpoolKey`], see [`crypto`]):
//! ```text
//! <root>/<recording-uuid>/manifest.arsp          the RecordingManifest
//! <root>/<recording-uuid>/t<NN>/init.arsp        a track's init segment
//! <root>/<recording-uuid>/t<NN>/seg-<SEQ>.arsp   media segment SEQ (from 1)
//! <root>/<recording-uuid>/t<NN>/poster.arsp      poster JPEG (video tracks)
//! ```
//! Every file is written with fsync + atomic rename ([`file`]); the manifest is rewritten the
//! same way after each change. A kill -9 loses at most the segment being written: on
//! [`Spool::open`], recovery deletes `*.tmp` leftovers and re-adds any finished file the
//! manifest missed (each file's header says what it is).
//!
//! The uploader's loop: [`Spool::recordings`] → [`Spool::read_init`]/[`Spool::read_segment`]
//! → upload → [`Spool::mark_uploaded`] (deletes the file) → once [`RecordingManifest::is_done`],
//! [`Spool::remove_recording`].

pub mod crypto;
pub mod file;
pub mod manifest;
mod recovery;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use agentrec_core::media::{SegmentInfo, TrackInfo, TrackNo};
use agentrec_core::recorder::Finalized;
use agentrec_core::wire::CallMetadata;
use agentrec_core::{CallId, RecordingId};
use sha2::{Digest, Sha256};

pub use crypto::SpoolKey;
pub use manifest::{FileEntry, FileHeader, RecordingManifest, SegmentEntry, TrackEntry};
pub use recovery::RecoveryReport;

use crate::error::SpoolError;

/// Extension of every spool file.
pub const EXT: &str = "arsp";
/// Bytes kept free inside the quota so that manifests can always be rewritten.
pub const MANIFEST_RESERVE_BYTES: u64 = 256 * 1024;

/// Which file of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackFile {
    /// The init segment.
    Init,
    /// Media segment number `seq`.
    Segment(u32),
    /// The poster image.
    Poster,
}

/// Handle to a spool directory; cheap to clone and shared by the capture session (writer)
/// and the uploader (reader/deleter).
#[derive(Debug, Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    key: SpoolKey,
    quota_bytes: Option<u64>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    used_bytes: u64,
    manifests: HashMap<RecordingId, RecordingManifest>,
}

impl Spool {
    /// Opens (creating if needed) the spool at `root`, recovering after a crash. `quota_bytes`
    /// bounds the bytes stored on disk.
    pub fn open(
        root: impl Into<PathBuf>,
        key: SpoolKey,
        quota_bytes: Option<u64>,
    ) -> Result<(Spool, RecoveryReport), SpoolError> {
        let root = root.into();
        file::create_dir_durable(&root)?;
        let (manifests, report) = recovery::recover(&root, &key)?;
        let used_bytes = recovery::disk_usage(&root);
        let spool = Spool {
            inner: Arc::new(Inner {
                root,
                key,
                quota_bytes,
                state: Mutex::new(State {
                    used_bytes,
                    manifests: manifests.into_iter().map(|m| (m.recording, m)).collect(),
                }),
            }),
        };
        Ok((spool, report))
    }

    /// The spool's directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Bytes the spool holds on disk.
    pub fn used_bytes(&self) -> u64 {
        self.state().used_bytes
    }

    /// Every recording in the spool, as its manifest.
    pub fn recordings(&self) -> Vec<RecordingManifest> {
        let mut all: Vec<_> = self.state().manifests.values().cloned().collect();
        all.sort_by_key(|m| m.started_unix_ms);
        all
    }

    /// One recording's manifest.
    pub fn manifest(&self, recording: RecordingId) -> Option<RecordingManifest> {
        self.state().manifests.get(&recording).cloned()
    }

    /// Creates a recording, or returns the existing one (a later capture run of the same
    /// recording continues its timeline).
    pub fn begin_recording(
        &self,
        recording: RecordingId,
        call: CallId,
        started_unix_ms: u64,
    ) -> Result<RecordingManifest, SpoolError> {
        let mut state = self.state();
        if let Some(m) = state.manifests.get(&recording) {
            return Ok(m.clone());
        }
        let manifest = RecordingManifest::new(recording, call, started_unix_ms);
        file::create_dir_durable(&self.recording_dir(recording))?;
        self.save_manifest(&mut state, manifest.clone())?;
        Ok(manifest)
    }

    /// Adds a track (numbered by the caller with [`RecordingManifest::next_track_no`]) or
    /// reopens an existing, not ended one.
    pub fn add_track(&self, recording: RecordingId, info: TrackInfo) -> Result<(), SpoolError> {
        let mut state = self.state();
        let mut manifest = self.loaded(&state, recording)?;
        if manifest.track(info.track).is_none() {
            file::create_dir_durable(&self.track_dir(recording, info.track))?;
            manifest.tracks.push(TrackEntry {
                info,
                init: None,
                poster: None,
                segments: Vec::new(),
                ended: false,
            });
            self.save_manifest(&mut state, manifest)?;
        }
        Ok(())
    }

    /// Opens a track for `info` (its `track` number is ignored) with this init segment.
    /// A track of the same recording that is not ended, describes the same media and has the
    /// same init segment is continued (a later capture run after a stop); otherwise a new
    /// track is numbered. Returns the track, the next segment number, and the init's path.
    pub fn open_track(
        &self,
        recording: RecordingId,
        mut info: TrackInfo,
        init: &[u8],
    ) -> Result<(TrackInfo, u32), SpoolError> {
        let init_sha = sha256_hex(init);
        let existing = {
            let state = self.state();
            let m = self.loaded(&state, recording)?;
            let found = m.tracks.iter().find(|t| {
                !t.ended
                    && t.info.media == info.media
                    && t.info.codec == info.codec
                    && t.init.as_ref().is_some_and(|i| i.sha256 == init_sha)
            });
            match found {
                Some(t) => Some((
                    t.info.clone(),
                    t.segments.last().map_or(1, |s| s.info.seq + 1),
                )),
                None => {
                    info.track = m.next_track_no();
                    None
                }
            }
        };
        if let Some(found) = existing {
            return Ok(found);
        }
        self.add_track(recording, info.clone())?;
        self.write_init(recording, info.track, init)?;
        Ok((info, 1))
    }

    /// Stores a track's init segment.
    pub fn write_init(
        &self,
        recording: RecordingId,
        track: TrackNo,
        bytes: &[u8],
    ) -> Result<PathBuf, SpoolError> {
        let info = {
            let state = self.state();
            let m = self.loaded(&state, recording)?;
            m.track(track)
                .map(|t| t.info.clone())
                .ok_or_else(|| SpoolError::NotFound(format!("{recording} track {track}")))?
        };
        let header = FileHeader::Init { recording, info };
        let path = self.file_path(recording, track, TrackFile::Init);
        self.write_sealed(&path, &header, bytes)?;
        let entry = file_entry(bytes);
        self.update(recording, |m| {
            if let Some(t) = m.track_mut(track) {
                t.init = Some(entry);
            }
        })?;
        Ok(path)
    }

    /// Stores a finished media segment; `info.bytes`/`info.sha256` are filled in here.
    pub fn write_segment(
        &self,
        recording: RecordingId,
        mut info: SegmentInfo,
        bytes: &[u8],
    ) -> Result<(SegmentInfo, PathBuf), SpoolError> {
        let entry = file_entry(bytes);
        info.bytes = entry.bytes;
        info.sha256 = entry.sha256;
        let header = FileHeader::Segment {
            recording,
            info: info.clone(),
        };
        let path = self.file_path(recording, info.track, TrackFile::Segment(info.seq));
        self.write_sealed(&path, &header, bytes)?;
        let added = info.clone();
        self.update(recording, move |m| {
            m.add_segment(added);
        })?;
        Ok((info, path))
    }

    /// Stores a track's poster image.
    pub fn write_poster(
        &self,
        recording: RecordingId,
        track: TrackNo,
        jpeg: &[u8],
    ) -> Result<PathBuf, SpoolError> {
        let header = FileHeader::Poster { recording, track };
        let path = self.file_path(recording, track, TrackFile::Poster);
        self.write_sealed(&path, &header, jpeg)?;
        let entry = file_entry(jpeg);
        self.update(recording, |m| {
            if let Some(t) = m.track_mut(track) {
                t.poster = Some(entry);
            }
        })?;
        Ok(path)
    }

    /// Marks a track as ended: no more segments will come.
    pub fn end_track(&self, recording: RecordingId, track: TrackNo) -> Result<(), SpoolError> {
        self.update(recording, |m| {
            if let Some(t) = m.track_mut(track) {
                t.ended = true;
            }
        })
    }

    /// Keeps the call's details with the recording, for the uploader.
    pub fn set_metadata(
        &self,
        recording: RecordingId,
        metadata: CallMetadata,
    ) -> Result<(), SpoolError> {
        self.update(recording, move |m| m.metadata = Some(metadata))
    }

    /// Records how the Recorder finalized the recording.
    pub fn finalize(&self, finalized: Finalized) -> Result<(), SpoolError> {
        let recording = finalized.recording;
        self.update(recording, move |m| {
            for t in &mut m.tracks {
                t.ended = true;
            }
            m.finalized = Some(finalized);
        })
    }

    /// Discards a recording (too short): deletes everything of it.
    pub fn discard(&self, recording: RecordingId) -> Result<(), SpoolError> {
        self.remove_recording(recording)
    }

    /// Reads and decrypts a file of a track, checking its SHA-256 against the manifest.
    pub fn read(
        &self,
        recording: RecordingId,
        track: TrackNo,
        which: TrackFile,
    ) -> Result<Vec<u8>, SpoolError> {
        let expected = {
            let state = self.state();
            let m = self.loaded(&state, recording)?;
            let t = m
                .track(track)
                .ok_or_else(|| SpoolError::NotFound(format!("{recording} track {track}")))?;
            match which {
                TrackFile::Init => t.init.as_ref().map(|e| e.sha256.clone()),
                TrackFile::Poster => t.poster.as_ref().map(|e| e.sha256.clone()),
                TrackFile::Segment(seq) => t
                    .segments
                    .iter()
                    .find(|s| s.info.seq == seq)
                    .map(|s| s.info.sha256.clone()),
            }
            .ok_or_else(|| SpoolError::NotFound(format!("{recording} track {track} {which:?}")))?
        };
        let path = self.file_path(recording, track, which);
        let sealed = fs::read(&path).map_err(|e| SpoolError::io(&path, e))?;
        let (_, plain) = crypto::open(&self.inner.key, &path, &sealed)?;
        if sha256_hex(&plain) != expected {
            return Err(SpoolError::Corrupt {
                path,
                reason: "SHA-256 does not match the manifest".into(),
            });
        }
        Ok(plain)
    }

    /// Reads a track's init segment.
    pub fn read_init(&self, recording: RecordingId, track: TrackNo) -> Result<Vec<u8>, SpoolError> {
        self.read(recording, track, TrackFile::Init)
    }

    /// Reads media segment `seq` of a track.
    pub fn read_segment(
        &self,
        recording: RecordingId,
        track: TrackNo,
        seq: u32,
    ) -> Result<Vec<u8>, SpoolError> {
        self.read(recording, track, TrackFile::Segment(seq))
    }

    /// The server acknowledged this file: delete it and remember it was uploaded.
    pub fn mark_uploaded(
        &self,
        recording: RecordingId,
        track: TrackNo,
        which: TrackFile,
    ) -> Result<(), SpoolError> {
        let path = self.file_path(recording, track, which);
        self.update(recording, |m| {
            if let Some(t) = m.track_mut(track) {
                match which {
                    TrackFile::Init => t.init.iter_mut().for_each(|e| e.uploaded = true),
                    TrackFile::Poster => t.poster.iter_mut().for_each(|e| e.uploaded = true),
                    TrackFile::Segment(seq) => t
                        .segments
                        .iter_mut()
                        .filter(|s| s.info.seq == seq)
                        .for_each(|s| s.uploaded = true),
                }
            }
        })?;
        self.remove_file(&path)
    }

    /// Removes a recording and all its files (after upload, or when discarded).
    pub fn remove_recording(&self, recording: RecordingId) -> Result<(), SpoolError> {
        let dir = self.recording_dir(recording);
        let mut state = self.state();
        let freed = recovery::dir_usage(&dir);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| SpoolError::io(&dir, e))?;
            file::sync_dir(&self.inner.root)?;
        }
        state.manifests.remove(&recording);
        state.used_bytes = state.used_bytes.saturating_sub(freed);
        Ok(())
    }

    /// Where a track file lives.
    pub fn file_path(&self, recording: RecordingId, track: TrackNo, which: TrackFile) -> PathBuf {
        let name = match which {
            TrackFile::Init => format!("init.{EXT}"),
            TrackFile::Poster => format!("poster.{EXT}"),
            TrackFile::Segment(seq) => format!("seg-{seq:06}.{EXT}"),
        };
        self.track_dir(recording, track).join(name)
    }

    fn recording_dir(&self, recording: RecordingId) -> PathBuf {
        self.inner.root.join(recording.to_string())
    }

    fn track_dir(&self, recording: RecordingId, track: TrackNo) -> PathBuf {
        self.recording_dir(recording).join(format!("t{track:02}"))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (updates are whole), so a
        // poisoned lock is still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn loaded(
        &self,
        state: &State,
        recording: RecordingId,
    ) -> Result<RecordingManifest, SpoolError> {
        state
            .manifests
            .get(&recording)
            .cloned()
            .ok_or_else(|| SpoolError::NotFound(format!("recording {recording}")))
    }

    fn update(
        &self,
        recording: RecordingId,
        change: impl FnOnce(&mut RecordingManifest),
    ) -> Result<(), SpoolError> {
        let mut state = self.state();
        let mut manifest = self.loaded(&state, recording)?;
        change(&mut manifest);
        self.save_manifest(&mut state, manifest)
    }

    fn save_manifest(
        &self,
        state: &mut State,
        manifest: RecordingManifest,
    ) -> Result<(), SpoolError> {
        let path = self
            .recording_dir(manifest.recording)
            .join(format!("manifest.{EXT}"));
        let header = FileHeader::Manifest {
            recording: manifest.recording,
        };
        let json = serde_json::to_vec(&manifest).map_err(|e| SpoolError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let sealed = crypto::seal(&self.inner.key, &header_bytes(&header), &json)?;
        let old = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        // Manifests may use the reserve kept free inside the quota.
        file::write_atomic(&path, &sealed)?;
        state.used_bytes = state.used_bytes.saturating_sub(old) + sealed.len() as u64;
        state.manifests.insert(manifest.recording, manifest);
        Ok(())
    }

    fn write_sealed(
        &self,
        path: &Path,
        header: &FileHeader,
        plain: &[u8],
    ) -> Result<(), SpoolError> {
        let sealed = crypto::seal(&self.inner.key, &header_bytes(header), plain)?;
        let needed = sealed.len() as u64;
        {
            let state = self.state();
            if let Some(quota) = self.inner.quota_bytes
                && state.used_bytes + needed + MANIFEST_RESERVE_BYTES > quota
            {
                return Err(SpoolError::QuotaExceeded {
                    used_bytes: state.used_bytes,
                    needed_bytes: needed,
                    quota_bytes: quota,
                });
            }
        }
        file::write_atomic(path, &sealed)?;
        self.state().used_bytes += needed;
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> Result<(), SpoolError> {
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        match fs::remove_file(path) {
            Ok(()) => {
                let mut state = self.state();
                state.used_bytes = state.used_bytes.saturating_sub(len);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SpoolError::io(path, e)),
        }
    }
}

pub(crate) fn header_bytes(header: &FileHeader) -> Vec<u8> {
    serde_json::to_vec(header).unwrap_or_default()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn file_entry(bytes: &[u8]) -> FileEntry {
    FileEntry {
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
        uploaded: false,
    }
}

#[cfg(test)]
mod tests;
