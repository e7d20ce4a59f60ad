//! OpenCV-style image kernels: u8 images with pitched rows (pitch = row bytes rounded up to
//! 256), default 3840x2160, quick 254x146 (odd sizes exercise partial tiles and row tails).

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
        Size::Quick => (254, 146),
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
