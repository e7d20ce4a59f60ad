// add_gelu.cu: out = gelu_tanh(a + b), elementwise, f32 and bf16 (f32 math), 16-byte vector
// loads and stores. gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// Launch: block 256; grid ceil(n / (256 * V)) with V = 4 (f32) or 8 (bf16): one 16-byte
// vector per thread; the last partial vector is done element by element.
#include "params.h"
#include "bf16.cuh"

__device__ __forceinline__ float gelu_tanh(float x) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

extern "C" __global__ void __launch_bounds__(256) add_gelu_f32(AddGeluParams p) {
    const uint64_t i = ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x) * 4;
    if (i >= p.n) return;
    const float* a = reinterpret_cast<const float*>(p.a);
    const float* b = reinterpret_cast<const float*>(p.b);
    float* out = reinterpret_cast<float*>(p.out);
    if (i + 4 <= p.n) {
        const float4 va = __ldg(reinterpret_cast<const float4*>(a + i));
        const float4 vb = __ldg(reinterpret_cast<const float4*>(b + i));
        float4 r;
        r.x = gelu_tanh(va.x + vb.x);
        r.y = gelu_tanh(va.y + vb.y);
        r.z = gelu_tanh(va.z + vb.z);
        r.w = gelu_tanh(va.w + vb.w);
        *reinterpret_cast<float4*>(out + i) = r;
    } else {
        for (uint64_t j = i; j < p.n; ++j) out[j] = gelu_tanh(a[j] + b[j]);
    }
}

extern "C" __global__ void __launch_bounds__(256) add_gelu_bf16(AddGeluParams p) {
    const uint64_t i = ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x) * 8;
    if (i >= p.n) return;
    const uint16_t* a = reinterpret_cast<const uint16_t*>(p.a);
    const uint16_t* b = reinterpret_cast<const uint16_t*>(p.b);
    uint16_t* out = reinterpret_cast<uint16_t*>(p.out);
    if (i + 8 <= p.n) {
        const uint4 va = __ldg(reinterpret_cast<const uint4*>(a + i));
        const uint4 vb = __ldg(reinterpret_cast<const uint4*>(b + i));
        const uint32_t wa[4] = {va.x, va.y, va.z, va.w};
        const uint32_t wb[4] = {vb.x, vb.y, vb.z, vb.w};
        uint32_t r[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            r[j] = pack_bf16x2(gelu_tanh(bf16_lo(wa[j]) + bf16_lo(wb[j])), gelu_tanh(bf16_hi(wa[j]) + bf16_hi(wb[j])));
        }
        *reinterpret_cast<uint4*>(out + i) = make_uint4(r[0], r[1], r[2], r[3]);
    } else {
        for (uint64_t j = i; j < p.n; ++j) {
            out[j] = (uint16_t)(pack_bf16x2(gelu_tanh(bf16_to_f32(a[j]) + bf16_to_f32(b[j])), 0.0f) & 0xffffu);
        }
    }
}
