// sm80_ptx.cuh: the PTX the sm_80+ path of gemm_bf16 (gemm_sm80.cuh) is built on, one inline
// function each: ldmatrix.x4, mma.sync m16n8k16 bf16 with f32 accumulators, 16-byte cp.async
// with its commit and wait, a pointer's shared-memory address, and the block's dynamic shared
// memory. The CPU model of the kernels (tests/kernels_on_cpu/sm80_model.h) defines the same
// functions and this header's include guard, so that this file is skipped there.
#ifndef ARCHBENCH_SM80_PTX_CUH
#define ARCHBENCH_SM80_PTX_CUH

#include <stdint.h>

namespace sm80 {

// The dynamic shared memory the launch gave the block.
__device__ __forceinline__ uint8_t* dynamic_smem() {
    extern __shared__ __align__(128) uint8_t smem_raw[];
    return smem_raw;
}

__device__ __forceinline__ uint32_t smem_addr(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t saddr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(saddr)
                 : "memory");
}

__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void cp_async16(uint32_t saddr, const void* gmem) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(saddr), "l"(gmem) : "memory");
}

// Closes the thread's open group of cp.async copies.
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

// Waits until at most N of the thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

}  // namespace sm80

#endif  // ARCHBENCH_SM80_PTX_CUH
