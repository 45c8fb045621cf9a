//! Just enough ISO BMFF to check uploaded CMAF segments and to merge two tracks' fragmented
//! MP4 into one file.
//!
//! Why hand-written rather than a box library: the merge must pass every `trak` and every
//! `moof`/`mdat` through byte for byte, whatever the codec, patching only a few fixed-width
//! integers (track ids, fragment numbers) in place. Sizes then never change, so a download's
//! `Content-Length` is known from the catalog before a single object is read, and nothing is
//! re-encoded. A general box library would decode and re-encode boxes it does not need to
//! understand (and refuses codecs it does not know); this walker only reads headers.

use std::ops::Range;

/// Why a segment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mp4Error {
    /// A box header or size is inconsistent (truncated or not MP4 at all).
    #[error("malformed MP4: {0}")]
    Malformed(String),
    /// Well-formed, but not what this upload must be.
    #[error("not a CMAF {0}")]
    Unexpected(String),
}

fn malformed(m: impl Into<String>) -> Mp4Error {
    Mp4Error::Malformed(m.into())
}

/// One box: its type and where it lies in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxRef {
    /// Four-character type.
    pub kind: [u8; 4],
    /// Offset of the header.
    pub start: usize,
    /// Offset of the payload.
    pub body: usize,
    /// Offset just past the box.
    pub end: usize,
}

impl BoxRef {
    fn is(&self, kind: &[u8; 4]) -> bool {
        &self.kind == kind
    }
    fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

fn read_u32(data: &[u8], at: usize) -> Result<u32, Mp4Error> {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| malformed(format!("field at {at} past the end")))
}

fn write_u32(data: &mut [u8], at: usize, v: u32) -> Result<(), Mp4Error> {
    data.get_mut(at..at + 4)
        .ok_or_else(|| malformed(format!("field at {at} past the end")))?
        .copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// The boxes that tile `data[range]` exactly.
pub fn boxes(data: &[u8], range: Range<usize>) -> Result<Vec<BoxRef>, Mp4Error> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        if range.end - at < 8 {
            return Err(malformed(format!("{} stray bytes at {at}", range.end - at)));
        }
        let size32 = read_u32(data, at)?;
        let kind: [u8; 4] = data
            .get(at + 4..at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("short header"))?;
        let (size, header) = match size32 {
            0 => (range.end - at, 8),
            1 => {
                let hi = u64::from(read_u32(data, at + 8)?);
                let lo = u64::from(read_u32(data, at + 12)?);
                let size = usize::try_from((hi << 32) | lo)
                    .map_err(|_| malformed("box larger than memory"))?;
                (size, 16)
            }
            n => (n as usize, 8),
        };
        if size < header || at + size > range.end {
            return Err(malformed(format!(
                "box {} at {at} claims {size} bytes, {} available",
                String::from_utf8_lossy(&kind),
                range.end - at
            )));
        }
        out.push(BoxRef {
            kind,
            start: at,
            body: at + header,
            end: at + size,
        });
        at += size;
    }
    Ok(out)
}

fn children(data: &[u8], parent: &BoxRef) -> Result<Vec<BoxRef>, Mp4Error> {
    boxes(data, parent.body..parent.end)
}

fn only<'a>(list: &'a [BoxRef], kind: &[u8; 4], what: &str) -> Result<&'a BoxRef, Mp4Error> {
    let mut found = list.iter().filter(|b| b.is(kind));
    let first = found
        .next()
        .ok_or_else(|| Mp4Error::Unexpected(format!("{what}: no {} box", name(kind))))?;
    if found.next().is_some() {
        return Err(Mp4Error::Unexpected(format!(
            "{what}: more than one {} box",
            name(kind)
        )));
    }
    Ok(first)
}

fn name(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

/// What an init segment declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitInfo {
    /// The track's id in the file.
    pub track_id: u32,
    /// The media timescale.
    pub timescale: u32,
    /// Handler type (`vide`, `soun`).
    pub handler: [u8; 4],
}

