//! FFI to `kernels/host_ref.cpp` (built by `build_support/host_ref.rs`): the image ops computed
//! with the kernels' own pixel helpers, cross-checked here against the Rust references.

use std::os::raw::c_void;

type RefFn = unsafe extern "C" fn(*const u8, u32, u32, u32, *mut u8, u32);

extern "C" {
    fn archbench_ref_bgr2gray(
        src: *const u8,
        width: u32,
        height: u32,
        src_pitch: u32,
        dst: *mut u8,
        dst_pitch: u32,
    );
    fn archbench_ref_blur5(
        src: *const u8,
        width: u32,
        height: u32,
        src_pitch: u32,
        dst: *mut u8,
        dst_pitch: u32,
    );
    fn archbench_ref_sobel_dx(
        src: *const u8,
        width: u32,
        height: u32,
        src_pitch: u32,
        dst: *mut u8,
        dst_pitch: u32,
    );
}

/// Eight plain geometry arguments mirror the C signature one to one.
#[allow(clippy::too_many_arguments)]
fn run(
    f: RefFn,
    src: &[u8],
    width: usize,
    height: usize,
    src_pitch: usize,
    src_row_bytes: usize,
    dst_pitch: usize,
    dst_row_bytes: usize,
) -> Vec<u8> {
    assert!(height == 0 || src.len() >= (height - 1) * src_pitch + src_row_bytes);
    assert!(dst_row_bytes <= dst_pitch);
    let mut dst = super::data::poisoned(height, dst_pitch);
    // SAFETY: the asserts bound every row the C code reads and writes (it touches
    // src[y * src_pitch .. + src_row_bytes] and dst[y * dst_pitch .. + dst_row_bytes]).
    unsafe {
        f(
            src.as_ptr(),
            width as u32,
            height as u32,
            src_pitch as u32,
            dst.as_mut_ptr().cast::<c_void>().cast(),
            dst_pitch as u32,
        )
    };
    dst
}

/// BGR -> gray through `pixel.h`.
pub fn bgr2gray(
    src: &[u8],
    width: usize,
    height: usize,
    src_pitch: usize,
    dst_pitch: usize,
) -> Vec<u8> {
    run(
        archbench_ref_bgr2gray,
        src,
        width,
        height,
        src_pitch,
        3 * width,
        dst_pitch,
        width,
    )
}

/// 5x5 binomial blur through `pixel.h`.
pub fn blur5(
    src: &[u8],
    width: usize,
    height: usize,
    src_pitch: usize,
    dst_pitch: usize,
) -> Vec<u8> {
    run(
        archbench_ref_blur5,
        src,
        width,
        height,
        src_pitch,
        width,
        dst_pitch,
        width,
    )
}

/// Sobel dx (i16 bytes) through `pixel.h`.
pub fn sobel_dx(
    src: &[u8],
    width: usize,
    height: usize,
    src_pitch: usize,
    dst_pitch: usize,
) -> Vec<u8> {
    run(
        archbench_ref_sobel_dx,
        src,
        width,
        height,
        src_pitch,
        width,
        dst_pitch,
        2 * width,
    )
}

#[cfg(test)]
mod tests {
    use super::super::reference::image::{self, Image};
    use super::*;

    #[test]
    fn pixel_helpers_match_the_rust_references() {
        let mut s: u64 = 7;
        let mut byte = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 56) as u8
        };
        for (w, h) in [(1usize, 1usize), (2, 3), (37, 11), (254, 146)] {
            let sp = (3 * w).div_ceil(64) * 64;
            let src: Vec<u8> = (0..h * sp).map(|_| byte()).collect();
            let rgb = Image {
                data: &src,
                width: w,
                height: h,
                channels: 3,
                pitch: sp,
            };
            let gray = Image {
                data: &src,
                width: w,
                height: h,
                channels: 1,
                pitch: sp,
            };
            assert_eq!(bgr2gray(&src, w, h, sp, w + 3), image::bgr2gray(rgb, w + 3));
            if w >= 2 && h >= 2 {
                assert_eq!(
                    blur5(&src, w, h, sp, w + 5),
                    image::gaussian_blur_5x5(gray, w + 5)
                );
            }
            assert_eq!(
                sobel_dx(&src, w, h, sp, 2 * w + 4),
                image::sobel_3x3_dx(gray, 2 * w + 4)
            );
        }
    }
}
