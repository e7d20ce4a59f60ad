// softmax.cu: row-wise softmax over the last dimension of a contiguous rows x cols matrix,
// f32 and bf16 (f32 math), as PyTorch's persistent softmax does: the row is read from memory
// once into registers (16-byte vectors), its max and then its sum of exp(x - max) are
// reduced over the threads that own the row, and exp is computed once per element.
// Rows of <= SOFTMAX_PAIR_MAX_BYTES bytes (128 f32 / 256 bf16 columns): two rows per warp, 16
// per block, as PyTorch's persistent softmax batches short rows. Rows of <= ROW_WARP_MAX_COLS
// columns: one warp per row, 8 rows per block. Longer rows: one 256-thread block per row, in
// registers up to 32 floats a thread (8192 f32 / 8192 bf16 columns), above that in three
// streaming passes.
// Launch: block 256; grid ceil(rows / 16) when a row is <= SOFTMAX_PAIR_MAX_BYTES bytes,
// ceil(rows / 8) when cols <= ROW_WARP_MAX_COLS, else rows.
// cols % 4 == 0 (f32), % 8 (bf16); rows 16-byte aligned.
#include "rows.cuh"

template <class T, int TPR, int NV>
__device__ __forceinline__ void softmax_row(const typename T::V* x, typename T::V* y, uint32_t nvec,
                                            uint32_t t, float* scratch) {
    float v[NV][T::E];
    float m = -INFINITY;
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        const uint32_t i = t + k * TPR;
        if (i < nvec) {
            T::unpack(__ldg(x + i), v[k]);
        } else {
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[k][e] = -INFINITY;
        }
#pragma unroll
        for (int e = 0; e < T::E; ++e) m = fmaxf(m, v[k][e]);
    }
    m = row_reduce<TPR, OpMax>(m, scratch);
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < NV; ++k) {
#pragma unroll
        for (int e = 0; e < T::E; ++e) {
            v[k][e] = expf(v[k][e] - m);
            s += v[k][e];
        }
    }
    const float inv = 1.0f / row_reduce<TPR, OpSum>(s, scratch);
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        const uint32_t i = t + k * TPR;
        if (i < nvec) {
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[k][e] *= inv;
            y[i] = T::pack(v[k]);
        }
    }
}

// Short rows (one vector a lane): two rows per warp, both loaded before either is reduced,
// so that each lane has two loads in flight and the two rows' shuffles interleave. `second`:
// whether the warp has a second row (the last warp of an odd row count has not).
template <class T>
__device__ __forceinline__ void softmax_row_pair(const typename T::V* x, typename T::V* y, uint32_t nvec,
                                                 bool second, uint32_t lane) {
    float v[2][T::E];
    float m[2], s[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        if (lane < nvec && (r == 0 || second)) {
            T::unpack(__ldg(x + r * nvec + lane), v[r]);
        } else {
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[r][e] = -INFINITY;
        }
        m[r] = v[r][0];
#pragma unroll
        for (int e = 1; e < T::E; ++e) m[r] = fmaxf(m[r], v[r][e]);
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
#pragma unroll
        for (int r = 0; r < 2; ++r) m[r] = fmaxf(m[r], __shfl_xor_sync(0xffffffffu, m[r], o));
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        s[r] = 0.0f;
#pragma unroll
        for (int e = 0; e < T::E; ++e) {
            v[r][e] = expf(v[r][e] - m[r]);
            s[r] += v[r][e];
        }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
#pragma unroll
        for (int r = 0; r < 2; ++r) s[r] += __shfl_xor_sync(0xffffffffu, s[r], o);
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        if (lane < nvec && (r == 0 || second)) {
            const float inv = 1.0f / s[r];
#pragma unroll
            for (int e = 0; e < T::E; ++e) v[r][e] *= inv;
            y[r * nvec + lane] = T::pack(v[r]);
        }
    }
}

