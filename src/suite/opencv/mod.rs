//! OpenCV-style image kernels: u8 images with pitched rows (pitch = row bytes rounded up to
//! 256), default 3840x2160, quick 430x146 (odd sizes exercise partial tiles and row tails;
//! 430 columns give the stencils' 128-column tiles both paths: edge tiles that reflect each
//! column, and interior ones loaded as 16-byte vectors, which need columns bx - 16 .. bx + 143);
//! edge sizes (`image_sizes`) are ten small images at the smallest pitch each kernel accepts.

mod cvt_color;
mod gaussian_blur;
mod histogram;
mod resize;
mod sobel;
mod stencil;

use super::data::pitch;
use super::reference::image::Image;
use super::{KernelSpec, Size};

/// The image kernels, in listing order.
pub fn specs() -> Vec<KernelSpec> {
    vec![
        cvt_color::spec(),
        resize::spec(),
        gaussian_blur::spec(),
        sobel::spec(),
        histogram::spec(),
    ]
}

/// Image widths and heights for a size. The edge images: 1 and 2 pixels (border reflection
/// of tiny images), partial tiles in both directions, widths where the stencils' last interior
/// tile (vector loads, columns bx - 16 .. bx + 143) ends exactly at the image edge (272, 400),
/// widths that are and are not multiples of 16 (at the smallest pitch: the vector and the byte
/// paths).
pub(crate) fn image_sizes(size: Size) -> Vec<(usize, usize)> {
    match size {
        Size::Default => vec![(3840, 2160)],
        Size::Quick => vec![(430, 146)],
        Size::Edges => vec![
            (1, 1),
            (2, 3),
            (5, 3),
            (37, 33),
            (130, 33),
            (272, 64),
            (160, 31),
            (257, 40),
            (300, 77),
            (400, 70),
        ],
    }
}

/// Row pitch of an image with `row_bytes` bytes a row: the suite's 256-byte multiple, or for
/// edge sizes the smallest multiple of `align` (the kernel's documented minimum), so that
/// rows start at every alignment the kernel accepts.
pub(crate) fn row_pitch(size: Size, row_bytes: usize, align: usize) -> usize {
    match size {
        Size::Default | Size::Quick => pitch(row_bytes),
        Size::Edges => row_bytes.div_ceil(align) * align,
    }
}

/// A case label: `WxH`, with the pitch where it is not the suite's usual one.
pub(crate) fn image_label(w: usize, h: usize, size: Size, src_pitch: usize) -> String {
    match size {
        Size::Edges => format!("{w}x{h} pitch {src_pitch}"),
        _ => format!("{w}x{h}"),
    }
}

/// A view of input buffer bytes as a pitched image.
pub(crate) fn view(
    data: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    pitch: usize,
) -> Image<'_> {
    Image {
        data,
        width,
        height,
        channels,
        pitch,
    }
}
