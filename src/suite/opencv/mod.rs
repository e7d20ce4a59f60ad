//! OpenCV-style image kernels: u8 images with pitched rows (pitch = row bytes rounded up to
//! 256), default 3840x2160, quick 430x146 (odd sizes exercise partial tiles and row tails;
//! 430 columns give the stencils' 128-column tiles both paths: edge tiles that reflect each
//! column, and interior ones loaded as 16-byte vectors, which need columns bx - 16 .. bx + 143).

mod cvt_color;
mod gaussian_blur;
mod histogram;
mod resize;
mod sobel;
mod stencil;

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

/// Image width and height for a size.
pub(crate) fn image_size(size: Size) -> (usize, usize) {
    match size {
        Size::Default => (3840, 2160),
        Size::Quick => (430, 146),
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
