// vendor_side.cu: what NVIDIA's own libraries do for three of archbench's image kernels, plus
// a same-size device copy, timed the way archbench's cold mode times (one JSON object a line
// on stdout, diagnostics on stderr). All images are 3840x2160, one channel, u8, pitch 3840,
// random bytes from a fixed-seed PRNG.
//   cub_histogram_even     cub::DeviceHistogram::HistogramEven, 256 bins, levels 0..256, int
//                          counters (1D overload and the row-stride 2D overload); checked
//                          against a CPU histogram.
//   memcpy_d2d             cudaMemcpyAsync device to device of N bytes (one to four images,
//                          256 MiB, and N = T / 2 for each traffic size T given as an
//                          argument); gbps counts read + write (2 N / t).
//   npp_* (-DHAVE_NPP)     nppiFilterGaussBorder_8u_C1R_Ctx 5x5 (NPP's own sigma-1.6 kernel,
//                          NPP_BORDER_REPLICATE, the only border it supports);
//                          nppiFilterGaussAdvancedBorder_8u_C1R_Ctx with archbench's taps
//                          [1 4 6 4 1]/16 (NPP_BORDER_MIRROR); nppiFilterSobelVertBorder_8u16s_C1R_Ctx
//                          3x3 (NPP's "Vert" mask is [-1 0 1; -2 0 2; -1 0 1], the x-derivative
//                          archbench's sobel computes; NPP_BORDER_REPLICATE). Interior pixels
//                          are compared with CPU references and the differing count printed;
//                          nppiResize_8u_C3R_Ctx (NPPI_INTER_LINEAR) of a BGR 3840x2160 image
//                          to 1920x1080 and 5760x3240, archbench's resize cases.
// Timing per sample: read a zeroed buffer of 2x the L2 size (flush leaving clean lines), queue
// a ~50 us globaltimer spin so the host's launches queue behind it, event, one call, event.
// A sample whose start event had already completed when the host finished queuing is "late"
// (discarded, spin doubled, up to 128x). 3 warm-ups; 200 samples or 0.4 s, at least 10;
// median and quartiles (R type 7) in microseconds.
// Build (CUDA 13; the NPP part needs the NPP libraries):
//   nvcc -O3 -gencode=arch=compute_90,code=sm_90 vendor_side.cu -o vendor_side
//   nvcc -O3 -gencode=arch=compute_90,code=sm_90 -DHAVE_NPP vendor_side.cu -o vendor_side -lnppif -lnppig -lnppc
// Exits non-zero only when nothing could be measured.
#if __has_include(<cub/cub.cuh>)
#include <cub/cub.cuh>
#define HAVE_CUB 1
#endif
#include <cuda_runtime.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#ifdef HAVE_NPP
#include <npp.h>
#endif

static const int W = 3840, H = 2160;
static const size_t IMG = (size_t)W * H;
static int g_measured = 0;

static std::string json_str(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += (c == '\n' || c == '\t') ? ' ' : c;
    }
    return o + "\"";
}
static std::string cuerr(cudaError_t e) { return e == cudaSuccess ? "" : std::string("CUDA: ") + cudaGetErrorString(e); }
static void print_error(const char* what, const char* cas, const std::string& err) {
    printf("{\"what\":\"%s\",\"case\":\"%s\",\"error\":%s}\n", what, cas, json_str(err).c_str());
    fflush(stdout);
}

__global__ void flush_kernel(const uint4* buf, size_t n16, unsigned* sink) {
    unsigned x = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n16; i += (size_t)gridDim.x * blockDim.x) {
        uint4 v = __ldcg(buf + i);
        x ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (x == 0x5eed1234u) *sink = x;  // never true for a zeroed buffer; keeps the loads
}

__global__ void spin_kernel(unsigned long long ns) {
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (t - t0 < ns);
}

struct Timer {
    uint4* flush = nullptr;
    size_t n16 = 0;
    unsigned* sink = nullptr;
    int blocks = 0;
    cudaEvent_t e0, e1;
};

struct Stats { double med = 0, p25 = 0, p75 = 0; int n = 0, late = 0; double spin_us = 0; };

static double quantile(const std::vector<double>& xs, double p) {  // R type 7, xs sorted
    double h = (xs.size() - 1) * p;
    size_t lo = (size_t)h;
    return lo + 1 < xs.size() ? xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo]) : xs[lo];
}

