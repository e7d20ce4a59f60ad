// gaussian_blur.cu: 5x5 Gaussian blur of a one-channel u8 image with the separable binomial
// kernel [1 4 6 4 1] (dst = (sum k_i k_j src + 128) >> 8), BORDER_REFLECT_101; bit-exact.
// As OpenCV's CUDA filters: a 128 x 32 output tile per 256-thread block, the source tile
// staged with 16-byte loads (edge tiles alone pay for the border reflection; see
// stencil.cuh), an integer horizontal pass into shared memory, then a vertical pass.
// Both passes are SIMD within a register (swar.cuh): a 32-bit word carries two 16-bit lanes,
// and every add or multiply-add works on two pixels at once. Horizontal sums are at most
// 16 * 255 and the vertical ones 256 * 255 < 2^16, so no lane ever carries into the other;
// the rounding (s + 128) >> 8 is then byte 1 of each lane, picked out with one byte permute.
// Lanes: the horizontal pass stores, per 4 output columns 4g .. 4g + 3, the word pair
// (s0 | s2 << 16, s1 | s3 << 16): even columns in the first word, odd in the second.
// (Measured on an H200 and dropped: streaming through registers, a warp per 240 x 16 strip
// with neighbours' pixels by shuffle and no shared memory, 24.2 us against this design's
// 14.1 us: too few warps in flight.)
// Launch: block (32, 8); grid (ceil(width / 128), ceil(height / 32)). Pitches are multiples
// of 4 (16-byte aligned rows take the vector path).
#include "stencil.cuh"

#define BLUR_R 2

extern "C" __global__ void __launch_bounds__(256) gaussian_blur_5x5(FilterParams p) {
    __shared__ __align__(16) uint32_t tile[STENCIL_TH + 2 * BLUR_R][STENCIL_WORDS];
    __shared__ uint2 hsum[STENCIL_TH + 2 * BLUR_R][STENCIL_TW / 4];
    const int bx = blockIdx.x * STENCIL_TW, by = blockIdx.y * STENCIL_TH;
    const int w = (int)p.width, h = (int)p.height;
    stencil_load_tile<BLUR_R>(tile, p, bx, by);
    __syncthreads();
    // Horizontal pass. Output columns 4g .. 4g + 3 read columns 4g - 2 .. 4g + 5: with
    // P_k = column 4g - 4 + k (words a, b, c = columns 4g - 4 .. 4g + 7), output j is
    // P_{j+2} + 4 P_{j+3} + 6 P_{j+4} + 4 P_{j+5} + P_{j+6}. X_t = (P_{2+t}, P_{4+t}) as
    // lanes, so (s0, s2) = X0 + 4 X1 + 6 X2 + 4 X3 + X4 and (s1, s3) = X1 + ... + X5.
    // Thread (tx, ty) takes column group g = tx of rows ty, ty + 8, ...: no index division.
    static_assert(STENCIL_TW / 4 == 32, "one column group per lane");
    const int g = threadIdx.x;
    for (int r = threadIdx.y; r < STENCIL_TH + 2 * BLUR_R; r += 8) {
        const uint32_t a = tile[r][STENCIL_W0 - 1 + g], b = tile[r][STENCIL_W0 + g], c = tile[r][STENCIL_W0 + 1 + g];
        const uint32_t be = swar_even(b), bo = swar_odd(b);                                // X2, X3
        const uint32_t x0 = swar_join(swar_even(a), be), x1 = swar_join(swar_odd(a), bo);  // X0, X1
        const uint32_t x4 = swar_join(be, swar_even(c)), x5 = swar_join(bo, swar_odd(c));  // X4, X5
        const uint32_t even = x0 + x4 + 4u * (x1 + bo) + 6u * be;
        const uint32_t odd = x1 + x5 + 4u * (be + x4) + 6u * bo;
        hsum[r][g] = make_uint2(even, odd);
    }
    __syncthreads();
    // Vertical pass: columns 4 tx .. 4 tx + 3 of output rows 4 ty .. 4 ty + 3, which read
    // hsum rows 4 ty .. 4 ty + 7.
    uint8_t* dst = reinterpret_cast<uint8_t*>(p.dst);
    const int x0 = bx + 4 * threadIdx.x;
    if (x0 >= w) return;
    uint2 q[8];
#pragma unroll
    for (int t = 0; t < 8; ++t) q[t] = hsum[4 * threadIdx.y + t][threadIdx.x];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const int y = by + 4 * threadIdx.y + k;
        if (y >= h) continue;  // not `break`: the loop must unroll (constant array indices)
        // + 128 in each lane: the rounded result is then byte 1 of the lane.
        const uint32_t even = q[k].x + q[k + 4].x + 0x00800080u + 4u * (q[k + 1].x + q[k + 3].x) + 6u * q[k + 2].x;
        const uint32_t odd = q[k].y + q[k + 4].y + 0x00800080u + 4u * (q[k + 1].y + q[k + 3].y) + 6u * q[k + 2].y;
        const uint32_t out = __byte_perm(even, odd, 0x7351);  // bytes s0, s1, s2, s3
        uint8_t* row = dst + (size_t)y * p.dst_pitch;
        if (x0 + 4 <= w) {
            *reinterpret_cast<uint32_t*>(row + x0) = out;
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (x0 + j < w) row[x0 + j] = (uint8_t)(out >> (8 * j));
            }
        }
    }
}
