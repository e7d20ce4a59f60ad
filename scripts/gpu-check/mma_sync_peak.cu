// mma_sync_peak.cu: the rate of the instruction gemm's sm_80 path is built on (mma.sync
// m16n8k16, bf16 in, f32 accumulate) on this GPU, with operands in registers: no memory, no
// shared memory, no barriers; 8 independent accumulator chains per warp, 8 warps per block,
// 4 blocks per SM. Prints TFLOP/s (2 * 16 * 8 * 16 flops per mma per warp). This is the
// ceiling that path cannot pass, whatever its pipeline; cuBLAS on Hopper uses wgmma instead.
//   nvcc -O3 -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90 -o mma_sync_peak mma_sync_peak.cu
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>

#define CHECK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e), __FILE__, __LINE__); return 1; } } while (0)

__global__ void __launch_bounds__(256) mma_loop(float* out, int iters, uint32_t seed) {
    uint32_t a[4], b[2];
    for (int i = 0; i < 4; ++i) a[i] = seed * (threadIdx.x + i + 1);
    for (int i = 0; i < 2; ++i) b[i] = seed ^ (threadIdx.x * (i + 3));
    float d[8][4] = {};
    for (int it = 0; it < iters; ++it) {
#pragma unroll
        for (int c = 0; c < 8; ++c) {
            asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                         : "+f"(d[c][0]), "+f"(d[c][1]), "+f"(d[c][2]), "+f"(d[c][3])
                         : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
        }
    }
    float s = 0;
    for (int c = 0; c < 8; ++c) s += d[c][0] + d[c][1] + d[c][2] + d[c][3];
    out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

int main() {
    int sms = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    const int blocks = sms * 4, threads = 256, iters = 4096;
    float* out;
    CHECK(cudaMalloc(&out, sizeof(float) * blocks * threads));
    cudaEvent_t t0, t1;
    CHECK(cudaEventCreate(&t0));
    CHECK(cudaEventCreate(&t1));
    mma_loop<<<blocks, threads>>>(out, iters, 7);  // warm-up
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());
    float best = 1e30f;
    for (int rep = 0; rep < 10; ++rep) {
        CHECK(cudaEventRecord(t0));
        mma_loop<<<blocks, threads>>>(out, iters, 7 + rep);
        CHECK(cudaEventRecord(t1));
        CHECK(cudaEventSynchronize(t1));
        float ms = 0;
        CHECK(cudaEventElapsedTime(&ms, t0, t1));
        if (ms < best) best = ms;
    }
    const double flops = 2.0 * 16 * 8 * 16 * 8.0 * iters * (blocks * threads / 32);
    printf("mma.sync m16n8k16 bf16->f32: %.1f TFLOP/s (best of 10, %d SMs, %.3f ms)\n", flops / (best * 1e-3) / 1e12, sms, best);
    return 0;
}
