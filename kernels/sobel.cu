// sobel.cu: 3x3 Sobel x-derivative of a one-channel u8 image into i16 ([-1 0 1] x [1 2 1]^T),
// BORDER_REFLECT_101; bit-exact. dst_pitch is in bytes (a multiple of 8).
// A 128 x 32 output tile per 256-thread block, the source tile staged as 32-bit words (edge
// tiles alone pay for the border reflection; see stencil.cuh); each thread computes 4 adjacent
// pixels of 4 consecutive rows straight from the tile (18 word reads for 16 pixels) and writes
// each row's 4 results as one 8-byte store.
// Launch: block (32, 8); grid (ceil(width / 128), ceil(height / 32)).
#include "stencil.cuh"

#define SOBEL_R 1

extern "C" __global__ void __launch_bounds__(256) sobel_3x3_dx(FilterParams p) {
    __shared__ uint32_t tile[STENCIL_TH + 2 * SOBEL_R][STENCIL_WORDS];
    const int bx = blockIdx.x * STENCIL_TW, by = blockIdx.y * STENCIL_TH;
    const int w = (int)p.width, h = (int)p.height;
    stencil_load_tile<SOBEL_R>(tile, p, bx, by);
    __syncthreads();
    const int x0 = bx + 4 * threadIdx.x;
    if (x0 >= w) return;
    // Output column 4 tx + j sits at tile byte 4 tx + j + 4 and reads bytes 4 tx + j + 3 and
    // 4 tx + j + 5: byte 3 of word tx, word tx + 1, byte 0 of word tx + 2. Output rows
    // 4 ty .. 4 ty + 3 read tile rows 4 ty .. 4 ty + 5.
    // Per tile row t: byte 3 of word tx, word tx + 1, byte 0 of word tx + 2 as one 64-bit
    // window (byte i = tile byte 4 tx + 3 + i); the 4 differences packed in registers.
    uint64_t win[6];
#pragma unroll
    for (int t = 0; t < 6; ++t) {
        const int r = 4 * threadIdx.y + t;
        win[t] = ((uint64_t)tile[r][threadIdx.x] >> 24) | ((uint64_t)tile[r][threadIdx.x + 1] << 8) |
                 ((uint64_t)(tile[r][threadIdx.x + 2] & 0xffu) << 40);
    }
    auto diff = [&](int t, int j) {
        return (int)((win[t] >> (8 * (j + 2))) & 0xffu) - (int)((win[t] >> (8 * j)) & 0xffu);
    };
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const int y = by + 4 * threadIdx.y + k;
        if (y >= h) continue;  // not `break`: the loop must unroll (constant array indices)
        int16_t v[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) v[j] = px_sobel_dx(diff(k, j), diff(k + 1, j), diff(k + 2, j));
        int16_t* row = reinterpret_cast<int16_t*>(reinterpret_cast<uint8_t*>(p.dst) + (size_t)y * p.dst_pitch);
        if (x0 + 4 <= w) {
            const uint2 pair = make_uint2((uint32_t)(uint16_t)v[0] | ((uint32_t)(uint16_t)v[1] << 16),
                                          (uint32_t)(uint16_t)v[2] | ((uint32_t)(uint16_t)v[3] << 16));
            *reinterpret_cast<uint2*>(row + x0) = pair;
        } else {
            // Unrolled with a predicate: a loop bound by `w` would index `v` dynamically and
            // put it in local memory (tests/sass_designs.rs checks there is none).
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (x0 + j < w) row[x0 + j] = v[j];
            }
        }
    }
}
