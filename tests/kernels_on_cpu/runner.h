// runner.h: the executable around kernels compiled with cuda_shim.h (tests/build/kernels_on_cpu.rs
// writes a wrapper that includes the shim, one kernels/*.cu file, this header, and defines
// `cpux_registry` listing that file's entries and launch-contract globals).
//
//   runner symbol NAME   prints the bytes of global NAME (a LaunchContract) in hex
//   runner job DIR       runs DIR/job.txt: buffers DIR/buf<i>.bin in, DIR/buf<i>.out out
//
// job.txt: `buffers N` and N byte counts, then per launch: `launch ENTRY gx gy gz bx by bz
// smem PARAM_BYTES HEX POINTERS (offset buffer)...`; the runner writes each buffer's address
// at its offset, as the GPU runtime does. Every buffer starts 256-byte aligned (as cudaMalloc's
// do) and its last 256-byte line ends against a page that faults, so an access beyond that
// line stops the run with the block and thread that made it; the rest of the line holds a
// canary, checked after the run, so a write past the end inside it fails the run too. Shared
// memory is filled with 0xFF bytes before every block.
#ifndef ARCHBENCH_CPU_RUNNER_H
#define ARCHBENCH_CPU_RUNNER_H

#include <signal.h>
#include <sys/mman.h>

#include <string>

namespace cpux {

struct Entry {
    std::string name;
    void (*invoke)(const void*);
    size_t param_bytes;
};
struct Symbol {
    std::string name;
    const void* address;
    size_t bytes;
};

template <class F>
struct ParamOf;
template <class P>
struct ParamOf<void(P)> {
    using type = typename std::remove_cv<P>::type;
};

template <auto F>
void call(const void* bytes) {
    using P = typename ParamOf<typename std::remove_pointer<decltype(F)>::type>::type;
    P p;
    memcpy(&p, bytes, sizeof p);
    F(p);
}

struct Registry {
    std::vector<Entry> entries;
    std::vector<Symbol> symbols;
};

}  // namespace cpux

#define CPUX_ENTRY(f)                                                                              \
    r.entries.push_back({#f, &cpux::call<f>,                                                       \
                         sizeof(typename cpux::ParamOf<typename std::remove_pointer<decltype(&f)>::type>::type)})
#define CPUX_SYMBOL(s) r.symbols.push_back({#s, &s, sizeof s})

void cpux_registry(cpux::Registry& r);

// The linker's bounds of the section every `__shared__` variable is in (cuda_shim.h); weak,
// for kernel files that declare none.
extern "C" uint8_t __start_cpux_shared[] __attribute__((weak));
extern "C" uint8_t __stop_cpux_shared[] __attribute__((weak));

