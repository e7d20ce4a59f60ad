// swar.cuh: SIMD within a register for the u8 image kernels (gaussian_blur_5x5, sobel_3x3_dx):
// a 32-bit word seen as two 16-bit lanes (lo, hi), so that one add or multiply-add works on
// two pixels. Callers keep every lane's value below 2^16, so no lane carries into the other.
#ifndef ARCHBENCH_SWAR_CUH
#define ARCHBENCH_SWAR_CUH

#include <stdint.h>

// Bytes 0 and 2 of `x` as the lanes (x0, x2).
__device__ __forceinline__ uint32_t swar_even(uint32_t x) { return x & 0x00ff00ffu; }
// Bytes 1 and 3 of `x` as the lanes (x1, x3).
__device__ __forceinline__ uint32_t swar_odd(uint32_t x) { return __byte_perm(x, 0u, 0x4341); }
// (hi lane of a, lo lane of b).
__device__ __forceinline__ uint32_t swar_join(uint32_t a, uint32_t b) { return __funnelshift_r(a, b, 16); }

#endif  // ARCHBENCH_SWAR_CUH