/// Checks a CMAF init segment: `ftyp`, then a `moov` with one `trak` and an `mvex`.
pub fn check_init(data: &[u8]) -> Result<InitInfo, Mp4Error> {
    let top = boxes(data, 0..data.len())?;
    only(&top, b"ftyp", "init segment")?;
    let moov = only(&top, b"moov", "init segment")?;
    if top.iter().any(|b| b.is(b"moof") || b.is(b"mdat")) {
        return Err(Mp4Error::Unexpected(
            "init segment: it carries media".to_owned(),
        ));
    }
    let moov_children = children(data, moov)?;
    only(&moov_children, b"mvhd", "init segment")?;
    only(&moov_children, b"mvex", "init segment")?;
    let trak = only(&moov_children, b"trak", "init segment")?;
    let trak_children = children(data, trak)?;
    let tkhd = only(&trak_children, b"tkhd", "init segment")?;
    let mdia = only(&trak_children, b"mdia", "init segment")?;
    let mdia_children = children(data, mdia)?;
    let mdhd = only(&mdia_children, b"mdhd", "init segment")?;
    let hdlr = only(&mdia_children, b"hdlr", "init segment")?;
    let handler: [u8; 4] = data
        .get(hdlr.body + 8..hdlr.body + 12)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("short hdlr"))?;
    Ok(InitInfo {
        track_id: read_u32(data, tkhd_track_id_at(data, tkhd)?)?,
        timescale: read_u32(data, mdhd_timescale_at(data, mdhd)?)?,
        handler,
    })
}

fn version(data: &[u8], b: &BoxRef) -> Result<u8, Mp4Error> {
    data.get(b.body)
        .copied()
        .ok_or_else(|| malformed("empty full box"))
}

fn tkhd_track_id_at(data: &[u8], tkhd: &BoxRef) -> Result<usize, Mp4Error> {
    Ok(tkhd.body + if version(data, tkhd)? == 1 { 20 } else { 12 })
}

fn mdhd_timescale_at(data: &[u8], mdhd: &BoxRef) -> Result<usize, Mp4Error> {
    Ok(mdhd.body + if version(data, mdhd)? == 1 { 20 } else { 12 })
}

fn mvhd_next_track_at(data: &[u8], mvhd: &BoxRef) -> Result<usize, Mp4Error> {
    Ok(mvhd.body + if version(data, mvhd)? == 1 { 108 } else { 96 })
}

/// Boxes that may come before the first fragment of a media segment (and are dropped by the
/// download merge).
const PREAMBLE: [&[u8; 4]; 6] = [b"styp", b"sidx", b"prft", b"emsg", b"free", b"skip"];

/// Checks a CMAF media segment: optional preamble (`styp`, `sidx`, …) then one or more
/// `moof` + `mdat` fragments whose track fragments use moof-relative data offsets. Returns
/// the offset of the first `moof`.
pub fn check_media(data: &[u8]) -> Result<usize, Mp4Error> {
    let top = boxes(data, 0..data.len())?;
    let first_moof = top
        .iter()
        .position(|b| b.is(b"moof"))
        .ok_or_else(|| Mp4Error::Unexpected("media segment: no moof box".to_owned()))?;
    if let Some(b) = top[..first_moof]
        .iter()
        .find(|b| !PREAMBLE.iter().any(|k| b.is(k)))
    {
        return Err(Mp4Error::Unexpected(format!(
            "media segment: {} box before the first fragment",
            name(&b.kind)
        )));
    }
    let mut fragments = 0;
    let mut expect_mdat = false;
    for b in &top[first_moof..] {
        match &b.kind {
            b"moof" if !expect_mdat => {
                check_moof(data, b)?;
                expect_mdat = true;
            }
            b"mdat" if expect_mdat => {
                expect_mdat = false;
                fragments += 1;
            }
            b"free" | b"skip" | b"emsg" | b"prft" if !expect_mdat => {}
            other => {
                return Err(Mp4Error::Unexpected(format!(
                    "media segment: unexpected {} box among fragments",
                    name(other)
                )));
            }
        }
    }
    if expect_mdat || fragments == 0 {
        return Err(Mp4Error::Unexpected(
            "media segment: fragment without mdat".to_owned(),
        ));
    }
    Ok(top[first_moof].start)
}

