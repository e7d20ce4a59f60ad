//! Image references (u8, pitched rows as laid out on the device). Outputs are whole pitched
//! buffers whose padding holds the runtime's poison byte.

use super::super::data::poisoned;

/// A pitched u8 image view.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    pub data: &'a [u8],
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub pitch: usize,
}

impl Image<'_> {
    fn at(&self, x: usize, y: usize, c: usize) -> u8 {
        self.data[y * self.pitch + x * self.channels + c]
    }
}

/// BORDER_REFLECT_101: -1 -> 1, n -> n - 2 (needs n >= 2 for offsets up to n - 1).
fn reflect101(i: isize, n: usize) -> usize {
    let n = n as isize;
    if n == 1 {
        return 0;
    }
    let mut i = i;
    loop {
        if i < 0 {
            i = -i;
        } else if i >= n {
            i = 2 * n - 2 - i;
        } else {
            return i as usize;
        }
    }
}

/// BGR -> gray, OpenCV's fixed point: (B*1868 + G*9617 + R*4899 + 8192) >> 14.
pub fn bgr2gray(src: Image<'_>, dst_pitch: usize) -> Vec<u8> {
    let mut out = poisoned(src.height, dst_pitch);
    for y in 0..src.height {
        for x in 0..src.width {
            let (b, g, r) = (
                u32::from(src.at(x, y, 0)),
                u32::from(src.at(x, y, 1)),
                u32::from(src.at(x, y, 2)),
            );
            out[y * dst_pitch + x] = ((b * 1868 + g * 9617 + r * 4899 + 8192) >> 14) as u8;
        }
    }
    out
}

/// Source coordinate and weight of the second tap for destination index `d` (half-pixel
/// centres, clamped to the image as OpenCV's INTER_LINEAR does).
fn bilinear_tap(d: usize, scale: f64, n: usize) -> (usize, usize, f64) {
    let f = ((d as f64 + 0.5) * scale - 0.5).max(0.0);
    let i = f.floor() as usize;
    if i >= n - 1 {
        (n - 1, n - 1, 0.0)
    } else {
        (i, i + 1, f - i as f64)
    }
}

