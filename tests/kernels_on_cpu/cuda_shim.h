// cuda_shim.h: the CUDA built-ins the suite's kernels use, for compiling their source as host
// C++ (tests/build/kernels_on_cpu.rs). It is a model of the CUDA execution model for checking
// launch geometry and indexing, not a GPU: no timings, and nothing here stands in for a GPU test.
//
// - A block runs as one fiber (ucontext) per thread on one OS thread, blocks one after the
//   other. A fiber runs until it reaches a barrier, so code that relies on warp lockstep
//   without `__syncwarp`/shuffles reads stale data here (as it may on a GPU since Volta).
// - `__syncthreads()` waits for every thread of the block that has not exited; a shuffle is a
//   warp collective (`warp_exchange`): an exchange behind one warp barrier. A pass in which no
//   fiber arrives at a barrier or exits is a deadlock (divergent barrier) and ends the run with
//   a message.
// - `__shared__` variables are function statics: one block at a time uses them, and the
//   runner poisons them between blocks (see `__shared__` below).
// - `__CUDA_ARCH__` is undefined, so each kernel's generic path compiles (the SIMT GEMM, the
//   software bf16 rounding). gemm.cu is also built with `__CUDA_ARCH__` = 800 for its
//   mma.sync path, whose PTX sm80_model.h provides; the sm_90a path (TMA, wgmma) is not
//   covered.
#ifndef ARCHBENCH_CUDA_SHIM_H
#define ARCHBENCH_CUDA_SHIM_H

#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
// `__shared__` variables land in one section, which the runner fills with 0xFF bytes before
// each block (a block that reads shared memory it did not write sees poison, not what the
// previous block left there). GCC ignores the section for the statics of template functions
// (the row kernels' reduction scratch, the SIMT GEMM's tiles): those keep what the previous
// block wrote.
#define __shared__ static __attribute__((section("cpux_shared")))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

struct alignas(8) uint2 {
    uint32_t x, y;
};
struct alignas(16) uint4 {
    uint32_t x, y, z, w;
};
struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
inline uint2 make_uint2(uint32_t x, uint32_t y) { return {x, y}; }
inline uint4 make_uint4(uint32_t x, uint32_t y, uint32_t z, uint32_t w) { return {x, y, z, w}; }
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

namespace cpux {

struct Dim3 {
    uint32_t x = 1, y = 1, z = 1;
};

// One 16-byte cp.async copy (sm80_model.h), made when a wait retires its group.
struct AsyncCopy {
    uint8_t* dst;
    const uint8_t* src;
};

struct Fiber {
    ucontext_t ctx;
    Dim3 tid;
    uint32_t linear = 0;
    bool done = false;
    const char* waiting_at = nullptr;
    // Warp collectives this thread has entered (their exchange buffers alternate).
    uint64_t collectives = 0;
    // cp.async copies issued and not committed, and committed groups, oldest first.
    std::vector<AsyncCopy> cp_open;
    std::vector<std::vector<AsyncCopy>> cp_groups;
};

// One barrier: `expected` counts the participants that have not exited.
struct Barrier {
    uint32_t expected = 0, arrived = 0;
    uint64_t generation = 0;
};

struct BlockState {
    Dim3 idx;
    std::vector<Fiber> fibers;
    Barrier block;
    std::vector<Barrier> warps;
    // Warp-collective exchange buffers: 2 (alternating) x 32 lanes x 8 words a warp.
    std::vector<uint32_t> exchange;
};

inline Dim3 grid_dim, block_dim;
// The launch's dynamic shared memory (extern __shared__), poisoned before every block.
inline uint8_t* dynamic_smem_base = nullptr;
inline uint32_t dynamic_smem_bytes = 0;
inline BlockState* blk = nullptr;
inline Fiber* cur = nullptr;
inline ucontext_t scheduler;
// Barrier arrivals, releases and exits: a scheduler pass that changes nothing is a deadlock.
inline uint64_t progress = 0;

[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "kernel fault in block (%u,%u,%u) thread (%u,%u,%u): %s\n", blk ? blk->idx.x : 0,
                 blk ? blk->idx.y : 0, blk ? blk->idx.z : 0, cur ? cur->tid.x : 0, cur ? cur->tid.y : 0,
                 cur ? cur->tid.z : 0, what);
    std::exit(3);
}

inline void yield() {
    Fiber* me = cur;
    if (swapcontext(&me->ctx, &scheduler) != 0) fail("swapcontext failed");
    cur = me;
}

inline void release_if_complete(Barrier& b) {
    if (b.arrived > 0 && b.arrived == b.expected) {
        b.arrived = 0;
        ++b.generation;
        ++progress;
    }
}