fn check_moof(data: &[u8], moof: &BoxRef) -> Result<(), Mp4Error> {
    let kids = children(data, moof)?;
    only(&kids, b"mfhd", "fragment")?;
    let mut trafs = 0;
    for traf in kids.iter().filter(|b| b.is(b"traf")) {
        trafs += 1;
        let traf_kids = children(data, traf)?;
        let tfhd = only(&traf_kids, b"tfhd", "track fragment")?;
        let flags = read_u32(data, tfhd.body)? & 0x00ff_ffff;
        if flags & 0x1 != 0 {
            // An absolute base offset would point into the wrong place once fragments are
            // concatenated with others; CMAF forbids it.
            return Err(Mp4Error::Unexpected(
                "track fragment: absolute base-data-offset".to_owned(),
            ));
        }
    }
    if trafs != 1 {
        return Err(Mp4Error::Unexpected(format!(
            "fragment: {trafs} track fragments, expected 1"
        )));
    }
    Ok(())
}

/// Builds the init segment of a two-track file from two single-track init segments: the
/// first's `ftyp` and `mvhd`, both `trak`s (renumbered 1 and 2), and an `mvex` with both
/// `trex`es and a `mehd` giving the total duration in ms.
pub fn merge_inits(video: &[u8], audio: &[u8], duration_ms: u64) -> Result<Vec<u8>, Mp4Error> {
    let v_top = boxes(video, 0..video.len())?;
    let a_top = boxes(audio, 0..audio.len())?;
    let ftyp = only(&v_top, b"ftyp", "video init")?;
    let v_moov = only(&v_top, b"moov", "video init")?;
    let a_moov = only(&a_top, b"moov", "audio init")?;
    let v_kids = children(video, v_moov)?;
    let a_kids = children(audio, a_moov)?;

    let mut mvhd = video[only(&v_kids, b"mvhd", "video init")?.range()].to_vec();
    let mvhd_ref = boxes(&mvhd, 0..mvhd.len())?[0];
    let at = mvhd_next_track_at(&mvhd, &mvhd_ref)?;
    write_u32(&mut mvhd, at, 3)?;
    // The movie timescale, to express the mehd duration in it.
    let movie_timescale = read_u32(
        &mvhd,
        mvhd_ref.body
            + if version(&mvhd, &mvhd_ref)? == 1 {
                20
            } else {
                12
            },
    )?;

    let v_trak = renumber_trak(video, only(&v_kids, b"trak", "video init")?, 1)?;
    let a_trak = renumber_trak(audio, only(&a_kids, b"trak", "audio init")?, 2)?;
    let v_trex = trex_of(video, &v_kids, 1)?;
    let a_trex = trex_of(audio, &a_kids, 2)?;

    let fragment_duration = duration_ms.saturating_mul(u64::from(movie_timescale.max(1))) / 1000;
    let mut mehd = Vec::with_capacity(20);
    mehd.extend_from_slice(&20u32.to_be_bytes());
    mehd.extend_from_slice(b"mehd");
    mehd.extend_from_slice(&0x0100_0000u32.to_be_bytes()); // version 1, no flags
    mehd.extend_from_slice(&fragment_duration.to_be_bytes());
    let mvex = wrap(b"mvex", &[&mehd, &v_trex, &a_trex])?;
    let moov = wrap(b"moov", &[&mvhd, &v_trak, &a_trak, &mvex])?;

    let mut out = video[ftyp.range()].to_vec();
    out.extend_from_slice(&moov);
    Ok(out)
}

