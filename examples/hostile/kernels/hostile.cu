// Kernels for cases that go wrong on purpose (see src/main.rs).

extern "C" __global__ void copy(float* y, const float* x, unsigned n) {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i];
}

// One element wrong: the check must catch it.
extern "C" __global__ void copy_off_by_one(float* y, const float* x, unsigned n) {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] + (i == n / 2 ? 1.0f : 0.0f);
}

// Writes far outside any allocation: an illegal address, which poisons the context.
extern "C" __global__ void fault(float* y, unsigned n) {
    volatile float* bad = y - (1ull << 40);
    if (threadIdx.x < n) bad[threadIdx.x] = 1.0f;
}

// Spins until `flag` becomes non-zero, which nothing does: only the watchdog ends it.
extern "C" __global__ void hang(const unsigned* flag) {
    volatile const unsigned* f = flag;
    while (*f == 0) {
    }
}