// op() queues one call on the default stream and returns "" or an error message.
template <class F>
static std::string time_op(Timer& t, F op, Stats& st) {
    std::string e;
    for (int i = 0; i < 3; ++i)
        if (!(e = op()).empty()) return e;
    if (!(e = cuerr(cudaDeviceSynchronize())).empty()) return e;
    std::vector<double> xs;
    unsigned long long spin_ns = 50000;
    auto t0 = std::chrono::steady_clock::now();
    for (int iter = 0; xs.size() < 200; ++iter) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if ((xs.size() >= 10 && el > 0.4) || el > 20 || iter > 2000) break;
        flush_kernel<<<t.blocks, 256>>>(t.flush, t.n16, t.sink);
        spin_kernel<<<1, 1>>>(spin_ns);
        if (!(e = cuerr(cudaGetLastError())).empty()) return e;
        if (!(e = cuerr(cudaEventRecord(t.e0, 0))).empty()) return e;
        if (!(e = op()).empty()) return e;
        if (!(e = cuerr(cudaEventRecord(t.e1, 0))).empty()) return e;
        cudaError_t q = cudaEventQuery(t.e0);
        if (q != cudaSuccess && q != cudaErrorNotReady) return cuerr(q);
        if (q == cudaErrorNotReady) cudaGetLastError();  // not an error; keep it out of later checks
        if (!(e = cuerr(cudaEventSynchronize(t.e1))).empty()) return e;
        float ms = 0;
        if (!(e = cuerr(cudaEventElapsedTime(&ms, t.e0, t.e1))).empty()) return e;
        if (q == cudaSuccess && spin_ns < 50000ull * 128) { spin_ns *= 2; ++st.late; continue; }
        xs.push_back(ms * 1000.0);
    }
    if (xs.empty()) return "no samples";
    std::sort(xs.begin(), xs.end());
    st.med = quantile(xs, 0.5); st.p25 = quantile(xs, 0.25); st.p75 = quantile(xs, 0.75);
    st.n = (int)xs.size(); st.spin_us = spin_ns / 1000.0;
    return "";
}

// bytes: the data size of the case; traffic: bytes moved per call (for gbps).
static void print_stats(const char* what, const char* cas, const Stats& s, size_t bytes, size_t traffic, const std::string& extra) {
    printf("{\"what\":\"%s\",\"case\":\"%s\",\"median_us\":%.3f,\"p25_us\":%.3f,\"p75_us\":%.3f,\"n\":%d,"
           "\"bytes\":%zu,\"gbps\":%.1f,\"late_discarded\":%d,\"spin_us\":%.0f%s}\n",
           what, cas, s.med, s.p25, s.p75, s.n, bytes, traffic / (std::max(s.med, 1e-3) * 1e3), s.late, s.spin_us, extra.c_str());
    fflush(stdout);
    ++g_measured;
}

#ifdef HAVE_CUB
static void histogram(Timer& t, const uint8_t* d_img, const std::vector<uint8_t>& img) {
    char ver[64];
    snprintf(ver, sizeof ver, "CUB %d.%d.%d", CUB_VERSION / 100000, CUB_VERSION / 100 % 1000, CUB_VERSION % 100);
    std::vector<int> ref(256, 0);
    for (uint8_t v : img) ref[v]++;
    int* d_hist = nullptr;
    void* d_temp = nullptr;
    size_t b1 = 0, b2 = 0;
    std::string e = cuerr(cudaMalloc(&d_hist, 256 * sizeof(int)));
    if (e.empty()) e = cuerr(cub::DeviceHistogram::HistogramEven(nullptr, b1, d_img, d_hist, 257, 0, 256, (int)IMG));
    if (e.empty()) e = cuerr(cub::DeviceHistogram::HistogramEven(nullptr, b2, d_img, d_hist, 257, 0, 256, W, H, (size_t)W));
    if (e.empty()) e = cuerr(cudaMalloc(&d_temp, std::max(b1, b2)));
    if (!e.empty()) { print_error("cub_histogram_even", "3840x2160", e); return; }
    for (int v = 0; v < 2; ++v) {
        const char* what = v == 0 ? "cub_histogram_even" : "cub_histogram_even_2d";
        size_t tb = v == 0 ? b1 : b2;
        auto op = [&]() -> std::string {
            size_t b = tb;
            return cuerr(v == 0 ? cub::DeviceHistogram::HistogramEven(d_temp, b, d_img, d_hist, 257, 0, 256, (int)IMG)
                                : cub::DeviceHistogram::HistogramEven(d_temp, b, d_img, d_hist, 257, 0, 256, W, H, (size_t)W));
        };
        std::vector<int> got(256, -1);
        std::string check = "ok";
        e = cuerr(cudaMemset(d_hist, 0xab, 256 * sizeof(int)));  // garbage: CUB must zero it
        if (e.empty()) e = op();
        if (e.empty()) e = cuerr(cudaMemcpy(got.data(), d_hist, 256 * sizeof(int), cudaMemcpyDeviceToHost));
        if (!e.empty()) { print_error(what, "3840x2160", e); continue; }
        long long sum = 0;
        int bad = 0;
        for (int i = 0; i < 256; ++i) { sum += got[i]; bad += got[i] != ref[i]; }
        if (sum != (long long)IMG || bad)
            check = "mismatch: sum " + std::to_string(sum) + " of " + std::to_string(IMG) + ", " + std::to_string(bad) + " bins differ";
        Stats st;
        if (!(e = time_op(t, op, st)).empty()) { print_error(what, "3840x2160", e); continue; }
        print_stats(what, "3840x2160", st, IMG, IMG,
                    ",\"check\":" + json_str(check) + ",\"version\":" + json_str(ver) + ",\"temp_bytes\":" + std::to_string(tb) +
                        (v ? ",\"row_stride_bytes\":3840" : ""));
    }
    cudaFree(d_temp);
    cudaFree(d_hist);
}