namespace cpux {

constexpr size_t STACK_BYTES = 128 * 1024;
constexpr size_t PAGE = 4096;

inline void (*launch_invoke)(const void*) = nullptr;
inline const void* launch_params = nullptr;

inline void fiber_main() {
    launch_invoke(launch_params);
    exit_thread();
}

struct Mapping {
    uint8_t* data;
    size_t bytes;
    // Bytes from `bytes` to the 256-byte line's end, filled with CANARY: a write there is a
    // write past the buffer that the guard page cannot see.
    size_t slack;
};

constexpr uint8_t CANARY = 0xCD;

// `bytes` bytes ending 256-byte aligned right before a PROT_NONE page.
inline Mapping map_buffer(size_t bytes) {
    const size_t line = (bytes + 255) / 256 * 256;
    const size_t body = (line + PAGE - 1) / PAGE * PAGE;
    void* base = mmap(nullptr, body + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) fail("mmap of a buffer failed");
    uint8_t* b = static_cast<uint8_t*>(base);
    if (mprotect(b + body, PAGE, PROT_NONE) != 0) fail("mprotect of a guard page failed");
    uint8_t* data = b + body - line;
    memset(data + bytes, CANARY, line - bytes);
    return {data, bytes, line - bytes};
}

inline void on_signal(int sig, siginfo_t* info, void*) {
    char msg[256];
    const int n = snprintf(msg, sizeof msg,
                           "kernel fault in block (%u,%u,%u) thread (%u,%u,%u): %s at address %p (past a "
                           "buffer's end, or no buffer)\n",
                           blk ? blk->idx.x : 0, blk ? blk->idx.y : 0, blk ? blk->idx.z : 0, cur ? cur->tid.x : 0,
                           cur ? cur->tid.y : 0, cur ? cur->tid.z : 0, sig == SIGSEGV ? "SIGSEGV" : "SIGBUS",
                           info->si_addr);
    if (n > 0) {
        ssize_t ignored = write(2, msg, (size_t)n);
        (void)ignored;
    }
    _exit(4);
}

inline void on_alarm(int) {
    const char msg[] = "kernel run took over 300 s: stopped\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(5);
}

inline void install_handlers() {
    static std::vector<uint8_t> alt(64 * 1024);
    stack_t ss{};
    ss.ss_sp = alt.data();
    ss.ss_size = alt.size();
    sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    signal(SIGALRM, on_alarm);
    alarm(300);
}

inline void report_deadlock(size_t remaining) {
    std::fprintf(stderr, "deadlock in block (%u,%u,%u): %zu threads wait at barriers no other thread reaches:\n",
                 blk->idx.x, blk->idx.y, blk->idx.z, remaining);
    for (const Fiber& f : blk->fibers) {
        if (!f.done) {
            std::fprintf(stderr, "  thread (%u,%u,%u) at %s\n", f.tid.x, f.tid.y, f.tid.z,
                         f.waiting_at ? f.waiting_at : "?");
        }
    }
    std::exit(3);
}

inline void run_launch(const Entry& e, const std::vector<uint8_t>& params, Dim3 grid, Dim3 block,
                       uint32_t smem) {
    const size_t n = (size_t)block.x * block.y * block.z;
    if (n == 0 || n > 1024) fail("a block has 1 to 1024 threads");
    if (params.size() != e.param_bytes) fail("parameter bytes do not match the entry's parameter struct");
    static std::vector<uint8_t*> stacks;
    while (stacks.size() < n) {
        void* s = mmap(nullptr, STACK_BYTES + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED) fail("mmap of a fiber stack failed");
        mprotect(s, PAGE, PROT_NONE);  // overflow faults
        stacks.push_back(static_cast<uint8_t*>(s) + PAGE);
    }
    grid_dim = grid;
    block_dim = block;
    launch_invoke = e.invoke;
    launch_params = params.data();
    BlockState st;
    st.fibers.resize(n);
    st.warps.resize((n + 31) / 32);
    st.exchange.assign(st.warps.size() * 2 * 32 * 8, 0);
    // Dynamic shared memory, ending against a faulting page like the buffers.
    dynamic_smem_bytes = smem;
    dynamic_smem_base = smem > 0 ? map_buffer(smem).data : nullptr;
    blk = &st;
    for (uint32_t bz = 0; bz < grid.z; ++bz)
        for (uint32_t by = 0; by < grid.y; ++by)
            for (uint32_t bx = 0; bx < grid.x; ++bx) {
                st.idx = {bx, by, bz};
                if (__start_cpux_shared != nullptr && __stop_cpux_shared > __start_cpux_shared) {
                    memset(__start_cpux_shared, 0xFF, (size_t)(__stop_cpux_shared - __start_cpux_shared));
                }
                if (dynamic_smem_base != nullptr) memset(dynamic_smem_base, 0xFF, dynamic_smem_bytes);
                st.block = Barrier{(uint32_t)n, 0, 0};
                for (size_t w = 0; w < st.warps.size(); ++w) {
                    st.warps[w] = Barrier{(uint32_t)std::min<size_t>(32, n - 32 * w), 0, 0};
                }
                for (size_t i = 0; i < n; ++i) {
                    Fiber& f = st.fibers[i];
                    f.linear = (uint32_t)i;
                    f.tid = {(uint32_t)(i % block.x), (uint32_t)(i / block.x % block.y),
                             (uint32_t)(i / ((size_t)block.x * block.y))};
                    f.done = false;
                    f.waiting_at = nullptr;
                    f.collectives = 0;
                    f.cp_open.clear();
                    f.cp_groups.clear();
                    if (getcontext(&f.ctx) != 0) fail("getcontext failed");
                    f.ctx.uc_stack.ss_sp = stacks[i];
                    f.ctx.uc_stack.ss_size = STACK_BYTES;
                    f.ctx.uc_link = &scheduler;
                    makecontext(&f.ctx, fiber_main, 0);
                }
                size_t remaining = n;
                while (remaining > 0) {
                    const uint64_t before = progress;
                    for (Fiber& f : st.fibers) {
                        if (f.done) continue;
                        cur = &f;
                        if (swapcontext(&scheduler, &f.ctx) != 0) fail("swapcontext failed");
                        if (f.done) --remaining;
                    }
                    cur = nullptr;
                    if (remaining > 0 && progress == before) report_deadlock(remaining);
                }
            }
    blk = nullptr;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
    std::vector<uint8_t> out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return out;
    uint8_t buf[1 << 16];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + k);
    std::fclose(f);
    return out;
}