// Rows too long for registers: max, sum and write in three passes over memory.
template <class T>
__device__ __noinline__ void softmax_row_long(const typename T::V* x, typename T::V* y, uint32_t nvec,
                                              uint32_t t, float* scratch) {
    float f[T::E];
    float m = -INFINITY;
    for (uint32_t i = t; i < nvec; i += 256) {
        T::unpack(__ldg(x + i), f);
#pragma unroll
        for (int e = 0; e < T::E; ++e) m = fmaxf(m, f[e]);
    }
    m = row_reduce<256, OpMax>(m, scratch);
    float s = 0.0f;
    for (uint32_t i = t; i < nvec; i += 256) {
        T::unpack(__ldg(x + i), f);
#pragma unroll
        for (int e = 0; e < T::E; ++e) s += expf(f[e] - m);
    }
    const float inv = 1.0f / row_reduce<256, OpSum>(s, scratch);
    for (uint32_t i = t; i < nvec; i += 256) {
        T::unpack(__ldg(x + i), f);
#pragma unroll
        for (int e = 0; e < T::E; ++e) f[e] = expf(f[e] - m) * inv;
        y[i] = T::pack(f);
    }
}

template <class T>
__device__ __forceinline__ void softmax(const SoftmaxParams& p) {
    __shared__ float scratch[8];
    typedef typename T::V V;
    static_assert(SOFTMAX_PAIR_MAX_BYTES == 32 * sizeof(V), "the pair path takes every row of <= 32 vectors");
    const uint32_t nvec = p.cols / T::E;
    if (nvec * sizeof(V) <= SOFTMAX_PAIR_MAX_BYTES) {
        const uint32_t row = blockIdx.x * 16 + 2 * (threadIdx.x / 32);
        if (row >= p.rows) return;
        const size_t at = (size_t)row * nvec;
        softmax_row_pair<T>(reinterpret_cast<const V*>(p.x) + at, reinterpret_cast<V*>(p.y) + at, nvec,
                            row + 1 < p.rows, threadIdx.x % 32);
    } else if (p.cols <= ROW_WARP_MAX_COLS) {
        const uint32_t row = blockIdx.x * 8 + threadIdx.x / 32;
        if (row >= p.rows) return;
        const V* x = reinterpret_cast<const V*>(p.x) + (size_t)row * nvec;
        V* y = reinterpret_cast<V*>(p.y) + (size_t)row * nvec;
        const uint32_t lane = threadIdx.x % 32;
        // Here nvec > 32: rows of <= 32 vectors took the pair path (asserted above).
        if (nvec <= 64) softmax_row<T, 32, 2>(x, y, nvec, lane, scratch);
        else if (nvec <= 128) softmax_row<T, 32, 4>(x, y, nvec, lane, scratch);
        else softmax_row<T, 32, 8>(x, y, nvec, lane, scratch);
    } else {
        const uint32_t row = blockIdx.x;  // the same for the whole block: no early divergence
        if (row >= p.rows) return;
        const V* x = reinterpret_cast<const V*>(p.x) + (size_t)row * nvec;
        V* y = reinterpret_cast<V*>(p.y) + (size_t)row * nvec;
        const uint32_t t = threadIdx.x;
        if (nvec <= 256) softmax_row<T, 256, 1>(x, y, nvec, t, scratch);
        else if (nvec <= 512) softmax_row<T, 256, 2>(x, y, nvec, t, scratch);
        else if (nvec <= 1024) softmax_row<T, 256, 4>(x, y, nvec, t, scratch);
        else if (nvec <= 2048 && T::E == 4) {
            // At most 32 floats a thread stay in registers (64 registers: 4 blocks an SM).
            if constexpr (T::E == 4) softmax_row<T, 256, 8>(x, y, nvec, t, scratch);
        } else softmax_row_long<T>(x, y, nvec, t, scratch);
    }
}

extern "C" __global__ void __launch_bounds__(256) softmax_f32(SoftmaxParams p) { softmax<RowF32>(p); }

extern "C" __global__ void __launch_bounds__(256) softmax_bf16(SoftmaxParams p) { softmax<RowBf16>(p); }
