// cvt_color.cu: BGR u8 -> gray u8 with OpenCV's 14-bit fixed-point weights (bit-exact).
// Launch: block (64, 4); grid (ceil(width / 256), ceil(height / 4)); each thread converts four
// consecutive pixels (12 source bytes read as three 32-bit words when the row allows it).
// Requires src_pitch and dst_pitch to be multiples of 4.
#include "params.h"
#include "pixel.h"

extern "C" __global__ void __launch_bounds__(256) cvt_color_bgr2gray(CvtColorParams p) {
    const uint32_t y = blockIdx.y * blockDim.y + threadIdx.y;
    const uint32_t x0 = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
    if (y >= p.height || x0 >= p.width) return;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src) + (size_t)y * p.src_pitch;
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst) + (size_t)y * p.dst_pitch;
    if (x0 + 4 <= p.width) {
        const uint32_t* s = reinterpret_cast<const uint32_t*>(src + 3 * x0);
        const uint32_t w0 = __ldg(s), w1 = __ldg(s + 1), w2 = __ldg(s + 2);
        uint8_t b[12];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            b[i] = (w0 >> (8 * i)) & 0xff;
            b[4 + i] = (w1 >> (8 * i)) & 0xff;
            b[8 + i] = (w2 >> (8 * i)) & 0xff;
        }
        uint32_t out = 0;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            out |= (uint32_t)px_gray(b[3 * i], b[3 * i + 1], b[3 * i + 2]) << (8 * i);
        }
        *reinterpret_cast<uint32_t*>(dst + x0) = out;
    } else {
        for (uint32_t x = x0; x < p.width; ++x) {
            dst[x] = px_gray(src[3 * x], src[3 * x + 1], src[3 * x + 2]);
        }
    }
}