#endif  // HAVE_CUB

// Copies of N bytes for each N in `sizes` (read + write = 2 N of traffic), from buffers of
// the largest N.
static void copies(Timer& t, const std::vector<size_t>& sizes) {
    size_t most = 0;
    for (size_t n : sizes) most = std::max(most, n);
    uint8_t *a = nullptr, *b = nullptr;
    std::string e = cuerr(cudaMalloc(&a, most));
    if (e.empty()) e = cuerr(cudaMalloc(&b, most));
    if (e.empty()) e = cuerr(cudaMemset(a, 0x5a, most));
    if (!e.empty()) { print_error("memcpy_d2d", "all", e); cudaFree(a); cudaFree(b); return; }
    for (size_t n : sizes) {
        std::string cas = std::to_string(n);
        Stats st;
        e = time_op(t, [&]() { return cuerr(cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice, 0)); }, st);
        if (!e.empty()) { print_error("memcpy_d2d", cas.c_str(), e); continue; }
        print_stats("memcpy_d2d", cas.c_str(), st, n, 2 * n, ",\"api\":\"cudaMemcpyAsync\"");
    }
    cudaFree(a);
    cudaFree(b);
}

#ifdef HAVE_NPP
static std::string npperr(NppStatus s) { return s < 0 ? "NppStatus " + std::to_string((int)s) : cuerr(cudaGetLastError()); }

// Interior (2-pixel margin) u8 output against a separable 5-tap kernel k (sum 1), rounded to
// nearest: how many pixels differ, and the largest difference.
static std::string cmp_gauss(const std::vector<uint8_t>& in, const std::vector<uint8_t>& out, const double k[5]) {
    long long differ = 0;
    int maxd = 0;
    for (int y = 2; y < H - 2; ++y)
        for (int x = 2; x < W - 2; ++x) {
            double s = 0;
            for (int i = 0; i < 5; ++i)
                for (int j = 0; j < 5; ++j) s += k[i] * k[j] * in[(size_t)(y + i - 2) * W + x + j - 2];
            int d = std::abs((int)std::floor(s + 0.5) - (int)out[(size_t)y * W + x]);
            differ += d != 0;
            maxd = std::max(maxd, d);
        }
    return "{\"interior_pixels\":" + std::to_string((long long)(W - 4) * (H - 4)) + ",\"differ\":" + std::to_string(differ) +
           ",\"max_abs_diff\":" + std::to_string(maxd) + "}";
}