fn wrap(kind: &[u8; 4], parts: &[&[u8]]) -> Result<Vec<u8>, Mp4Error> {
    let len: usize = 8 + parts.iter().map(|p| p.len()).sum::<usize>();
    let size = u32::try_from(len).map_err(|_| malformed("box too large"))?;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(kind);
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

fn renumber_trak(data: &[u8], trak: &BoxRef, id: u32) -> Result<Vec<u8>, Mp4Error> {
    let mut out = data[trak.range()].to_vec();
    let local = boxes(&out, 0..out.len())?[0];
    let kids = children(&out, &local)?;
    let tkhd = *only(&kids, b"tkhd", "trak")?;
    let at = tkhd_track_id_at(&out, &tkhd)?;
    write_u32(&mut out, at, id)?;
    Ok(out)
}

fn trex_of(data: &[u8], moov_kids: &[BoxRef], id: u32) -> Result<Vec<u8>, Mp4Error> {
    let mvex = only(moov_kids, b"mvex", "init")?;
    let kids = children(data, mvex)?;
    let trex = only(&kids, b"trex", "mvex")?;
    let mut out = data[trex.range()].to_vec();
    write_u32(&mut out, 12, id)?;
    Ok(out)
}

/// Rewrites a media segment's fragments for the merged file, in place: every `tfhd` gets
/// `track_id`, every `mfhd` the next fragment number from `next_fragment`. Returns the byte
/// range to copy (from the first `moof` to the end).
pub fn patch_media(
    data: &mut [u8],
    track_id: u32,
    next_fragment: &mut u32,
) -> Result<Range<usize>, Mp4Error> {
    let top = boxes(data, 0..data.len())?;
    let mut start = None;
    for b in top.iter().filter(|b| b.is(b"moof")) {
        start.get_or_insert(b.start);
        let kids = children(data, b)?;
        let mfhd = *only(&kids, b"mfhd", "fragment")?;
        write_u32(data, mfhd.body + 4, *next_fragment)?;
        *next_fragment += 1;
        for traf in kids.iter().filter(|k| k.is(b"traf")) {
            let traf_kids = children(data, traf)?;
            let tfhd = *only(&traf_kids, b"tfhd", "track fragment")?;
            write_u32(data, tfhd.body + 4, track_id)?;
        }
    }
    let start = start.ok_or_else(|| Mp4Error::Unexpected("media segment: no moof box".into()))?;
    Ok(start..data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        wrap(kind, &[body]).unwrap()
    }

    fn full(kind: &[u8; 4], version_flags: u32, rest: &[u8]) -> Vec<u8> {
        let mut body = version_flags.to_be_bytes().to_vec();
        body.extend_from_slice(rest);
        bx(kind, &body)
    }

    fn fragment(tfhd_flags: u32) -> Vec<u8> {
        let mfhd = full(b"mfhd", 0, &7u32.to_be_bytes());
        let tfhd = full(b"tfhd", tfhd_flags, &1u32.to_be_bytes());
        let traf = bx(b"traf", &tfhd);
        let mut moof = bx(b"moof", &[mfhd, traf].concat());
        moof.extend(bx(b"mdat", b"samples"));
        moof
    }

    #[test]
    fn media_segment_with_styp_is_accepted_and_offset_found() {
        let styp = bx(b"styp", b"msdhmsix");
        let seg = [styp.clone(), fragment(0x020000)].concat();
        assert_eq!(check_media(&seg).unwrap(), styp.len());
    }

    #[test]
    fn truncated_or_foreign_segments_are_refused() {
        let seg = fragment(0x020000);
        assert!(matches!(
            check_media(&seg[..seg.len() - 3]),
            Err(Mp4Error::Malformed(_))
        ));
        assert!(check_media(b"GIF89a not a video at all").is_err());
        assert!(
            check_media(&fragment(0x000001)).is_err(),
            "absolute offsets"
        );
        let no_mdat = bx(b"moof", &full(b"mfhd", 0, &[0; 4]));
        assert!(check_media(&no_mdat).is_err());
    }

    #[test]
    fn patching_renumbers_tracks_and_fragments_without_resizing() {
        let mut seg = [bx(b"styp", b"x"), fragment(0x020000), fragment(0x020000)].concat();
        let len = seg.len();
        let mut next = 5;
        let range = patch_media(&mut seg, 2, &mut next).unwrap();
        assert_eq!(next, 7);
        assert_eq!(range.end, len);
        assert_eq!(check_media(&seg).unwrap(), range.start);
    }

    #[test]
    fn sixty_four_bit_sizes_are_read() {
        let mut b = 1u32.to_be_bytes().to_vec();
        b.extend_from_slice(b"free");
        b.extend_from_slice(&20u64.to_be_bytes());
        b.extend_from_slice(&[0; 4]);
        let list = boxes(&b, 0..b.len()).unwrap();
        assert_eq!(list[0].body, 16);
        assert_eq!(list[0].end, 20);
    }
}
