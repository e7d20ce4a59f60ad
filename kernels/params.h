/*
 * params.h: the by-value parameter structs of every kernel entry point in the kernels/ .cu files.
 *
 * Plain C (<stdint.h> only), shared by the CUDA sources and Rust (bindgen generates
 * src/suite/params.rs from this file; tests/build/bindgen_fresh.rs fails when it is stale).
 *
 * Rules: device addresses are uint64_t; sizes, pitches and counts are uint32_t unless they can
 * exceed 2^32; every struct is laid out with NO implicit padding (explicit _pad fields, each
 * struct's size a multiple of 8) so the bytes Rust writes are exactly what the kernel reads.
 * Pitches are in bytes.
 */
#ifndef ARCHBENCH_PARAMS_H
#define ARCHBENCH_PARAMS_H

#include <stdint.h>

/* cvt_color_bgr2gray: BGR u8 (pitched) -> gray u8 (pitched). */
typedef struct CvtColorParams {
    uint64_t src;
    uint64_t dst;
    uint32_t width;
    uint32_t height;
    uint32_t src_pitch;
    uint32_t dst_pitch;
} CvtColorParams;

/* resize_bilinear: BGR u8 (pitched) -> BGR u8 (pitched); scale = src size / dst size. */
typedef struct ResizeParams {
    uint64_t src;
    uint64_t dst;
    uint32_t src_width;
    uint32_t src_height;
    uint32_t src_pitch;
    uint32_t dst_width;
    uint32_t dst_height;
    uint32_t dst_pitch;
    float scale_x;
    float scale_y;
} ResizeParams;

/* gaussian_blur_5x5 (u8 -> u8) and sobel_3x3_dx (u8 -> i16): one-channel pitched images. */
typedef struct FilterParams {
    uint64_t src;
    uint64_t dst;
    uint32_t width;
    uint32_t height;
    uint32_t src_pitch;
    uint32_t dst_pitch;
} FilterParams;

/* histogram_256 (and histogram_256_zero): one-channel u8 pitched image -> u32[256].
 * pitch must be a multiple of 4. */
typedef struct HistogramParams {
    uint64_t src;
    uint64_t hist;
    uint32_t width;
    uint32_t height;
    uint32_t pitch;
    uint32_t _pad0;
} HistogramParams;

/* add_gelu_{f32,bf16}: out[i] = gelu_tanh(a[i] + b[i]) for i < n. */
typedef struct AddGeluParams {
    uint64_t a;
    uint64_t b;
    uint64_t out;
    uint64_t n;
} AddGeluParams;

/* softmax_{f32,bf16}: row-wise softmax of a contiguous rows x cols matrix.
 * cols must be a multiple of 4 (f32) / 8 (bf16). */
/* softmax and layer_norm (block 256): rows of at most ROW_WARP_MAX_COLS columns get one warp
 * each (grid = ceil(rows / 8)), except softmax's rows of at most SOFTMAX_PAIR_MAX_BYTES bytes
 * (below); longer rows get a whole block (grid = rows). */
#define ROW_WARP_MAX_COLS 1024
/* softmax only: rows of at most SOFTMAX_PAIR_MAX_BYTES bytes (one 16-byte vector a lane) go
 * two to a warp, so that each lane has two loads in flight (grid = ceil(rows / 16)). */
#define SOFTMAX_PAIR_MAX_BYTES 512

typedef struct SoftmaxParams {
    uint64_t x;
    uint64_t y;
    uint32_t rows;
    uint32_t cols;
} SoftmaxParams;

/* layer_norm_{f32,bf16}: y = (x - mean) / sqrt(var + eps) * gamma + beta per row
 * (biased variance). cols must be a multiple of 4 (f32) / 8 (bf16). */
typedef struct LayerNormParams {
    uint64_t x;
    uint64_t gamma;
    uint64_t beta;
    uint64_t y;
    uint32_t rows;
    uint32_t cols;
    float eps;
    uint32_t _pad0;
} LayerNormParams;

/* reduce_sum_partial (grid = num_partials blocks) then reduce_sum_final (one block):
 * out[0] = sum of x[0..n). partial holds num_partials floats. */
typedef struct ReduceSumParams {
    uint64_t x;
    uint64_t partial;
    uint64_t out;
    uint64_t n;
    uint32_t num_partials;
    uint32_t _pad0;
} ReduceSumParams;

/* transpose_f32: dst (cols x rows) = transpose of src (rows x cols), both contiguous. */
typedef struct TransposeParams {
    uint64_t src;
    uint64_t dst;
    uint32_t rows;
    uint32_t cols;
} TransposeParams;

/* A CUDA tensor map (the driver's CUtensorMap: 128 opaque bytes, 64-byte aligned), encoded
 * by the host with cuTensorMapEncodeTiled for a kernel that loads tiles with the copy engine
 * (TMA). Only meaningful inside a `__grid_constant__` parameter. */
typedef struct TensorMap {
    uint64_t opaque[16];
} __attribute__((aligned(64))) TensorMap;

/* gemm_bf16 / sgemm_f32: C (m x n, f32) = A (m x k) * B^T, B is n x k; all row-major.
 * sgemm_f32: m and n multiples of 128, k of 8. gemm_bf16: its launch comes from the loaded
 * image (gemm_bf16_contract below): m, n and k must be multiples of that contract's tile. The
 * tensor maps are filled by the host only when the contract asks for them (sm_90a: A as a
 * k x m bf16 tensor with box tile_k x tile_m, B as k x n with box tile_k x tile_n, 128-byte
 * swizzle); other paths ignore them. */
typedef struct GemmParams {
    uint64_t a;
    uint64_t b;
    uint64_t c;
    uint32_t m;
    uint32_t n;
    uint32_t k;
    uint32_t _pad0;
    uint64_t _pad1[3];
    TensorMap tma_a;
    TensorMap tma_b;
} GemmParams;

/* How to launch an entry whose code paths differ per architecture. Each image of such an entry
 * `E` defines a global `E_contract` of this type; the host reads it from the module the driver
 * loaded (cuModuleGetGlobal), so whichever image runs (sm_90a SASS, sm_80 SASS, PTX JIT),
 * it is launched as its own code expects.
 *   grid: ceil(n / tile_n) x ceil(m / tile_m) blocks, or, when blocks_per_sm > 0 (a
 *   persistent kernel looping over tiles), min(tiles, multiprocessors * blocks_per_sm) blocks
 *   in x. */
typedef struct LaunchContract {
    uint32_t threads;        /* block size (x) */
    uint32_t dynamic_smem;   /* bytes of dynamic shared memory */
    uint32_t tile_m;         /* output rows per tile */
    uint32_t tile_n;         /* output columns per tile */
    uint32_t tile_k;         /* k per pipeline stage (the TMA box's inner extent) */
    uint32_t blocks_per_sm;  /* 0: one block per tile; > 0: persistent, see above */
    uint32_t tensor_maps;    /* 1: the host fills the params' tensor maps */
    uint32_t _pad0;
} LaunchContract;

#endif /* ARCHBENCH_PARAMS_H */
