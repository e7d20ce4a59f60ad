// host_ref.cpp: see host_ref.h. Direct loops over kernels/pixel.h helpers.
#include "host_ref.h"

#include <cstring>

#include "pixel.h"

extern "C" void archbench_ref_bgr2gray(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch) {
    for (uint32_t y = 0; y < height; ++y) {
        const uint8_t* s = src + (size_t)y * src_pitch;
        for (uint32_t x = 0; x < width; ++x) dst[(size_t)y * dst_pitch + x] = px_gray(s[3 * x], s[3 * x + 1], s[3 * x + 2]);
    }
}

extern "C" void archbench_ref_blur5(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch) {
    const int w = (int)width, h = (int)height;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            uint32_t sum = 0;
            for (int j = 0; j < 5; ++j) {
                const int yy = px_reflect101(y + j - 2, h);
                uint32_t row = 0;
                for (int i = 0; i < 5; ++i) row += px_binomial5(i) * src[(size_t)yy * src_pitch + px_reflect101(x + i - 2, w)];
                sum += px_binomial5(j) * row;
            }
            dst[(size_t)y * dst_pitch + x] = px_blur5_round(sum);
        }
    }
}

extern "C" void archbench_ref_sobel_dx(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch) {
    const int w = (int)width, h = (int)height;
    for (int y = 0; y < h; ++y) {
        int d[3];
        for (int x = 0; x < w; ++x) {
            for (int j = 0; j < 3; ++j) {
                const uint8_t* row = src + (size_t)px_reflect101(y + j - 1, h) * src_pitch;
                d[j] = (int)row[px_reflect101(x + 1, w)] - (int)row[px_reflect101(x - 1, w)];
            }
            const int16_t v = px_sobel_dx(d[0], d[1], d[2]);
            std::memcpy(dst + (size_t)y * dst_pitch + 2 * (size_t)x, &v, 2);
        }
    }
}
