//! Spool behaviour: round trips, upload bookkeeping, recovery, quota.

use super::*;
use agentrec_core::media::TrackMedia;

fn key() -> SpoolKey {
    SpoolKey::from_bytes([9; 32])
}

fn rec() -> RecordingId {
    RecordingId::from_random_bytes([5; 16])
}

fn audio_track(track: TrackNo) -> TrackInfo {
    TrackInfo {
        track,
        codec: "opus".into(),
        timescale: 48_000,
        start_ms: 0,
        media: TrackMedia::Audio {
            sample_rate: 48_000,
            channels: 2,
        },
    }
}

fn seg(seq: u32) -> SegmentInfo {
    SegmentInfo {
        track: 1,
        seq,
        start_ms: u64::from(seq - 1) * 10_000,
        duration_ms: 10_000,
        bytes: 0,
        sha256: String::new(),
    }
}

#[test]
fn segments_round_trip_and_uploaded_ones_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, report) = Spool::open(dir.path(), key(), None).unwrap();
    assert_eq!(report, RecoveryReport::default());
    spool.begin_recording(rec(), "c".into(), 1).unwrap();
    spool.add_track(rec(), audio_track(1)).unwrap();
    spool.write_init(rec(), 1, b"init").unwrap();
    let (info, path) = spool.write_segment(rec(), seg(1), b"segment one").unwrap();
    assert_eq!(info.bytes, 11);
    assert_eq!(info.sha256, sha256_hex(b"segment one"));
    // At rest the bytes are not in the clear.
    let raw = fs::read(&path).unwrap();
    assert!(!raw.windows(11).any(|w| w == b"segment one"));
    assert_eq!(spool.read_segment(rec(), 1, 1).unwrap(), b"segment one");
    assert_eq!(spool.read_init(rec(), 1).unwrap(), b"init");

    spool
        .mark_uploaded(rec(), 1, TrackFile::Segment(1))
        .unwrap();
    assert!(!path.exists());
    let m = spool.manifest(rec()).unwrap();
    assert!(m.tracks[0].segments[0].uploaded);
    assert!(!m.is_done());
    spool.mark_uploaded(rec(), 1, TrackFile::Init).unwrap();
    spool
        .finalize(Finalized {
            recording: rec(),
            call: "c".into(),
            outcome: agentrec_core::recorder::Outcome::Complete,
            reason: agentrec_core::recorder::EndReason::CallEnded,
            capture_failed: false,
            recorded_ms: 10_000,
            duration_ms: 10_000,
            timeline: vec![],
        })
        .unwrap();
    assert!(spool.manifest(rec()).unwrap().is_done());
    spool.remove_recording(rec()).unwrap();
    assert!(spool.recordings().is_empty());
}

#[test]
fn reopening_recovers_files_the_manifest_missed_and_drops_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
        spool.begin_recording(rec(), "c".into(), 1).unwrap();
        spool.add_track(rec(), audio_track(1)).unwrap();
        spool.write_init(rec(), 1, b"init").unwrap();
        spool.write_segment(rec(), seg(1), b"one").unwrap();
    }
    // Simulate a crash after segment 2's rename but before its manifest update: write the
    // sealed file by hand. And a half-written segment 3.
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let mut info = seg(2);
    info.bytes = 3;
    info.sha256 = sha256_hex(b"two");
    let header = header_bytes(&FileHeader::Segment {
        recording: rec(),
        info,
    });
    let path2 = spool.file_path(rec(), 1, TrackFile::Segment(2));
    fs::write(&path2, crypto::seal(&key(), &header, b"two").unwrap()).unwrap();
    let tmp = spool
        .file_path(rec(), 1, TrackFile::Segment(3))
        .with_extension("arsp.tmp");
    fs::write(&tmp, b"half").unwrap();
    drop(spool);

    let (spool, report) = Spool::open(dir.path(), key(), None).unwrap();
    assert_eq!(report.files_readded, 1);
    assert_eq!(report.temp_files_removed, 1);
    assert!(!tmp.exists());
    assert_eq!(spool.read_segment(rec(), 1, 2).unwrap(), b"two");
    let seqs: Vec<u32> = spool.manifest(rec()).unwrap().tracks[0]
        .segments
        .iter()
        .map(|s| s.info.seq)
        .collect();
    assert_eq!(seqs, [1, 2]);
}

#[test]
fn a_wrong_key_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
        spool.begin_recording(rec(), "c".into(), 1).unwrap();
    }
    let (spool, report) = Spool::open(dir.path(), SpoolKey::from_bytes([1; 32]), None).unwrap();
    assert!(spool.recordings().is_empty());
    assert_eq!(report.unreadable.len(), 1);
}

#[test]
fn quota_refuses_a_write_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), key(), Some(MANIFEST_RESERVE_BYTES + 2_000)).unwrap();
    spool.begin_recording(rec(), "c".into(), 1).unwrap();
    spool.add_track(rec(), audio_track(1)).unwrap();
    spool.write_segment(rec(), seg(1), &[0; 500]).unwrap();
    let err = spool.write_segment(rec(), seg(2), &[0; 5_000]).unwrap_err();
    assert!(err.is_out_of_space(), "{err}");
    assert!(!spool.file_path(rec(), 1, TrackFile::Segment(2)).exists());
    assert_eq!(spool.manifest(rec()).unwrap().tracks[0].segments.len(), 1);
}

#[test]
fn call_metadata_survives_a_reopen_and_old_manifests_have_none() {
    use agentrec_core::wire::CallMetadata;
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
        let m = spool.begin_recording(rec(), "c".into(), 1).unwrap();
        assert_eq!(m.metadata, None);
        let meta = CallMetadata {
            queue: Some("billing".into()),
            call_title: Some("Refund".into()),
            ..CallMetadata::default()
        };
        spool.set_metadata(rec(), meta).unwrap();
    }
    let (spool, _) = Spool::open(dir.path(), key(), None).unwrap();
    let meta = spool.manifest(rec()).unwrap().metadata.unwrap();
    assert_eq!(meta.call_title.as_deref(), Some("Refund"));
    // A manifest written before the field existed still reads.
    let old = r#"{"format":1,"recording":"00000000-0000-0000-0000-000000000001","call":"c","started_unix_ms":1,"tracks":[]}"#;
    let parsed: RecordingManifest = serde_json::from_str(old).unwrap();
    assert_eq!(parsed.metadata, None);
    assert!(
        spool
            .set_metadata(
                RecordingId::from_random_bytes([1; 16]),
                CallMetadata::default()
            )
            .is_err()
    );
}
