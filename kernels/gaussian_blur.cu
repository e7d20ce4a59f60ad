// gaussian_blur.cu: 5x5 Gaussian blur of a one-channel u8 image with the separable binomial
// kernel [1 4 6 4 1] (dst = (sum k_i k_j src + 128) >> 8), BORDER_REFLECT_101; bit-exact.
// Launch: block (32, 8); grid (ceil(width / 32), ceil(height / 32)); each block stages a
// 36x36 tile (with halo) in shared memory, each thread writes 4 rows of one column.
#include "params.h"
#include "pixel.h"

#define BLUR_TW 32
#define BLUR_TH 32
#define BLUR_R 2

extern "C" __global__ void __launch_bounds__(256) gaussian_blur_5x5(FilterParams p) {
    __shared__ uint8_t tile[BLUR_TH + 2 * BLUR_R][BLUR_TW + 2 * BLUR_R];
    __shared__ uint16_t hsum[BLUR_TH + 2 * BLUR_R][BLUR_TW];
    const int bx = blockIdx.x * BLUR_TW, by = blockIdx.y * BLUR_TH;
    const int tid = threadIdx.y * blockDim.x + threadIdx.x;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const int w = (int)p.width, h = (int)p.height;
    for (int i = tid; i < (BLUR_TH + 2 * BLUR_R) * (BLUR_TW + 2 * BLUR_R); i += 256) {
        const int ty = i / (BLUR_TW + 2 * BLUR_R), tx = i % (BLUR_TW + 2 * BLUR_R);
        const int gy = px_reflect101(by + ty - BLUR_R, h), gx = px_reflect101(bx + tx - BLUR_R, w);
        tile[ty][tx] = __ldg(src + (size_t)gy * p.src_pitch + gx);
    }
    __syncthreads();
    for (int i = tid; i < (BLUR_TH + 2 * BLUR_R) * BLUR_TW; i += 256) {
        const int ty = i / BLUR_TW, tx = i % BLUR_TW;
        uint32_t s = 0;
#pragma unroll
        for (int k = 0; k < 5; ++k) s += px_binomial5(k) * tile[ty][tx + k];
        hsum[ty][tx] = (uint16_t)s;
    }
    __syncthreads();
    const int x = bx + threadIdx.x;
    if (x >= w) return;
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst);
#pragma unroll
    for (int r = 0; r < BLUR_TH / 8; ++r) {
        const int ty = threadIdx.y + 8 * r;
        const int y = by + ty;
        if (y < h) {
            uint32_t s = 0;
#pragma unroll
            for (int k = 0; k < 5; ++k) s += px_binomial5(k) * hsum[ty + k][threadIdx.x];
            dst[(size_t)y * p.dst_pitch + x] = px_blur5_round(s);
        }
    }
}
