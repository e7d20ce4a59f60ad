// sobel.cu: 3x3 Sobel x-derivative of a one-channel u8 image into i16 ([-1 0 1] x [1 2 1]^T),
// BORDER_REFLECT_101; bit-exact. dst_pitch is in bytes (a multiple of 8).
// A 128 x 32 output tile per 256-thread block, the source tile staged with 16-byte loads
// (edge tiles alone pay for the border reflection; see stencil.cuh); each thread computes 4
// adjacent pixels of 4 consecutive rows straight from the tile and writes each row's 4
// results as one 8-byte store. SIMD within a register, two 16-bit lanes per word: first the
// vertical [1 2 1] sums V (at most 4 * 255) of the columns 4 tx - 1 .. 4 tx + 4, then the
// differences dx_j = V_{j+1} - V_{j-1}, computed as V_{j+1} + 2^15 - V_{j-1} so that no
// lane borrows from the other; flipping bit 15 of each lane then leaves the signed result.
// Launch: block (32, 8); grid (ceil(width / 128), ceil(height / 32)).
#include "stencil.cuh"

#define SOBEL_R 1

extern "C" __global__ void __launch_bounds__(256) sobel_3x3_dx(FilterParams p) {
    __shared__ __align__(16) uint32_t tile[STENCIL_TH + 2 * SOBEL_R][STENCIL_WORDS];
    const int bx = blockIdx.x * STENCIL_TW, by = blockIdx.y * STENCIL_TH;
    const int w = (int)p.width, h = (int)p.height;
    stencil_load_tile<SOBEL_R>(tile, p, bx, by);
    __syncthreads();
    const int x0 = bx + 4 * threadIdx.x;
    if (x0 >= w) return;
    // With C_k = column x0 + k: per tile row t (image row by + 4 ty - 1 + t) the lanes
    // (C-3, C-1), (C0, C2), (C1, C3), (C4, C6) from the words left of, at and right of x0.
    uint32_t lo[6], ev[6], od[6], hi[6];
#pragma unroll
    for (int t = 0; t < 6; ++t) {
        const uint32_t* row = tile[4 * threadIdx.y + t];
        const uint32_t m = row[STENCIL_W0 + threadIdx.x];
        lo[t] = swar_odd(row[STENCIL_W0 - 1 + threadIdx.x]);
        ev[t] = swar_even(m);
        od[t] = swar_odd(m);
        hi[t] = swar_even(row[STENCIL_W0 + 1 + threadIdx.x]);
    }
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const int y = by + 4 * threadIdx.y + k;
        if (y >= h) continue;  // not `break`: the loop must unroll (constant array indices)
        // Vertical [1 2 1] sums of the same lanes for output row k (tile rows k .. k + 2).
        const uint32_t vlo = lo[k] + 2u * lo[k + 1] + lo[k + 2];  // (V-3, V-1)
        const uint32_t vev = ev[k] + 2u * ev[k + 1] + ev[k + 2];  // (V0, V2)
        const uint32_t vod = od[k] + 2u * od[k + 1] + od[k + 2];  // (V1, V3)
        const uint32_t vhi = hi[k] + 2u * hi[k + 1] + hi[k + 2];  // (V4, V6)
        // (dx0, dx2) = (V1, V3) - (V-1, V1); (dx1, dx3) = (V2, V4) - (V0, V2); each lane + 2^15.
        const uint32_t d02 = vod + 0x80008000u - swar_join(vlo, vod);
        const uint32_t d13 = swar_join(vev, vhi) + 0x80008000u - vev;
        // (dx0, dx1) and (dx2, dx3) as two's-complement 16-bit lanes.
        const uint32_t w01 = __byte_perm(d02, d13, 0x5410) ^ 0x80008000u;
        const uint32_t w23 = __byte_perm(d02, d13, 0x7632) ^ 0x80008000u;
        int16_t* row = reinterpret_cast<int16_t*>(reinterpret_cast<uint8_t*>(p.dst) + (size_t)y * p.dst_pitch);
        if (x0 + 4 <= w) {
            *reinterpret_cast<uint2*>(row + x0) = make_uint2(w01, w23);
        } else {
            // Unrolled with a predicate: a loop bound by `w` would index a register array
            // dynamically and put it in local memory (tests/build/sass_designs.rs checks there
            // is none).
            const uint32_t words[2] = {w01, w23};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (x0 + j < w) row[x0 + j] = (int16_t)(uint16_t)(words[j >> 1] >> (16 * (j & 1)));
            }
        }
    }
}