[[noreturn]] inline void usage(const char* what) {
    std::fprintf(stderr, "runner: %s\n", what);
    std::exit(2);
}

inline int run_job(const std::string& dir, const Registry& reg) {
    FILE* job = std::fopen((dir + "/job.txt").c_str(), "r");
    if (!job) usage("cannot open job.txt");
    char word[256];
    size_t count = 0;
    if (std::fscanf(job, "%255s %zu", word, &count) != 2 || std::string(word) != "buffers") usage("job.txt: no `buffers N`");
    std::vector<Mapping> bufs;
    for (size_t i = 0; i < count; ++i) {
        size_t bytes = 0;
        if (std::fscanf(job, "%zu", &bytes) != 1) usage("job.txt: missing buffer size");
        Mapping m = map_buffer(bytes);
        const std::vector<uint8_t> init = read_file(dir + "/buf" + std::to_string(i) + ".bin");
        if (init.size() != bytes) usage("a buffer file's size differs from job.txt");
        memcpy(m.data, init.data(), bytes);
        bufs.push_back(m);
    }
    while (std::fscanf(job, "%255s", word) == 1) {
        if (std::string(word) != "launch") usage("job.txt: expected `launch`");
        char name[256];
        Dim3 g, b;
        uint32_t smem = 0;
        size_t nparams = 0;
        if (std::fscanf(job, "%255s %u %u %u %u %u %u %u %zu", name, &g.x, &g.y, &g.z, &b.x, &b.y, &b.z, &smem,
                        &nparams) != 9) {
            usage("job.txt: a malformed launch line");
        }
        std::vector<uint8_t> params(nparams);
        for (size_t i = 0; i < nparams; ++i) {
            unsigned v = 0;
            if (std::fscanf(job, "%2x", &v) != 1) usage("job.txt: malformed parameter bytes");
            params[i] = (uint8_t)v;
        }
        size_t npointers = 0;
        if (std::fscanf(job, "%zu", &npointers) != 1) usage("job.txt: missing pointer count");
        for (size_t i = 0; i < npointers; ++i) {
            size_t off = 0, idx = 0;
            if (std::fscanf(job, "%zu %zu", &off, &idx) != 2) usage("job.txt: malformed pointer");
            if (idx >= bufs.size() || off + 8 > params.size()) usage("job.txt: pointer outside params or buffers");
            const uint64_t addr = (uint64_t)(uintptr_t)bufs[idx].data;
            memcpy(params.data() + off, &addr, 8);
        }
        const Entry* e = nullptr;
        for (const Entry& c : reg.entries) {
            if (c.name == name) e = &c;
        }
        if (!e) usage((std::string("no entry ") + name + " in this file").c_str());
        run_launch(*e, params, g, b, smem);
    }
    std::fclose(job);
    for (size_t i = 0; i < bufs.size(); ++i) {
        for (size_t k = 0; k < bufs[i].slack; ++k) {
            if (bufs[i].data[bufs[i].bytes + k] != CANARY) {
                std::fprintf(stderr, "kernel fault: buffer %zu (%zu bytes) was written at byte %zu, past its end\n", i,
                             bufs[i].bytes, bufs[i].bytes + k);
                return 4;
            }
        }
    }
    for (size_t i = 0; i < bufs.size(); ++i) {
        FILE* f = std::fopen((dir + "/buf" + std::to_string(i) + ".out").c_str(), "wb");
        if (!f || std::fwrite(bufs[i].data, 1, bufs[i].bytes, f) != bufs[i].bytes) usage("cannot write an output");
        std::fclose(f);
    }
    return 0;
}

}  // namespace cpux

int main(int argc, char** argv) {
    cpux::Registry reg;
    cpux_registry(reg);
    cpux::install_handlers();
    if (argc == 3 && std::string(argv[1]) == "symbol") {
        for (const cpux::Symbol& s : reg.symbols) {
            if (s.name == argv[2]) {
                for (size_t i = 0; i < s.bytes; ++i) std::printf("%02x", static_cast<const uint8_t*>(s.address)[i]);
                std::printf("\n");
                return 0;
            }
        }
        cpux::usage("no such symbol");
    }
    if (argc == 3 && std::string(argv[1]) == "job") return cpux::run_job(argv[2], reg);
    cpux::usage("usage: runner symbol NAME | runner job DIR");
}

#endif  // ARCHBENCH_CPU_RUNNER_H