static void npp(Timer& t, const uint8_t* d_img, const std::vector<uint8_t>& img, const cudaDeviceProp& p, int dev) {
    const NppLibraryVersion* v = nppGetLibVersion();
    std::string ver = "\"NPP " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->build) + "\"";
    NppStreamContext ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.hStream = 0;
    ctx.nCudaDeviceId = dev;
    ctx.nMultiProcessorCount = p.multiProcessorCount;
    ctx.nMaxThreadsPerMultiProcessor = p.maxThreadsPerMultiProcessor;
    ctx.nMaxThreadsPerBlock = p.maxThreadsPerBlock;
    ctx.nSharedMemPerBlock = p.sharedMemPerBlock;
    ctx.nCudaDevAttrComputeCapabilityMajor = p.major;
    ctx.nCudaDevAttrComputeCapabilityMinor = p.minor;
    if (cudaStreamGetFlags(0, &ctx.nStreamFlags) != cudaSuccess) { ctx.nStreamFlags = 0; cudaGetLastError(); }
    const NppiSize size = {W, H};
    const NppiPoint origin = {0, 0};
    uint8_t* d8 = nullptr;
    int16_t* d16 = nullptr;
    float* d_taps = nullptr;
    const float taps[5] = {1 / 16.f, 4 / 16.f, 6 / 16.f, 4 / 16.f, 1 / 16.f};
    std::string e = cuerr(cudaMalloc(&d8, IMG));
    if (e.empty()) e = cuerr(cudaMalloc(&d16, 2 * IMG));
    if (e.empty()) e = cuerr(cudaMalloc(&d_taps, sizeof taps));
    if (e.empty()) e = cuerr(cudaMemcpy(d_taps, taps, sizeof taps, cudaMemcpyHostToDevice));
    if (!e.empty()) { print_error("npp", "3840x2160", e); return; }
    const double binom[5] = {1 / 16., 4 / 16., 6 / 16., 4 / 16., 1 / 16.};
    double g16[5], gs = 0;  // NPP's documented 5x5 kernel: sigma = 0.4 + 2 * 0.6, normalized
    for (int i = 0; i < 5; ++i) gs += (g16[i] = std::exp(-(i - 2) * (i - 2) / (2 * 1.6 * 1.6)));
    for (double& g : g16) g /= gs;
    for (int f = 0; f < 3; ++f) {
        const char* what = f == 0 ? "npp_gauss_5x5" : f == 1 ? "npp_gauss_advanced_binomial_5x5" : "npp_sobel_vert_3x3_8u16s";
        auto op = [&]() -> std::string {
            if (f == 0) return npperr(nppiFilterGaussBorder_8u_C1R_Ctx(d_img, W, size, origin, d8, W, size, NPP_MASK_SIZE_5_X_5, NPP_BORDER_REPLICATE, ctx));
            if (f == 1) return npperr(nppiFilterGaussAdvancedBorder_8u_C1R_Ctx(d_img, W, size, origin, d8, W, size, 5, d_taps, NPP_BORDER_MIRROR, ctx));
            return npperr(nppiFilterSobelVertBorder_8u16s_C1R_Ctx(d_img, W, size, origin, d16, 2 * W, size, NPP_MASK_SIZE_3_X_3, NPP_BORDER_REPLICATE, ctx));
        };
        std::string check;
        e = op();
        if (e.empty()) e = cuerr(cudaDeviceSynchronize());
        if (e.empty() && f < 2) {
            std::vector<uint8_t> out(IMG);
            e = cuerr(cudaMemcpy(out.data(), d8, IMG, cudaMemcpyDeviceToHost));
            if (e.empty()) check = ",\"vs_binomial_round\":" + cmp_gauss(img, out, binom) + (f == 0 ? ",\"vs_gauss_sigma1.6_round\":" + cmp_gauss(img, out, g16) : "");
        } else if (e.empty()) {
            std::vector<int16_t> out(IMG);
            e = cuerr(cudaMemcpy(out.data(), d16, 2 * IMG, cudaMemcpyDeviceToHost));
            long long dpos = 0, dneg = 0;  // vs dx = right - left ([-1 0 1] x [1 2 1]^T), and vs -dx
            for (int y = 2; y < H - 2 && e.empty(); ++y)
                for (int x = 2; x < W - 2; ++x) {
                    auto px = [&](int yy, int xx) { return (int)img[(size_t)yy * W + xx]; };
                    int dx = px(y - 1, x + 1) - px(y - 1, x - 1) + 2 * (px(y, x + 1) - px(y, x - 1)) + px(y + 1, x + 1) - px(y + 1, x - 1);
                    dpos += out[(size_t)y * W + x] != dx;
                    dneg += out[(size_t)y * W + x] != -dx;
                }
            check = ",\"interior_pixels\":" + std::to_string((long long)(W - 4) * (H - 4)) + ",\"differ_vs_dx\":" + std::to_string(dpos) +
                    ",\"differ_vs_neg_dx\":" + std::to_string(dneg);
        }
        if (!e.empty()) { print_error(what, "3840x2160", e); continue; }
        Stats st;
        if (!(e = time_op(t, op, st)).empty()) { print_error(what, "3840x2160", e); continue; }
        const char* fn = f == 0 ? "nppiFilterGaussBorder_8u_C1R_Ctx" : f == 1 ? "nppiFilterGaussAdvancedBorder_8u_C1R_Ctx" : "nppiFilterSobelVertBorder_8u16s_C1R_Ctx";
        const char* border = f == 1 ? "NPP_BORDER_MIRROR" : "NPP_BORDER_REPLICATE";
        size_t out_bytes = f == 2 ? 2 * IMG : IMG;
        print_stats(what, "3840x2160", st, IMG, IMG + out_bytes,
                    std::string(",\"function\":\"") + fn + "\",\"border\":\"" + border + "\",\"version\":" + ver + check);
    }
    cudaFree(d8);
    cudaFree(d16);
    cudaFree(d_taps);
    // nppiResize_8u_C3R_Ctx, NPPI_INTER_LINEAR, on a BGR (3-channel interleaved) 3840x2160
    // image, to archbench's two resize cases. The image is the one-channel image's bytes
    // repeated three times; the output is checked against a half-pixel-centre bilinear
    // reference (OpenCV's mapping, as archbench's resize_bilinear) for how many bytes differ
    // by more than 1.
    uint8_t *d_bgr = nullptr, *d_out = nullptr;
    const size_t bgr = 3 * IMG;
    e = cuerr(cudaMalloc(&d_bgr, bgr));
    for (int k = 0; k < 3 && e.empty(); ++k) e = cuerr(cudaMemcpy(d_bgr + k * IMG, d_img, IMG, cudaMemcpyDeviceToDevice));
    if (e.empty()) e = cuerr(cudaMalloc(&d_out, (size_t)5760 * 3240 * 3));
    std::vector<uint8_t> src(bgr);
    for (int k = 0; k < 3; ++k) std::copy(img.begin(), img.end(), src.begin() + k * IMG);
    if (!e.empty()) { print_error("npp_resize_linear_8u_c3", "", e); cudaFree(d_bgr); cudaFree(d_out); return; }
    const int sizes[2][2] = {{1920, 1080}, {5760, 3240}};
    for (const auto& d : sizes) {
        const int dw = d[0], dh = d[1];
        const std::string cas = "3840x2160 -> " + std::to_string(dw) + "x" + std::to_string(dh);
        const NppiSize ssize = {W, H}, dsize = {dw, dh};
        const NppiRect sroi = {0, 0, W, H}, droi = {0, 0, dw, dh};
        auto op = [&]() -> std::string {
            return npperr(nppiResize_8u_C3R_Ctx(d_bgr, 3 * W, ssize, sroi, d_out, 3 * dw, dsize, droi, NPPI_INTER_LINEAR, ctx));
        };
        e = op();
        if (e.empty()) e = cuerr(cudaDeviceSynchronize());
        std::string check;
        if (e.empty()) {
            std::vector<uint8_t> out((size_t)dw * dh * 3);
            e = cuerr(cudaMemcpy(out.data(), d_out, out.size(), cudaMemcpyDeviceToHost));
            long long off = 0;
            int worst = 0;
            const float sx = (float)W / dw, sy = (float)H / dh;
            auto coord = [](int o, float sc, int n, int& i0, int& i1, float& a) {
                float f = std::max(((float)o + 0.5f) * sc - 0.5f, 0.0f);
                int i = (int)f;
                if (i >= n - 1) { i0 = i1 = n - 1; a = 0; } else { i0 = i; i1 = i + 1; a = f - (float)i; }
            };
            for (int y = 0; y < dh && e.empty(); ++y) {
                int y0, y1; float ay;
                coord(y, sy, H, y0, y1, ay);
                for (int x = 0; x < dw; ++x) {
                    int x0, x1; float ax;
                    coord(x, sx, W, x0, x1, ax);
                    for (int c = 0; c < 3; ++c) {
                        auto px = [&](int yy, int xx) { return (float)src[(size_t)yy * 3 * W + 3 * xx + c]; };
                        const float top = px(y0, x0) + ax * (px(y0, x1) - px(y0, x0));
                        const float bot = px(y1, x0) + ax * (px(y1, x1) - px(y1, x0));
                        const int want = std::min(std::max((int)std::lrint(top + ay * (bot - top)), 0), 255);
                        const int diff = std::abs(want - (int)out[(size_t)y * 3 * dw + 3 * x + c]);
                        worst = std::max(worst, diff);
                        off += diff > 1;
                    }
                }
            }
            check = ",\"vs_half_pixel_bilinear\":{\"bytes\":" + std::to_string((long long)dw * dh * 3) + ",\"differ_by_more_than_1\":" +
                    std::to_string(off) + ",\"max_abs_diff\":" + std::to_string(worst) + "}";
        }
        Stats st;
        if (e.empty()) e = time_op(t, op, st);
        if (!e.empty()) { print_error("npp_resize_linear_8u_c3", cas.c_str(), e); continue; }
        const size_t out_bytes = (size_t)dw * dh * 3;
        print_stats("npp_resize_linear_8u_c3", cas.c_str(), st, bgr, bgr + out_bytes,
                    ",\"function\":\"nppiResize_8u_C3R_Ctx\",\"interpolation\":\"NPPI_INTER_LINEAR\",\"version\":" + ver + check);
    }
    cudaFree(d_bgr);
    cudaFree(d_out);
}
#endif

