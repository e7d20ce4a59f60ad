// bf16.cuh: bf16 as raw uint16_t bits (no cuda_bf16.h: keeps per-arch compile time low).
// Conversions round to nearest even; sm_80+ uses the native cvt.rn.bf16x2.f32 instruction.
#ifndef ARCHBENCH_BF16_CUH
#define ARCHBENCH_BF16_CUH

#include <stdint.h>

__device__ __forceinline__ float bf16_to_f32(uint32_t bits16) {
    return __uint_as_float(bits16 << 16);
}

// Low and high halves of a packed pair.
__device__ __forceinline__ float bf16_lo(uint32_t pair) { return __uint_as_float(pair << 16); }
__device__ __forceinline__ float bf16_hi(uint32_t pair) { return __uint_as_float(pair & 0xffff0000u); }

// Packs (lo, hi) into one 32-bit word of two bf16, rounding to nearest even.
__device__ __forceinline__ uint32_t pack_bf16x2(float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    uint32_t r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#else
    uint32_t out[2];
    float in[2] = {lo, hi};
#pragma unroll
    for (int i = 0; i < 2; ++i) {
        uint32_t u = __float_as_uint(in[i]);
        if ((u & 0x7fffffffu) > 0x7f800000u) {
            out[i] = 0x7fc0u;
        } else {
            out[i] = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        }
    }
    return out[0] | (out[1] << 16);
#endif
}

#endif  // ARCHBENCH_BF16_CUH
