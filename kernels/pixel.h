/*
 * pixel.h: OpenCV-exact integer pixel helpers shared by the image kernels (the kernels/ .cu files) and
 * the host C++ cross-check (kernels/host_ref.cpp). Plain C/C++; under nvcc every helper is
 * __host__ __device__.
 */
#ifndef ARCHBENCH_PIXEL_H
#define ARCHBENCH_PIXEL_H

#include <stdint.h>

#ifdef __CUDACC__
#define PIXEL_FN __host__ __device__ __forceinline__
#else
#define PIXEL_FN static inline
#endif

/* OpenCV's BGR2GRAY in 14-bit fixed point (weights 0.114, 0.587, 0.299; they sum to 2^14). */
#define PX_GRAY_B 1868
#define PX_GRAY_G 9617
#define PX_GRAY_R 4899
#define PX_GRAY_SHIFT 14

PIXEL_FN uint8_t px_gray(uint32_t b, uint32_t g, uint32_t r) {
    return (uint8_t)((b * PX_GRAY_B + g * PX_GRAY_G + r * PX_GRAY_R + (1u << (PX_GRAY_SHIFT - 1))) >> PX_GRAY_SHIFT);
}

/* BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba): maps any i to 0..n-1 (n >= 1). */
PIXEL_FN int px_reflect101(int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) {
        if (i < 0) i = -i;
        if (i >= n) i = 2 * n - 2 - i;
    }
    return i;
}

/* The 5-tap binomial [1 4 6 4 1]; the 5x5 kernel is its outer product over 256. */
PIXEL_FN uint32_t px_binomial5(int i) {
    return (i == 2) ? 6u : ((i == 1 || i == 3) ? 4u : 1u);
}

/* Rounds a 5x5 binomial sum (sum of k_i k_j src, at most 255 * 256) to u8. */
PIXEL_FN uint8_t px_blur5_round(uint32_t sum) {
    return (uint8_t)((sum + 128u) >> 8);
}

/* Sobel dx 3x3 from the three rows' (right - left) differences: [1 2 1] vertically. */
PIXEL_FN int16_t px_sobel_dx(int d_top, int d_mid, int d_bottom) {
    return (int16_t)(d_top + 2 * d_mid + d_bottom);
}

#endif /* ARCHBENCH_PIXEL_H */