int main(int argc, char** argv) {
    int dev = 0;
    cudaDeviceProp p;
    std::string e = cuerr(cudaGetDevice(&dev));
    if (e.empty()) e = cuerr(cudaGetDeviceProperties(&p, dev));
    if (!e.empty()) { print_error("device", "", e); return 1; }
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    printf("{\"what\":\"device\",\"name\":%s,\"cc\":\"%d.%d\",\"l2_bytes\":%d,\"sm_count\":%d,\"runtime\":%d,\"driver\":%d}\n",
           json_str(p.name).c_str(), p.major, p.minor, p.l2CacheSize, p.multiProcessorCount, rt, drv);
    fflush(stdout);
    Timer t;
    t.n16 = (2 * (size_t)std::max(p.l2CacheSize, 1) + 15) / 16;
    t.blocks = p.multiProcessorCount * 8;
    e = cuerr(cudaMalloc(&t.flush, t.n16 * 16));
    if (e.empty()) e = cuerr(cudaMemset(t.flush, 0, t.n16 * 16));
    if (e.empty()) e = cuerr(cudaMalloc(&t.sink, 16));
    if (e.empty()) e = cuerr(cudaEventCreate(&t.e0));
    if (e.empty()) e = cuerr(cudaEventCreate(&t.e1));
    if (!e.empty()) { print_error("setup", "", e); return 1; }
    std::vector<uint8_t> img(IMG);
    uint64_t s = 0x243f6a8885a308d3ull;  // splitmix64, fixed seed
    for (size_t i = 0; i < IMG; i += 8) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        memcpy(&img[i], &z, std::min<size_t>(8, IMG - i));
    }
    uint8_t* d_img = nullptr;
    e = cuerr(cudaMalloc(&d_img, IMG));
    if (e.empty()) e = cuerr(cudaMemcpy(d_img, img.data(), IMG, cudaMemcpyHostToDevice));
    if (!e.empty()) print_error("image_upload", "3840x2160", e);
