/* host_ref.h: host C++ versions of the OpenCV-style integer image ops built from the SAME
 * pixel helpers (kernels/pixel.h) the CUDA kernels use, so the kernels' pixel math can be
 * cross-checked against the independent Rust references without a GPU. Outputs are written
 * only at pixel positions (padding untouched). Pitches are in bytes. */
#ifndef ARCHBENCH_HOST_REF_H
#define ARCHBENCH_HOST_REF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void archbench_ref_bgr2gray(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch);
void archbench_ref_blur5(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch);
void archbench_ref_sobel_dx(const uint8_t* src, uint32_t width, uint32_t height, uint32_t src_pitch, uint8_t* dst, uint32_t dst_pitch);

#ifdef __cplusplus
}
#endif

#endif /* ARCHBENCH_HOST_REF_H */
