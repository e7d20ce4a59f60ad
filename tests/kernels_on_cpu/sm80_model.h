// sm80_model.h: the CPU model's versions of kernels/sm80_ptx.cuh (the PTX of gemm_bf16's
// mma.sync path), included by cuda_shim.h when the file is built with __CUDA_ARCH__ >= 800.
// It defines that header's include guard, so the PTX versions are skipped.
//
// - Shared-memory addresses are offsets into the launch's dynamic shared memory; every access
//   through one is bounds-checked.
// - ldmatrix.x4 and mma.sync are warp collectives with the PTX ISA's fragment layouts (lane
//   l = 4 g + t: A rows g and g + 8, columns 2t, 2t + 1 and those + 8; B columns g, rows 2t,
//   2t + 1 and those + 8; C rows g and g + 8, columns 2t, 2t + 1). Sums are f32 fused
//   multiply-adds in k order, as close to the tensor cores as the gemm check needs.
// - cp.async copies nothing when issued: a wait_group makes the copies of the groups it
//   retires. A thread that reads a stage before waiting for it (or before the barrier after
//   the other threads' waits) reads the poison the block started with, as a GPU would read
//   stale data.
#ifndef ARCHBENCH_SM80_MODEL_H
#define ARCHBENCH_SM80_MODEL_H

#define ARCHBENCH_SM80_PTX_CUH

namespace sm80 {

inline uint8_t* dynamic_smem() {
    if (cpux::dynamic_smem_bytes == 0) cpux::fail("dynamic shared memory used by a launch that gave none");
    return cpux::dynamic_smem_base;
}

inline uint32_t smem_addr(const void* p) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    if (b < cpux::dynamic_smem_base || b > cpux::dynamic_smem_base + cpux::dynamic_smem_bytes) {
        cpux::fail("smem_addr of a pointer outside the dynamic shared memory");
    }
    return (uint32_t)(b - cpux::dynamic_smem_base);
}

// The bytes at shared address `a`, `n` of them, all inside the block's dynamic shared memory.
inline uint8_t* smem_at(uint32_t a, uint32_t n, const char* what) {
    if ((uint64_t)a + n > cpux::dynamic_smem_bytes) cpux::fail(what);
    return cpux::dynamic_smem_base + a;
}

inline void ldmatrix_x4(uint32_t (&r)[4], uint32_t saddr) {
    if (saddr % 16 != 0) cpux::fail("ldmatrix row address not 16-byte aligned");
    const uint32_t mine[1] = {saddr};
    const uint32_t* all = cpux::warp_exchange(mine, "ldmatrix.x4");
    const uint32_t lane = cpux::cur->linear % 32;
    for (int j = 0; j < 4; ++j) {
        // Lane 8j + i gave row i of matrix j; this lane gets row lane / 4, word lane % 4.
        const uint32_t row = all[(8 * j + lane / 4) * 8];
        memcpy(&r[j], smem_at(row + 4 * (lane % 4), 4, "ldmatrix reads outside shared memory"), 4);
    }
}

inline float bf16_bits(uint32_t word, int high) { return __uint_as_float(high ? word & 0xffff0000u : word << 16); }

inline void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b0, b1};
    const uint32_t* all = cpux::warp_exchange(mine, "mma.sync");
    const uint32_t lane = cpux::cur->linear % 32, g = lane / 4, t = lane % 4;
    // A[r][k]: register (r >= 8) + 2 (k >= 8) of lane 4 (r % 8) + (k % 8) / 2, half k % 2.
    auto A = [&](uint32_t r, uint32_t k) {
        return bf16_bits(all[(4 * (r % 8) + (k % 8) / 2) * 8 + (r >= 8) + 2 * (k >= 8)], k % 2);
    };
    // B[k][n]: register 4 + (k >= 8) of lane 4 n + (k % 8) / 2, half k % 2.
    auto B = [&](uint32_t k, uint32_t n) { return bf16_bits(all[(4 * n + (k % 8) / 2) * 8 + 4 + (k >= 8)], k % 2); };
    for (int e = 0; e < 4; ++e) {
        const uint32_t row = g + 8 * (e / 2), col = 2 * t + e % 2;
        float acc = d[e];
        for (uint32_t k = 0; k < 16; ++k) acc = std::fma(A(row, k), B(k, col), acc);
        d[e] = acc;
    }
}

inline void cp_async16(uint32_t saddr, const void* gmem) {
    if (saddr % 16 != 0 || (uintptr_t)gmem % 16 != 0) cpux::fail("cp.async of 16 bytes not 16-byte aligned");
    cpux::cur->cp_open.push_back({smem_at(saddr, 16, "cp.async writes outside shared memory"),
                                  static_cast<const uint8_t*>(gmem)});
}

inline void cp_async_commit() {
    cpux::Fiber* f = cpux::cur;
    f->cp_groups.push_back(std::move(f->cp_open));
    f->cp_open.clear();
}

template <int N>
void cp_async_wait() {
    cpux::Fiber* f = cpux::cur;
    while (f->cp_groups.size() > (size_t)N) {
        for (const cpux::AsyncCopy& c : f->cp_groups.front()) memcpy(c.dst, c.src, 16);
        f->cp_groups.erase(f->cp_groups.begin());
    }
}

}  // namespace sm80

#endif  // ARCHBENCH_SM80_MODEL_H