#ifdef HAVE_CUB
    else histogram(t, d_img, img);
#else
    else printf("{\"what\":\"cub\",\"case\":\"3840x2160\",\"skipped\":\"no <cub/cub.cuh> in this toolkit\"}\n");
#endif
    // One to four images and 256 MiB, then one copy per traffic size given on the command line
    // (bytes read + written, e.g. each archbench case's byte count): N = traffic / 2.
    std::vector<size_t> sizes = {IMG, 2 * IMG, 3 * IMG, 4 * IMG, 268435456};
    for (int i = 1; i < argc; ++i) {
        char* end = nullptr;
        const unsigned long long traffic = strtoull(argv[i], &end, 10);
        if (end == argv[i] || *end != '\0' || traffic < 2 || traffic > (1ull << 34)) {
            print_error("memcpy_d2d", "argument", "not a traffic size in bytes (2 .. 2^34): " + std::string(argv[i]));
            continue;
        }
        const size_t n = (size_t)(traffic / 2);
        if (std::find(sizes.begin(), sizes.end(), n) == sizes.end()) sizes.push_back(n);
    }
    copies(t, sizes);
#ifdef HAVE_NPP
    if (e.empty()) npp(t, d_img, img, p, dev);
#else
    printf("{\"what\":\"npp\",\"case\":\"3840x2160\",\"skipped\":\"built without -DHAVE_NPP\"}\n");
#endif
    fprintf(stderr, "vendor_side: %d measurement(s)\n", g_measured);
    return g_measured > 0 ? 0 : 1;
}