/// Bilinear resize (any channel count) to `dst_w x dst_h`, f64 weights, round half away
/// from zero (the kernel rounds half to even in f32: the rule allows 1 LSB).
pub fn resize_bilinear(src: Image<'_>, dst_w: usize, dst_h: usize, dst_pitch: usize) -> Vec<u8> {
    let sx = src.width as f64 / dst_w as f64;
    let sy = src.height as f64 / dst_h as f64;
    let mut out = poisoned(dst_h, dst_pitch);
    for dy in 0..dst_h {
        let (y0, y1, ay) = bilinear_tap(dy, sy, src.height);
        for dx in 0..dst_w {
            let (x0, x1, ax) = bilinear_tap(dx, sx, src.width);
            for c in 0..src.channels {
                let p = |x, y| f64::from(src.at(x, y, c));
                let v = (1.0 - ay) * ((1.0 - ax) * p(x0, y0) + ax * p(x1, y0))
                    + ay * ((1.0 - ax) * p(x0, y1) + ax * p(x1, y1));
                out[dy * dst_pitch + dx * src.channels + c] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// 5x5 Gaussian blur of a one-channel image with the binomial kernel [1 4 6 4 1] (outer
/// product, /256), BORDER_REFLECT_101: dst = (sum k_i k_j src + 128) >> 8.
pub fn gaussian_blur_5x5(src: Image<'_>, dst_pitch: usize) -> Vec<u8> {
    const K: [u32; 5] = [1, 4, 6, 4, 1];
    let mut out = poisoned(src.height, dst_pitch);
    for y in 0..src.height {
        for x in 0..src.width {
            let mut s = 0u32;
            for (j, kj) in K.iter().enumerate() {
                let yy = reflect101(y as isize + j as isize - 2, src.height);
                for (i, ki) in K.iter().enumerate() {
                    let xx = reflect101(x as isize + i as isize - 2, src.width);
                    s += kj * ki * u32::from(src.at(xx, yy, 0));
                }
            }
            out[y * dst_pitch + x] = ((s + 128) >> 8) as u8;
        }
    }
    out
}

/// 3x3 Sobel x-derivative of a one-channel image into i16 (little-endian bytes, pitch in
/// bytes), BORDER_REFLECT_101, kernel [[-1 0 1] [-2 0 2] [-1 0 1]].
pub fn sobel_3x3_dx(src: Image<'_>, dst_pitch: usize) -> Vec<u8> {
    const K: [[i32; 3]; 3] = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
    let mut out = poisoned(src.height, dst_pitch);
    for y in 0..src.height {
        for x in 0..src.width {
            let mut s = 0i32;
            for (j, row) in K.iter().enumerate() {
                let yy = reflect101(y as isize + j as isize - 1, src.height);
                for (i, k) in row.iter().enumerate() {
                    let xx = reflect101(x as isize + i as isize - 1, src.width);
                    s += k * i32::from(src.at(xx, yy, 0));
                }
            }
            let at = y * dst_pitch + 2 * x;
            out[at..at + 2].copy_from_slice(&(s as i16).to_le_bytes());
        }
    }
    out
}

/// 256-bin histogram of a one-channel image.
pub fn histogram_256(src: Image<'_>) -> [u32; 256] {
    let mut h = [0u32; 256];
    for y in 0..src.height {
        for &v in &src.data[y * src.pitch..y * src.pitch + src.width] {
            h[usize::from(v)] += 1;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(data: &[u8], width: usize, height: usize, channels: usize, pitch: usize) -> Image<'_> {
        Image {
            data,
            width,
            height,
            channels,
            pitch,
        }
    }

    #[test]
    fn reflect_101() {
        assert_eq!(reflect101(-1, 5), 1);
        assert_eq!(reflect101(-2, 5), 2);
        assert_eq!(reflect101(5, 5), 3);
        assert_eq!(reflect101(6, 5), 2);
        assert_eq!(reflect101(-2, 2), 0);
        assert_eq!(reflect101(3, 1), 0);
    }

    #[test]
    fn gray_of_pure_colours() {
        // Pixels: pure blue, green, red, white, black (BGR order), pitch 16 with padding.
        let mut data = vec![0u8; 16];
        data[..15].copy_from_slice(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0]);
        let out = bgr2gray(img(&data, 5, 1, 3, 16), 8);
        // 255*1868 = 476340 -> (476340 + 8192) >> 14 = 29; green 150; red 76; white 255.
        assert_eq!(&out[..5], &[29, 150, 76, 255, 0]);
        assert_eq!(&out[5..], &[0xFF; 3], "padding keeps the poison");
    }

    #[test]
    fn blur_of_constant_is_constant_and_of_impulse_is_the_kernel() {
        let data = vec![77u8; 9 * 7];
        let out = gaussian_blur_5x5(img(&data, 9, 7, 1, 9), 9);
        assert!(out.iter().all(|&v| v == 77));
        // A 255 impulse in the middle of a 9x9 zero image: centre = (36*255 + 128) >> 8 = 36.
        let mut data = vec![0u8; 81];
        data[4 * 9 + 4] = 255;
        let out = gaussian_blur_5x5(img(&data, 9, 9, 1, 9), 9);
        assert_eq!(out[4 * 9 + 4], 36);
        // Neighbour (4, 3): k = 6 * 4 = 24 -> (24*255 + 128) >> 8 = 24.
        assert_eq!(out[3 * 9 + 4], 24);
        // Corner of the support (2, 2): k = 1 -> (255 + 128) >> 8 = 1.
        assert_eq!(out[2 * 9 + 2], 1);
        assert_eq!(out[0], 0);
    }

    #[test]
    fn sobel_dx_of_a_horizontal_ramp() {
        // src(x, y) = 3x: interior dx = (3 + 6 + 3) * 2 = 24... i.e. 4 * (3(x+1) - 3(x-1)) / 2.
        let (w, h) = (6, 4);
        let data: Vec<u8> = (0..h).flat_map(|_| (0..w).map(|x| (3 * x) as u8)).collect();
        let out = sobel_3x3_dx(img(&data, w, h, 1, w), 2 * w);
        let at = |x: usize, y: usize| {
            i16::from_le_bytes([out[y * 2 * w + 2 * x], out[y * 2 * w + 2 * x + 1]])
        };
        for y in 0..h {
            for x in 1..w - 1 {
                assert_eq!(at(x, y), 24, "({x}, {y})");
            }
            // Reflect-101 borders mirror the ramp: derivative 0 at both ends.
            assert_eq!(at(0, y), 0);
            assert_eq!(at(w - 1, y), 0);
        }
    }

    #[test]
    fn histogram_of_known_image() {
        // 3x2 image with pitch 4 (padding byte 9 must not be counted).
        let data = [1u8, 1, 200, 9, 0, 1, 255, 9];
        let h = histogram_256(img(&data, 3, 2, 1, 4));
        assert_eq!((h[0], h[1], h[200], h[255], h[9]), (1, 3, 1, 1, 0));
        assert_eq!(h.iter().sum::<u32>(), 6);
    }

    #[test]
    fn resize_halves_by_averaging_and_keeps_constants() {
        // x0.5 with half-pixel centres averages 2x2 blocks.
        let data = [0u8, 100, 10, 30, 50, 150, 20, 40];
        let out = resize_bilinear(img(&data, 4, 2, 1, 4), 2, 1, 2);
        assert_eq!(out, vec![75, 25]);
        let data = vec![42u8; 5 * 3 * 3];
        let out = resize_bilinear(img(&data, 5, 3, 3, 15), 7, 4, 21);
        assert!(out.iter().all(|&v| v == 42));
    }
}
