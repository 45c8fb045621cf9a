//! One media segment's samples, stamped with absolute timeline timestamps, turned into a
//! CMAF fragment.
//!
//! Durations are derived from the *absolute* presentation times (next sample's time minus
//! this one's; the last sample lasts until the segment's end), never accumulated from
//! rounded per-frame durations: variable frame rate then cannot drift, however many
//! segments a recording has.

use super::boxes::{self, TrunSample};

/// One encoded sample with its time in track timescale units on the recording's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentSample {
    /// Presentation (= decode: no reordering) time, in track units.
    pub pts: u64,
    /// The encoded bytes.
    pub data: Vec<u8>,
    /// Whether it is a keyframe.
    pub sync: bool,
}

/// The samples of one segment being collected.
#[derive(Debug, Default)]
pub struct Fragment {
    samples: Vec<FragmentSample>,
}

/// A finished segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedFragment {
    /// The `styp`+`moof`+`mdat` bytes.
    pub bytes: Vec<u8>,
    /// Time of the first sample, in track units.
    pub start: u64,
    /// Time from the first sample to the segment's end, in track units.
    pub duration: u64,
    /// Samples in it.
    pub sample_count: usize,
}

impl Fragment {
    /// An empty fragment.
    pub fn new() -> Fragment {
        Fragment::default()
    }

    /// Adds a sample. A sample not after the previous one is dropped (returns false): the
    /// timeline is strictly increasing within a track.
    pub fn push(&mut self, sample: FragmentSample) -> bool {
        if let Some(last) = self.samples.last()
            && sample.pts <= last.pts
        {
            return false;
        }
        self.samples.push(sample);
        true
    }

    /// Drops the samples at or after `pts`: a cut (pause, stop) that arrived after they were
    /// added, so that the segment ends at the cut like the other tracks' segments.
    pub fn drop_from(&mut self, pts: u64) {
        // Samples are strictly increasing (see `push`).
        let keep = self.samples.partition_point(|s| s.pts < pts);
        self.samples.truncate(keep);
    }

    /// Whether no sample was added.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The first sample's time.
    pub fn start(&self) -> Option<u64> {
        self.samples.first().map(|s| s.pts)
    }

    /// The last sample's time.
    pub fn last_pts(&self) -> Option<u64> {
        self.samples.last().map(|s| s.pts)
    }

    /// Closes the segment at `end` (exclusive, track units) and writes it as fragment number
    /// `sequence`. `end` before the last sample is raised to give it one unit. Returns `None`
    /// when there is no sample.
    pub fn finish(self, track_id: u32, sequence: u32, end: u64) -> Option<FinishedFragment> {
        let first = self.samples.first()?.pts;
        let last = self.samples.last()?.pts;
        let end = end.max(last + 1);
        let mut trun = Vec::with_capacity(self.samples.len());
        let mut payload = Vec::with_capacity(self.samples.iter().map(|s| s.data.len()).sum());
        for (i, s) in self.samples.iter().enumerate() {
            let next = self.samples.get(i + 1).map_or(end, |n| n.pts);
            trun.push(TrunSample {
                duration: u32::try_from(next - s.pts).unwrap_or(u32::MAX),
                size: u32::try_from(s.data.len()).unwrap_or(u32::MAX),
                sync: s.sync,
            });
            payload.extend_from_slice(&s.data);
        }
        let bytes = boxes::media_segment(track_id, sequence, first, &trun, &payload);
        Some(FinishedFragment {
            bytes,
            start: first,
            duration: end - first,
            sample_count: trun.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp4_atom::{Any, DecodeMaybe};
    use proptest::prelude::*;
    use std::io::Cursor;

    fn trun_durations(bytes: &[u8]) -> (u64, Vec<u32>) {
        let mut cursor = Cursor::new(bytes);
        while let Some(atom) = Any::decode_maybe(&mut cursor).unwrap() {
            if let Any::Moof(moof) = atom {
                let traf = &moof.traf[0];
                let base = traf.tfdt.as_ref().unwrap().base_media_decode_time;
                let durs = traf
                    .trun
                    .as_ref()
                    .unwrap()
                    .entries
                    .iter()
                    .map(|e| e.duration.unwrap())
                    .collect();
                return (base, durs);
            }
        }
        panic!("no moof")
    }

    #[test]
    fn out_of_order_samples_are_refused() {
        let mut f = Fragment::new();
        assert!(f.push(FragmentSample {
            pts: 10,
            data: vec![1],
            sync: true
        }));
        assert!(!f.push(FragmentSample {
            pts: 10,
            data: vec![2],
            sync: false
        }));
        assert!(!f.push(FragmentSample {
            pts: 5,
            data: vec![2],
            sync: false
        }));
        assert!(Fragment::new().finish(1, 1, 100).is_none());
    }

    #[test]
    fn samples_after_a_late_cut_are_dropped() {
        let mut f = Fragment::new();
        for pts in [0, 960, 1920, 2880] {
            f.push(FragmentSample {
                pts,
                data: vec![1],
                sync: true,
            });
        }
        f.drop_from(1921);
        assert_eq!(f.last_pts(), Some(1920));
        f.drop_from(1920);
        assert_eq!(f.last_pts(), Some(960));
        f.drop_from(0);
        assert!(f.is_empty());
    }

    proptest! {
        /// Whatever the (variable) frame spacing and however many segments, each segment's
        /// decode time plus its durations lands exactly on the next one's start: no drift.
        #[test]
        fn vfr_timestamps_never_drift(
            gaps in proptest::collection::vec(1u64..200_000, 1..200),
            cut_every in 1usize..20,
        ) {
            let mut pts = 1_000u64;
            let times: Vec<u64> = gaps.iter().map(|g| { pts += g; pts }).collect();
            let chunks: Vec<&[u64]> = times.chunks(cut_every).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                let mut f = Fragment::new();
                for &t in *chunk {
                    f.push(FragmentSample { pts: t, data: vec![0; 3], sync: t == chunk[0] });
                }
                let end = chunks.get(i + 1).map_or(chunk[chunk.len() - 1] + 90, |c| c[0]);
                let done = f.finish(1, i as u32 + 1, end).unwrap();
                let (base, durs) = trun_durations(&done.bytes);
                prop_assert_eq!(base, chunk[0]);
                // Every sample's reconstructed time equals its absolute time.
                let mut t = base;
                for (k, d) in durs.iter().enumerate() {
                    prop_assert_eq!(t, chunk[k]);
                    t += u64::from(*d);
                }
                prop_assert_eq!(t, end);
                prop_assert_eq!(done.duration, end - chunk[0]);
            }
        }
    }
}
