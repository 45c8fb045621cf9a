//! A minimal ISO-BMFF (MP4) box writer for CMAF init segments and `moof`/`mdat` fragments of
//! one AV1 or Opus track.
//!
//! Written here rather than taken from a crate: `muxide`'s fragmented muxer was measured to
//! drift under variable frame rate (+68 ms after 4 fragments, see the testbed notes), and the
//! boxes a single-track CMAF segment needs are few and fixed. It is validated in tests with
//! `mp4-atom` (structure) and ffprobe/ffmpeg (playback).

/// The codec-specific part of a track's sample description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecConfig {
    /// AV1 video: the `av1C` payload (marker, profile/level, config OBUs) from the encoder.
    Av1 {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The `av1C` box payload.
        av1c: Vec<u8>,
    },
    /// Opus audio.
    Opus {
        /// Channels (1 or 2).
        channels: u8,
        /// Samples the decoder must drop at the start (encoder look-ahead).
        pre_skip: u16,
        /// The input's sample rate.
        input_sample_rate: u32,
    },
}

/// What an init segment describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitParams {
    /// Track id inside the file (we write one track per file: 1).
    pub track_id: u32,
    /// Units per second of the track's timestamps.
    pub timescale: u32,
    /// The codec.
    pub codec: CodecConfig,
}

/// Sample flags: a sync sample (depends on nothing).
pub const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
/// Sample flags: a non-sync sample that depends on others.
pub const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;

/// Appends a box: size placeholder, type, body, then patches the size.
pub(crate) fn write_box(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(kind);
    body(out);
    let size = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// Appends a full box (version + flags).
pub(crate) fn write_full_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    write_box(out, kind, |out| {
        out.push(version);
        out.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(out);
    });
}

