//! BGRX → planar YUV 4:2:0 (BT.709, limited range), with an optional box downscale for
//! monitors larger than the policy's maximum resolution.

use crate::source::BgrxFrame;

/// A planar 8-bit 4:2:0 frame (even width and height).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yuv420Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luma, `width × height`.
    pub y: Vec<u8>,
    /// Cb, `width/2 × height/2`.
    pub u: Vec<u8>,
    /// Cr, `width/2 × height/2`.
    pub v: Vec<u8>,
}

/// The encoded size for a `width`×`height` monitor that must fit in `max` (keeping the aspect
/// ratio), rounded down to even numbers.
pub fn fit_size(width: u32, height: u32, max: Option<(u32, u32)>) -> (u32, u32) {
    let (mut w, mut h) = (width.max(2), height.max(2));
    if let Some((mw, mh)) = max
        && (w > mw || h > mh)
    {
        let scale = f64::min(f64::from(mw) / f64::from(w), f64::from(mh) / f64::from(h));
        w = ((f64::from(w) * scale) as u32).max(2);
        h = ((f64::from(h) * scale) as u32).max(2);
    }
    (w & !1, h & !1)
}

#[inline]
fn luma(r: i32, g: i32, b: i32) -> u8 {
    (16 + ((47 * r + 157 * g + 16 * b + 128) >> 8)).clamp(0, 255) as u8
}

impl Yuv420Frame {
    /// Converts `src` into this frame at `width`×`height` (even), reusing the buffers.
    pub fn convert_from(&mut self, src: &BgrxFrame, width: u32, height: u32) {
        let (w, h) = (width as usize & !1, height as usize & !1);
        self.width = w as u32;
        self.height = h as u32;
        self.y.resize(w * h, 0);
        self.u.resize(w / 2 * (h / 2), 0);
        self.v.resize(w / 2 * (h / 2), 0);
        let same = src.width as usize == w && src.height as usize == h;
        // Source coordinates for a destination column/row (nearest; 1:1 when same size).
        let sx: Vec<usize> = (0..w)
            .map(|x| if same { x } else { x * src.width as usize / w })
            .collect();
        let pixel = |x: usize, y: usize| -> (i32, i32, i32) {
            let sy = if same { y } else { y * src.height as usize / h };
            let o = sy * src.stride + sx[x] * 4;
            match src.data.get(o..o + 3) {
                Some(p) => (i32::from(p[2]), i32::from(p[1]), i32::from(p[0])),
                None => (0, 0, 0),
            }
        };
        for cy in 0..h / 2 {
            for cx in 0..w / 2 {
                let (x, y) = (cx * 2, cy * 2);
                let p = [
                    pixel(x, y),
                    pixel(x + 1, y),
                    pixel(x, y + 1),
                    pixel(x + 1, y + 1),
                ];
                self.y[y * w + x] = luma(p[0].0, p[0].1, p[0].2);
                self.y[y * w + x + 1] = luma(p[1].0, p[1].1, p[1].2);
                self.y[(y + 1) * w + x] = luma(p[2].0, p[2].1, p[2].2);
                self.y[(y + 1) * w + x + 1] = luma(p[3].0, p[3].1, p[3].2);
                let r = p.iter().map(|q| q.0).sum::<i32>();
                let g = p.iter().map(|q| q.1).sum::<i32>();
                let b = p.iter().map(|q| q.2).sum::<i32>();
                let ci = cy * (w / 2) + cx;
                self.u[ci] = (128 + ((-26 * r - 87 * g + 113 * b + 512) >> 10)).clamp(0, 255) as u8;
                self.v[ci] = (128 + ((113 * r - 102 * g - 11 * b + 512) >> 10)).clamp(0, 255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: u32, h: u32, bgr: [u8; 3]) -> BgrxFrame {
        let mut f = BgrxFrame::default();
        f.reshape(w, h);
        for px in f.data.chunks_mut(4) {
            px[..3].copy_from_slice(&bgr);
        }
        f
    }

    #[test]
    fn limited_range_extremes_and_neutral_chroma() {
        let mut y = Yuv420Frame::default();
        y.convert_from(&solid(4, 4, [255, 255, 255]), 4, 4);
        assert!(y.y.iter().all(|&v| (234..=236).contains(&v)), "{:?}", y.y);
        assert!(y.u.iter().chain(&y.v).all(|&v| (127..=129).contains(&v)));
        y.convert_from(&solid(4, 4, [0, 0, 0]), 4, 4);
        assert!(y.y.iter().all(|&v| v == 16));
        // Pure red: high Cr.
        y.convert_from(&solid(4, 4, [0, 0, 255]), 4, 4);
        assert!(y.v[0] > 200 && y.u[0] < 128, "{:?} {:?}", y.u, y.v);
    }

    #[test]
    fn downscale_fits_and_stays_even() {
        assert_eq!(fit_size(3840, 2160, Some((1920, 1080))), (1920, 1080));
        assert_eq!(fit_size(1920, 1080, Some((1920, 1080))), (1920, 1080));
        assert_eq!(fit_size(1366, 767, None), (1366, 766));
        let mut y = Yuv420Frame::default();
        y.convert_from(&solid(64, 32, [0, 0, 0]), 32, 16);
        assert_eq!(
            (y.width, y.height, y.y.len(), y.u.len()),
            (32, 16, 512, 128)
        );
    }
}
