// resize.cu: bilinear resize of BGR u8 images, OpenCV INTER_LINEAR coordinate mapping with
// half-pixel centres (sx = (dx + 0.5) * scale - 0.5, clamped to the image), float weights,
// round to nearest. Matches OpenCV's fixed-point result within 1 LSB.
// Launch: block (32, 8); grid (ceil(dst_width / 32), ceil(dst_height / 8)); one thread per
// output pixel (3 channels).
// (Measured on an H200 and dropped, both slower at both sizes: the 6 bytes of a source
// pixel pair read as 32-bit words and a funnel shift, 15.3 / 101.0 us against 13.9 / 88.9;
// bytes to floats and back by exponent arithmetic instead of I2FP/F2I, 14.8 / 98.9 us.)
#include "params.h"

__device__ __forceinline__ void resize_coord(uint32_t d, float scale, uint32_t n, uint32_t& i0, uint32_t& i1, float& a) {
    float f = fmaxf(((float)d + 0.5f) * scale - 0.5f, 0.0f);
    uint32_t i = (uint32_t)f;  // floor: f >= 0
    if (i >= n - 1) {
        i0 = n - 1;
        i1 = n - 1;
        a = 0.0f;
    } else {
        i0 = i;
        i1 = i + 1;
        a = f - (float)i;
    }
}

extern "C" __global__ void __launch_bounds__(256) resize_bilinear(ResizeParams p) {
    const uint32_t dx = blockIdx.x * blockDim.x + threadIdx.x;
    const uint32_t dy = blockIdx.y * blockDim.y + threadIdx.y;
    if (dx >= p.dst_width || dy >= p.dst_height) return;
    uint32_t x0, x1, y0, y1;
    float ax, ay;
    resize_coord(dx, p.scale_x, p.src_width, x0, x1, ax);
    resize_coord(dy, p.scale_y, p.src_height, y0, y1, ay);
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const uint8_t* r0 = src + (size_t)y0 * p.src_pitch;
    const uint8_t* r1 = src + (size_t)y1 * p.src_pitch;
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst) + (size_t)dy * p.dst_pitch + 3 * dx;
#pragma unroll
    for (int c = 0; c < 3; ++c) {
        const float p00 = __ldg(r0 + 3 * x0 + c), p01 = __ldg(r0 + 3 * x1 + c);
        const float p10 = __ldg(r1 + 3 * x0 + c), p11 = __ldg(r1 + 3 * x1 + c);
        const float top = p00 + ax * (p01 - p00);
        const float bottom = p10 + ax * (p11 - p10);
        const float v = top + ay * (bottom - top);
        dst[c] = (uint8_t)min(max(__float2int_rn(v), 0), 255);
    }
}