fn u16be(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn u32be(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn u64be(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// The init segment (`ftyp` + `moov`) of a single-track fragmented MP4.
pub fn init_segment(params: &InitParams) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let is_video = matches!(params.codec, CodecConfig::Av1 { .. });
    write_box(&mut out, b"ftyp", |o| {
        o.extend_from_slice(b"iso6");
        u32be(o, 0);
        for brand in [b"iso6", b"cmfc", b"mp41"] {
            o.extend_from_slice(brand);
        }
        o.extend_from_slice(if is_video { b"av01" } else { b"Opus" });
    });
    write_box(&mut out, b"moov", |o| {
        write_full_box(o, b"mvhd", 0, 0, |o| {
            u32be(o, 0); // creation
            u32be(o, 0); // modification
            u32be(o, 1000); // timescale
            u32be(o, 0); // duration: unknown (fragmented)
            u32be(o, 0x0001_0000); // rate 1.0
            u16be(o, 0x0100); // volume 1.0
            o.extend_from_slice(&[0; 10]);
            MATRIX.iter().for_each(|m| u32be(o, *m));
            o.extend_from_slice(&[0; 24]);
            u32be(o, params.track_id + 1); // next track id
        });
        write_box(o, b"trak", |o| trak(o, params));
        write_box(o, b"mvex", |o| {
            write_full_box(o, b"trex", 0, 0, |o| {
                u32be(o, params.track_id);
                u32be(o, 1); // sample description index
                u32be(o, 0); // default duration
                u32be(o, 0); // default size
                u32be(o, 0); // default flags
            });
        });
    });
    out
}

fn trak(o: &mut Vec<u8>, params: &InitParams) {
    let (width, height, is_video) = match &params.codec {
        CodecConfig::Av1 { width, height, .. } => (*width, *height, true),
        CodecConfig::Opus { .. } => (0, 0, false),
    };
    // flags: enabled | in movie
    write_full_box(o, b"tkhd", 0, 3, |o| {
        u32be(o, 0);
        u32be(o, 0);
        u32be(o, params.track_id);
        u32be(o, 0);
        u32be(o, 0); // duration
        o.extend_from_slice(&[0; 8]);
        u16be(o, 0); // layer
        u16be(o, 0); // alternate group
        u16be(o, if is_video { 0 } else { 0x0100 });
        u16be(o, 0);
        MATRIX.iter().for_each(|m| u32be(o, *m));
        u32be(o, width << 16);
        u32be(o, height << 16);
    });
    write_box(o, b"mdia", |o| {
        write_full_box(o, b"mdhd", 0, 0, |o| {
            u32be(o, 0);
            u32be(o, 0);
            u32be(o, params.timescale);
            u32be(o, 0);
            u16be(o, 0x55c4); // "und"
            u16be(o, 0);
        });
        write_full_box(o, b"hdlr", 0, 0, |o| {
            u32be(o, 0);
            o.extend_from_slice(if is_video { b"vide" } else { b"soun" });
            o.extend_from_slice(&[0; 12]);
            o.extend_from_slice(if is_video {
                b"VideoHandler\0".as_slice()
            } else {
                b"SoundHandler\0".as_slice()
            });
        });
        write_box(o, b"minf", |o| {
            if is_video {
                write_full_box(o, b"vmhd", 0, 1, |o| o.extend_from_slice(&[0; 8]));
            } else {
                write_full_box(o, b"smhd", 0, 0, |o| u32be(o, 0));
            }
            write_box(o, b"dinf", |o| {
                write_full_box(o, b"dref", 0, 0, |o| {
                    u32be(o, 1);
                    write_full_box(o, b"url ", 0, 1, |_| {});
                });
            });
            write_box(o, b"stbl", |o| {
                write_full_box(o, b"stsd", 0, 0, |o| {
                    u32be(o, 1);
                    sample_entry(o, &params.codec);
                });
                write_full_box(o, b"stts", 0, 0, |o| u32be(o, 0));
                write_full_box(o, b"stsc", 0, 0, |o| u32be(o, 0));
                write_full_box(o, b"stsz", 0, 0, |o| u64be(o, 0));
                write_full_box(o, b"stco", 0, 0, |o| u32be(o, 0));
            });
        });
    });
}

fn sample_entry(o: &mut Vec<u8>, codec: &CodecConfig) {
    match codec {
        CodecConfig::Av1 {
            width,
            height,
            av1c,
        } => write_box(o, b"av01", |o| {
            o.extend_from_slice(&[0; 6]);
            u16be(o, 1); // data reference index
            o.extend_from_slice(&[0; 16]);
            u16be(o, u16::try_from(*width).unwrap_or(u16::MAX));
            u16be(o, u16::try_from(*height).unwrap_or(u16::MAX));
            u32be(o, 0x0048_0000); // 72 dpi
            u32be(o, 0x0048_0000);
            u32be(o, 0);
            u16be(o, 1); // frame count
            let mut name = [0u8; 32];
            let label = b"agentrec AV1";
            name[0] = label.len() as u8;
            name[1..=label.len()].copy_from_slice(label);
            o.extend_from_slice(&name);
            u16be(o, 0x0018); // depth
            u16be(o, 0xffff); // pre-defined -1
            write_box(o, b"av1C", |o| o.extend_from_slice(av1c));
        }),
        CodecConfig::Opus {
            channels,
            pre_skip,
            input_sample_rate,
        } => write_box(o, b"Opus", |o| {
            o.extend_from_slice(&[0; 6]);
            u16be(o, 1);
            o.extend_from_slice(&[0; 8]);
            u16be(o, u16::from(*channels));
            u16be(o, 16);
            u16be(o, 0);
            u16be(o, 0);
            u32be(o, 48_000 << 16);
            write_box(o, b"dOps", |o| {
                o.push(0); // version
                o.push(*channels);
                u16be(o, *pre_skip);
                u32be(o, *input_sample_rate);
                u16be(o, 0); // output gain
                o.push(0); // channel mapping family
            });
        }),
    }
}

/// One sample as it goes into a `trun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunSample {
    /// Duration in track timescale units.
    pub duration: u32,
    /// Size in bytes.
    pub size: u32,
    /// Whether it is a sync sample (keyframe).
    pub sync: bool,
}

/// A media segment: `styp` + `moof` (`mfhd`, `traf` with `tfhd`, `tfdt`, `trun`) + `mdat`.
pub fn media_segment(
    track_id: u32,
    sequence: u32,
    base_decode_time: u64,
    samples: &[TrunSample],
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 64 + samples.len() * 12);
    write_box(&mut out, b"styp", |o| {
        o.extend_from_slice(b"msdh");
        u32be(o, 0);
        o.extend_from_slice(b"msdh");
        o.extend_from_slice(b"msix");
        o.extend_from_slice(b"cmfs");
    });
    let moof_start = out.len();
    let mut data_offset_at = 0;
    write_box(&mut out, b"moof", |o| {
        write_full_box(o, b"mfhd", 0, 0, |o| u32be(o, sequence));
        write_box(o, b"traf", |o| {
            // default-base-is-moof
            write_full_box(o, b"tfhd", 0, 0x02_0000, |o| u32be(o, track_id));
            write_full_box(o, b"tfdt", 1, 0, |o| u64be(o, base_decode_time));
            // data offset | duration | size | flags present
            write_full_box(o, b"trun", 0, 0x0701, |o| {
                u32be(o, u32::try_from(samples.len()).unwrap_or(u32::MAX));
                data_offset_at = o.len();
                u32be(o, 0); // data offset, patched below
                for s in samples {
                    u32be(o, s.duration);
                    u32be(o, s.size);
                    u32be(
                        o,
                        if s.sync {
                            SYNC_SAMPLE_FLAGS
                        } else {
                            NON_SYNC_SAMPLE_FLAGS
                        },
                    );
                }
            });
        });
    });
    let moof_len = out.len() - moof_start;
    let data_offset = u32::try_from(moof_len + 8).unwrap_or(u32::MAX);
    out[data_offset_at..data_offset_at + 4].copy_from_slice(&data_offset.to_be_bytes());
    write_box(&mut out, b"mdat", |o| o.extend_from_slice(payload));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp4_atom::{Any, DecodeMaybe};
    use std::io::Cursor;

    fn atoms(bytes: &[u8]) -> Vec<Any> {
        let mut cursor = Cursor::new(bytes);
        let mut out = Vec::new();
        while let Some(atom) = Any::decode_maybe(&mut cursor).unwrap() {
            out.push(atom);
        }
        assert_eq!(cursor.position() as usize, bytes.len(), "trailing bytes");
        out
    }

    #[test]
    fn av1_init_segment_parses_as_ftyp_and_moov() {
        let init = init_segment(&InitParams {
            track_id: 1,
            timescale: 90_000,
            codec: CodecConfig::Av1 {
                width: 1920,
                height: 1080,
                av1c: vec![0x81, 0x08, 0x0c, 0x00],
            },
        });
        let parsed = atoms(&init);
        assert!(matches!(parsed[0], Any::Ftyp(_)));
        let Any::Moov(moov) = &parsed[1] else {
            panic!("no moov: {parsed:?}")
        };
        assert_eq!(moov.trak.len(), 1);
        assert_eq!(moov.trak[0].mdia.mdhd.timescale, 90_000);
        assert_eq!(moov.trak[0].tkhd.width.integer(), 1920);
        assert!(moov.mvex.is_some());
    }

    #[test]
    fn opus_init_segment_parses() {
        let init = init_segment(&InitParams {
            track_id: 1,
            timescale: 48_000,
            codec: CodecConfig::Opus {
                channels: 2,
                pre_skip: 312,
                input_sample_rate: 48_000,
            },
        });
        let parsed = atoms(&init);
        let Any::Moov(moov) = &parsed[1] else {
            panic!("no moov")
        };
        assert_eq!(moov.trak[0].mdia.hdlr.handler, b"soun".into());
    }

    #[test]
    fn media_segment_offsets_point_into_mdat() {
        let samples = [
            TrunSample {
                duration: 9000,
                size: 3,
                sync: true,
            },
            TrunSample {
                duration: 4500,
                size: 2,
                sync: false,
            },
        ];
        let seg = media_segment(1, 7, 123_456_789_000, &samples, &[1, 2, 3, 4, 5]);
        let parsed = atoms(&seg);
        assert!(matches!(parsed[0], Any::Styp(_)));
        let Any::Moof(moof) = &parsed[1] else {
            panic!("no moof")
        };
        assert_eq!(moof.mfhd.sequence_number, 7);
        let traf = &moof.traf[0];
        assert_eq!(
            traf.tfdt.as_ref().map(|t| t.base_media_decode_time),
            Some(123_456_789_000)
        );
        let trun = traf.trun.as_ref().unwrap();
        assert_eq!(trun.entries.len(), 2);
        // The data offset (from the moof start) lands on the first mdat payload byte.
        let moof_start = seg.windows(4).position(|w| w == b"moof").unwrap() - 4;
        let offset = trun.data_offset.unwrap() as usize;
        assert_eq!(seg[moof_start + offset], 1);
        assert_eq!(&seg[seg.len() - 5..], &[1, 2, 3, 4, 5]);
    }
}