inline void arrive_and_wait(Barrier& b, const char* where) {
    const uint64_t g = b.generation;
    ++b.arrived;
    ++progress;
    release_if_complete(b);
    cur->waiting_at = where;
    while (b.generation == g) yield();
    cur->waiting_at = nullptr;
}

inline Barrier& warp_barrier() { return blk->warps[cur->linear / 32]; }

// Called when a fiber's kernel body returns: it no longer counts at any barrier.
inline void exit_thread() {
    cur->done = true;
    ++progress;
    --blk->block.expected;
    release_if_complete(blk->block);
    Barrier& w = warp_barrier();
    --w.expected;
    release_if_complete(w);
}

// A warp collective: every lane of the warp publishes W words and gets all 32 lanes' words
// (lane l's at [l * 8 .. l * 8 + W)). One barrier suffices: the buffers alternate, and no lane
// can enter the collective after next before every lane has left this one.
template <int W>
const uint32_t* warp_exchange(const uint32_t (&mine)[W], const char* what) {
    static_assert(W <= 8, "at most 8 words a lane");
    const uint32_t lane = cur->linear % 32, warp = cur->linear / 32;
    if (blk->warps[warp].expected != 32) fail("a warp collective with exited or missing lanes");
    uint32_t* set = blk->exchange.data() + ((size_t)warp * 2 + (cur->collectives++ & 1)) * 32 * 8;
    memcpy(set + lane * 8, mine, sizeof(mine));
    arrive_and_wait(warp_barrier(), what);
    return set;
}

// A shuffle is a warp collective (`warp_exchange`): every lane must be there, none exited.
template <class T>
T shfl_xor(uint32_t mask, T v, int lane_mask, int width) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a scalar");
    if (mask != 0xffffffffu || width != 32) fail("only full-warp shuffles are modelled");
    const uint32_t src = (cur->linear % 32) ^ (uint32_t)lane_mask;
    if (src >= 32) fail("shuffle source lane outside the warp");
    uint32_t mine[2] = {0, 0};
    memcpy(mine, &v, sizeof(T));
    const uint32_t* all = warp_exchange(mine, "__shfl_xor_sync");
    T r;
    memcpy(&r, all + src * 8, sizeof(T));
    return r;
}

}  // namespace cpux

#define threadIdx (::cpux::cur->tid)
#define __grid_constant__
#define blockIdx (::cpux::blk->idx)
#define blockDim (::cpux::block_dim)
#define gridDim (::cpux::grid_dim)

inline void __syncthreads() { cpux::arrive_and_wait(cpux::blk->block, "__syncthreads"); }
inline void __syncwarp(uint32_t mask = 0xffffffffu) {
    if (mask != 0xffffffffu) cpux::fail("only full-warp __syncwarp is modelled");
    cpux::arrive_and_wait(cpux::warp_barrier(), "__syncwarp");
}
template <class T>
T __shfl_xor_sync(uint32_t mask, T v, int lane_mask, int width = 32) {
    return cpux::shfl_xor(mask, v, lane_mask, width);
}

template <class T>
T __ldg(const T* p) {
    return *p;
}

// Fibers never preempt each other, so a read-modify-write is atomic.
template <class T>
T atomicAdd(T* p, T v) {
    const T old = *p;
    *p = old + v;
    return old;
}

inline float __uint_as_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
inline uint32_t __float_as_uint(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
// Round to nearest even (the default floating-point environment).
inline int __float2int_rn(float x) { return (int)std::nearbyint(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

// PTX prmt in its default mode: result byte i is byte (s >> 4i) & 7 of {y, x}.
inline uint32_t __byte_perm(uint32_t x, uint32_t y, uint32_t s) {
    const uint64_t v = ((uint64_t)y << 32) | x;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= (uint32_t)((v >> (8 * ((s >> (4 * i)) & 7u))) & 0xffu) << (8 * i);
    return r;
}
// shf.r.wrap: the low 32 bits of {hi, lo} >> (shift & 31).
inline uint32_t __funnelshift_r(uint32_t lo, uint32_t hi, uint32_t shift) {
    return (uint32_t)((((uint64_t)hi << 32) | lo) >> (shift & 31u));
}

template <class A, class B>
inline typename std::common_type<A, B>::type min(A a, B b) {
    return b < a ? b : a;
}
template <class A, class B>
inline typename std::common_type<A, B>::type max(A a, B b) {
    return a < b ? b : a;
}

// Built with __CUDA_ARCH__ >= 800 (gemm.cu's mma.sync path): the PTX of kernels/sm80_ptx.cuh.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#include "sm80_model.h"
#endif

#endif  // ARCHBENCH_CUDA_SHIM_H
