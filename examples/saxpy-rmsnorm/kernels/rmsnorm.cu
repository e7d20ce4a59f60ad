// RMSNorm over the last dimension: y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w[:].
// Two implementations of the same operation, compared side by side by the bench's `impl`
// axis.

// One 256-thread block per row: strided loads, a shared-memory tree reduction.
extern "C" __global__ void rmsnorm_block(float* y, const float* x, const float* w,
                                         unsigned rows, unsigned cols, float eps) {
    __shared__ float partial[256];
    unsigned row = blockIdx.x;
    if (row >= rows) return;
    const float* xr = x + (size_t)row * cols;
    float sum = 0.0f;
    for (unsigned c = threadIdx.x; c < cols; c += blockDim.x) {
        float v = xr[c];
        sum += v * v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    float scale = rsqrtf(partial[0] / cols + eps);
    for (unsigned c = threadIdx.x; c < cols; c += blockDim.x) {
        y[(size_t)row * cols + c] = xr[c] * scale * w[c];
    }
}

// One warp per row, eight rows per 256-thread block: 16-byte loads (cols % 4 == 0) and a
// shuffle reduction, no shared memory and no block barrier.
extern "C" __global__ void rmsnorm_warp(float* y, const float* x, const float* w,
                                        unsigned rows, unsigned cols, float eps) {
    unsigned lane = threadIdx.x % 32;
    unsigned row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (row >= rows) return;
    const float4* xr = reinterpret_cast<const float4*>(x + (size_t)row * cols);
    const float4* w4 = reinterpret_cast<const float4*>(w);
    float4* yr = reinterpret_cast<float4*>(y + (size_t)row * cols);
    unsigned n4 = cols / 4;
    float sum = 0.0f;
    for (unsigned c = lane; c < n4; c += 32) {
        float4 v = xr[c];
        sum += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    float scale = rsqrtf(sum / cols + eps);
    for (unsigned c = lane; c < n4; c += 32) {
        float4 v = xr[c], g = w4[c];
        yr[c] = make_float4(v.x * scale * g.x, v.y * scale * g.y, v.z * scale * g.z,
                            v.w * scale * g.w);
    }
}
