//! Poster image of a video track: a small JPEG of its first frame, for lists and the viewer.

use jpeg_encoder::{ColorType, Encoder};

use crate::error::EncodeError;
use crate::source::BgrxFrame;

/// Width of posters in pixels (height keeps the aspect ratio).
pub const POSTER_WIDTH: u32 = 320;

/// A JPEG thumbnail of `frame`, `max_width` pixels wide at most.
pub fn poster_jpeg(frame: &BgrxFrame, max_width: u32) -> Result<Vec<u8>, EncodeError> {
    if frame.width == 0 || frame.height == 0 {
        return Err(EncodeError::Failed("empty frame".into()));
    }
    let w = frame.width.min(max_width).max(1);
    let h = ((u64::from(frame.height) * u64::from(w) / u64::from(frame.width)) as u32).max(1);
    // Box filter: average the source pixels that fall into each poster pixel.
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        let (sy0, sy1) = (
            y * frame.height / h,
            ((y + 1) * frame.height / h).max(y * frame.height / h + 1),
        );
        for x in 0..w {
            let (sx0, sx1) = (
                x * frame.width / w,
                ((x + 1) * frame.width / w).max(x * frame.width / w + 1),
            );
            let mut acc = [0u64; 3];
            let mut n = 0u64;
            for sy in sy0..sy1 {
                for sx in sx0..sx1 {
                    let o = sy as usize * frame.stride + sx as usize * 4;
                    if let Some(p) = frame.data.get(o..o + 3) {
                        acc[0] += u64::from(p[2]);
                        acc[1] += u64::from(p[1]);
                        acc[2] += u64::from(p[0]);
                        n += 1;
                    }
                }
            }
            let n = n.max(1);
            rgb.extend(acc.iter().map(|c| (c / n) as u8));
        }
    }
    let mut out = Vec::new();
    let encoder = Encoder::new(&mut out, 80);
    encoder
        .encode(
            &rgb,
            u16::try_from(w).unwrap_or(u16::MAX),
            u16::try_from(h).unwrap_or(u16::MAX),
            ColorType::Rgb,
        )
        .map_err(|e| EncodeError::Failed(format!("jpeg: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poster_is_a_small_jpeg() {
        let mut f = BgrxFrame::default();
        f.reshape(1920, 1080);
        let jpeg = poster_jpeg(&f, POSTER_WIDTH).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        assert!(jpeg.len() < 20_000);
        assert!(poster_jpeg(&BgrxFrame::default(), 320).is_err());
    }
}
