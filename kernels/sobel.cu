// sobel.cu: 3x3 Sobel x-derivative of a one-channel u8 image into i16 ([-1 0 1] x [1 2 1]^T),
// BORDER_REFLECT_101; bit-exact. dst_pitch is in bytes (a multiple of 2).
// Launch: block (32, 8); grid (ceil(width / 32), ceil(height / 32)); each block stages a
// 34x34 tile in shared memory, each thread writes 4 rows of one column.
#include "params.h"
#include "pixel.h"

#define SOBEL_TW 32
#define SOBEL_TH 32

extern "C" __global__ void __launch_bounds__(256) sobel_3x3_dx(FilterParams p) {
    __shared__ uint8_t tile[SOBEL_TH + 2][SOBEL_TW + 2];
    const int bx = blockIdx.x * SOBEL_TW, by = blockIdx.y * SOBEL_TH;
    const int tid = threadIdx.y * blockDim.x + threadIdx.x;
    const uint8_t* src = reinterpret_cast<const uint8_t*>(p.src);
    const int w = (int)p.width, h = (int)p.height;
    for (int i = tid; i < (SOBEL_TH + 2) * (SOBEL_TW + 2); i += 256) {
        const int ty = i / (SOBEL_TW + 2), tx = i % (SOBEL_TW + 2);
        const int gy = px_reflect101(by + ty - 1, h), gx = px_reflect101(bx + tx - 1, w);
        tile[ty][tx] = __ldg(src + (size_t)gy * p.src_pitch + gx);
    }
    __syncthreads();
    const int x = bx + threadIdx.x;
    if (x >= w) return;
    const int tx = threadIdx.x + 1;
#pragma unroll
    for (int r = 0; r < SOBEL_TH / 8; ++r) {
        const int ty = threadIdx.y + 8 * r + 1;
        const int y = by + ty - 1;
        if (y < h) {
            const int d0 = (int)tile[ty - 1][tx + 1] - (int)tile[ty - 1][tx - 1];
            const int d1 = (int)tile[ty][tx + 1] - (int)tile[ty][tx - 1];
            const int d2 = (int)tile[ty + 1][tx + 1] - (int)tile[ty + 1][tx - 1];
            int16_t* row = reinterpret_cast<int16_t*>(reinterpret_cast<uint8_t*>(p.dst) + (size_t)y * p.dst_pitch);
            row[x] = px_sobel_dx(d0, d1, d2);
        }
    }
}
