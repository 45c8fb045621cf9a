//! Recovery after a crash: delete half-written `*.tmp` files and re-add to each manifest the
//! finished files whose manifest update was lost (every file's header says what it is, and
//! it is authenticated before it is trusted).

use std::fs;
use std::path::{Path, PathBuf};

use super::crypto::{self, SpoolKey};
use super::file::{self, TMP_SUFFIX};
use super::manifest::{FileEntry, FileHeader, RecordingManifest, TrackEntry};
use super::{EXT, header_bytes, sha256_hex};
use crate::error::SpoolError;

/// What recovery found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Recordings found.
    pub recordings: usize,
    /// Finished files the manifests had missed and that were re-added.
    pub files_readded: usize,
    /// Half-written files deleted.
    pub temp_files_removed: usize,
    /// Files that could not be authenticated (wrong key, corrupt) and were left alone.
    pub unreadable: Vec<PathBuf>,
}

pub(super) fn recover(
    root: &Path,
    key: &SpoolKey,
) -> Result<(Vec<RecordingManifest>, RecoveryReport), SpoolError> {
    let mut report = RecoveryReport::default();
    let mut manifests = Vec::new();
    let entries = fs::read_dir(root).map_err(|e| SpoolError::io(root, e))?;
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_recording = dir.is_dir()
            && dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.parse::<uuid::Uuid>().is_ok());
        if !is_recording {
            continue;
        }
        report.temp_files_removed += remove_temp_files(&dir);
        let manifest_path = dir.join(format!("manifest.{EXT}"));
        let mut manifest = match read_manifest(key, &manifest_path) {
            Ok(m) => m,
            Err(_) => {
                report.unreadable.push(manifest_path);
                continue;
            }
        };
        let readded = readd_files(key, &dir, &mut manifest, &mut report);
        if readded > 0 {
            report.files_readded += readded;
            let header = header_bytes(&FileHeader::Manifest {
                recording: manifest.recording,
            });
            let json = serde_json::to_vec(&manifest).map_err(|e| SpoolError::Corrupt {
                path: manifest_path.clone(),
                reason: e.to_string(),
            })?;
            file::write_atomic(&manifest_path, &crypto::seal(key, &header, &json)?)?;
        }
        report.recordings += 1;
        manifests.push(manifest);
    }
    Ok((manifests, report))
}

fn read_manifest(key: &SpoolKey, path: &Path) -> Result<RecordingManifest, SpoolError> {
    let sealed = fs::read(path).map_err(|e| SpoolError::io(path, e))?;
    let (_, json) = crypto::open(key, path, &sealed)?;
    serde_json::from_slice(&json).map_err(|e| SpoolError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn remove_temp_files(dir: &Path) -> usize {
    let mut removed = 0;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            removed += remove_temp_files(&path);
        } else if path.to_string_lossy().ends_with(TMP_SUFFIX) && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn readd_files(
    key: &SpoolKey,
    dir: &Path,
    manifest: &mut RecordingManifest,
    report: &mut RecoveryReport,
) -> usize {
    let mut readded = 0;
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .flat_map(|track_dir| fs::read_dir(track_dir).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == EXT))
        .collect();
    // Init segments first, so their tracks exist before their segments are added.
    files.sort_by_key(|p| !p.ends_with(format!("init.{EXT}")));
    for path in files {
        let Ok(sealed) = fs::read(&path) else {
            continue;
        };
        let Ok(header) = crypto::peek_header(&path, &sealed)
            .and_then(|h| serde_json::from_slice::<FileHeader>(h).map_err(|_| corrupt(&path)))
        else {
            report.unreadable.push(path);
            continue;
        };
        if !header_is_missing(manifest, &header) {
            continue;
        }
        let Ok((_, plain)) = crypto::open(key, &path, &sealed) else {
            report.unreadable.push(path);
            continue;
        };
        let entry = FileEntry {
            bytes: plain.len() as u64,
            sha256: sha256_hex(&plain),
            uploaded: false,
        };
        match header {
            FileHeader::Init { recording, info } if recording == manifest.recording => {
                match manifest.track_mut(info.track) {
                    Some(t) => t.init = Some(entry),
                    None => manifest.tracks.push(TrackEntry {
                        info,
                        init: Some(entry),
                        poster: None,
                        segments: Vec::new(),
                        ended: false,
                    }),
                }
                readded += 1;
            }
            FileHeader::Segment { recording, info } if recording == manifest.recording => {
                if manifest.add_segment(info) {
                    readded += 1;
                }
            }
            FileHeader::Poster { recording, track } if recording == manifest.recording => {
                if let Some(t) = manifest.track_mut(track) {
                    t.poster = Some(entry);
                    readded += 1;
                }
            }
            _ => report.unreadable.push(path),
        }
    }
    readded
}

fn header_is_missing(manifest: &RecordingManifest, header: &FileHeader) -> bool {
    match header {
        FileHeader::Manifest { .. } => false,
        FileHeader::Init { info, .. } => {
            manifest.track(info.track).is_none_or(|t| t.init.is_none())
        }
        FileHeader::Segment { info, .. } => manifest
            .track(info.track)
            .is_none_or(|t| !t.segments.iter().any(|s| s.info.seq == info.seq)),
        FileHeader::Poster { track, .. } => {
            manifest.track(*track).is_none_or(|t| t.poster.is_none())
        }
    }
}

fn corrupt(path: &Path) -> SpoolError {
    SpoolError::Corrupt {
        path: path.to_owned(),
        reason: "bad header".into(),
    }
}

/// Bytes of all files under `dir`.
pub(super) fn dir_usage(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_usage(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Bytes of the whole spool.
pub(super) fn disk_usage(root: &Path) -> u64 {
    dir_usage(root)
}
