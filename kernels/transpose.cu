// transpose.cu: dst (cols x rows) = src^T (src rows x cols), f32, contiguous; exact.
// Launch: block (32, 8); grid (ceil(cols / 32), ceil(rows / 32)); a 32x33 shared tile
// (padded against bank conflicts), each thread moves 4 elements in and 4 out, both coalesced.
#include "params.h"

extern "C" __global__ void __launch_bounds__(256) transpose_f32(TransposeParams p) {
    __shared__ float tile[32][33];
    const float* src = reinterpret_cast<const float*>(p.src);
    float* dst = reinterpret_cast<float*>(p.dst);
    const uint32_t c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
#pragma unroll
    for (int j = 0; j < 32; j += 8) {
        const uint32_t r = r0 + threadIdx.y + j, c = c0 + threadIdx.x;
        if (r < p.rows && c < p.cols) tile[threadIdx.y + j][threadIdx.x] = __ldg(src + (size_t)r * p.cols + c);
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < 32; j += 8) {
        const uint32_t c = c0 + threadIdx.y + j, r = r0 + threadIdx.x;
        if (c < p.cols && r < p.rows) dst[(size_t)c * p.rows + r] = tile[threadIdx.x][threadIdx.y + j];
    }
}
