//! Timing primitives: CUDA event pairs, the L2 flush (a read of twice the L2 size; see
//! [`L2Flusher`] for why not nvbench's memset), the per-SM clock stamps around each timed region, and the blocking kernel.

use std::ffi::c_void;

use cudarc::driver::result;
use cudarc::driver::sys::{self, CUevent_flags};

use super::memory::DeviceBuffer;
use super::module::{Function, Module};
use super::ptx::HELPERS_PTX;
use super::GpuError;

/// Cycles and nanoseconds one SM spent across a timed region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSpan {
    pub cycles: u64,
    pub ns: u64,
}

impl ClockSpan {
    /// The SM clock over the span, MHz (NaN for an empty span).
    pub fn mhz(self) -> f64 {
        if self.ns == 0 {
            f64::NAN
        } else {
            self.cycles as f64 * 1e3 / self.ns as f64
        }
    }
}

/// Two events around GPU work.
pub struct EventPair {
    start: sys::CUevent,
    end: sys::CUevent,
}

impl EventPair {
    pub fn new() -> Result<Self, GpuError> {
        let start = result::event::create(CUevent_flags::CU_EVENT_DEFAULT)
            .map_err(GpuError::driver("creating an event"))?;
        let end = result::event::create(CUevent_flags::CU_EVENT_DEFAULT)
            .map_err(GpuError::driver("creating an event"))?;
        Ok(Self { start, end })
    }

    pub fn record_start(&self, stream: super::Stream) -> Result<(), GpuError> {
        // SAFETY: live event and stream of the current context.
        unsafe { result::event::record(self.start, stream.raw()) }
            .map_err(GpuError::driver("recording an event"))
    }

    pub fn record_end(&self, stream: super::Stream) -> Result<(), GpuError> {
        // SAFETY: as above.
        unsafe { result::event::record(self.end, stream.raw()) }
            .map_err(GpuError::driver("recording an event"))
    }

    /// Waits for the end event and returns the elapsed GPU time in seconds.
    pub fn elapsed_s(&self) -> Result<f64, GpuError> {
        let f = elapsed_fn().ok_or_else(|| {
            GpuError::Invalid(
                "the driver exports neither cuEventElapsedTime_v2 nor cuEventElapsedTime".into(),
            )
        })?;
        let mut ms = 0f32;
        // SAFETY: both events were recorded; `f` is the driver's own entry point.
        unsafe {
            result::event::synchronize(self.end)
                .map_err(GpuError::driver("waiting for an event"))?;
            f(&mut ms, self.start, self.end)
                .result()
                .map_err(GpuError::driver("reading event time"))?;
        }
        Ok(f64::from(ms) / 1e3)
    }
}

type ElapsedFn = unsafe extern "C" fn(*mut f32, sys::CUevent, sys::CUevent) -> sys::CUresult;

/// `cuEventElapsedTime_v2` exists only in drivers ≥ R570 (CUDA 12.8), and cudarc built for
/// CUDA 13 panics when a symbol is missing; so look it up here and fall back to the
/// original entry point, which every driver exports.
fn elapsed_fn() -> Option<ElapsedFn> {
    static F: std::sync::OnceLock<Option<ElapsedFn>> = std::sync::OnceLock::new();
    *F.get_or_init(|| {
        // SAFETY: only called after `Gpu::open` found libcuda; the symbols have this signature.
        unsafe {
            let lib = sys::culib();
            [
                &b"cuEventElapsedTime_v2\0"[..],
                &b"cuEventElapsedTime\0"[..],
            ]
            .into_iter()
            .find_map(|name| lib.get::<ElapsedFn>(name).ok().map(|s| *s))
        }
    })
}

impl Drop for EventPair {
    fn drop(&mut self) {
        // SAFETY: created above.
        unsafe {
            let _ = result::event::destroy(self.start);
            let _ = result::event::destroy(self.end);
        }
    }
}

/// Empties L2 of the measured kernel's data before each cold sample by *reading* a zeroed
/// buffer of twice the L2 size (L2 keeps each line once per partition on some GPUs, so one
/// L2's worth may not replace everything).
///
/// nvbench flushes with a memset of exactly the L2 size. That leaves L2 full of *dirty*
/// lines, and a memory-bound kernel then pays for writing them back to DRAM inside its
/// timed region: on an H200 it made `layer_norm` f32 16384×4096 3.5 % slower than
/// Nsight Compute's cold time (ncu invalidates caches instead). After a read flush L2 holds
/// clean lines, which cost nothing to replace, and the previous sample's dirty output has
/// been written back during the flush, outside the timed region.
pub struct L2Flusher {
    _module: Module,
    func: Function,
    buf: DeviceBuffer,
    sink: DeviceBuffer,
    blocks: u32,
}

impl L2Flusher {
    pub fn new(l2_bytes: u64, sm_count: u32) -> Result<Self, GpuError> {
        let module = Module::load(HELPERS_PTX.as_bytes())?;
        let func = module.function("archbench_flush")?;
        let bytes = (2 * l2_bytes.max(1)).next_multiple_of(16) as usize;
        let buf = DeviceBuffer::new(bytes)?;
        buf.fill_byte(0)?;
        Ok(Self {
            _module: module,
            func,
            buf,
            sink: DeviceBuffer::new(16)?,
            blocks: sm_count.max(1) * 8,
        })
    }

    pub fn flush(&mut self, stream: super::Stream) -> Result<(), GpuError> {
        let mut p = [0u8; 24];
        p[..8].copy_from_slice(&self.buf.ptr().to_le_bytes());
        p[8..16].copy_from_slice(&((self.buf.len() / 16) as u64).to_le_bytes());
        p[16..].copy_from_slice(&self.sink.ptr().to_le_bytes());
        // SAFETY: the helper's parameter struct is {u64 buf; u64 n16; u64 sink}; the buffer
        // holds n16 16-byte chunks and the sink 16 bytes.
        unsafe {
            self.func.launch(
                "archbench_flush",
                [self.blocks, 1, 1],
                [256, 1, 1],
                0,
                stream,
                &mut p,
                &[(0, 24)],
            )
        }
    }
}

/// Stamps clock64 and globaltimer on every SM before and after a timed region, into
/// pinned host-mapped memory (no copy to read them back), and turns them into the slowest
/// SM's [`ClockSpan`] across the region.
pub struct ClockStamps {
    _module: Module,
    func: Function,
    host: *mut c_void,
    dev: sys::CUdeviceptr,
    blocks: u32,
}

/// Slots for SM ids (`%smid` can exceed the SM count; larger ids are not stamped).
const STAMP_SLOTS: usize = 1024;
const STAMP_BYTES: usize = STAMP_SLOTS * 16;

impl ClockStamps {
    /// `sm_count` blocks per stamp, so (on an idle GPU) one lands on every SM.
    pub fn new(sm_count: u32) -> Result<Self, GpuError> {
        let module = Module::load(HELPERS_PTX.as_bytes())?;
        let func = module.function("archbench_stamp")?;
        // SAFETY: pinned, device-mapped host memory: [before slots][after slots].
        let host = unsafe { result::malloc_host(2 * STAMP_BYTES, sys::CU_MEMHOSTALLOC_DEVICEMAP) }
            .map_err(GpuError::driver("allocating the clock stamps"))?;
        let mut dev: sys::CUdeviceptr = 0;
        // SAFETY: host was allocated with DEVICEMAP.
        unsafe { sys::cuMemHostGetDevicePointer_v2(&mut dev, host, 0) }
            .result()
            .map_err(GpuError::driver("mapping the clock stamps"))?;
        let s = Self {
            _module: module,
            func,
            host,
            dev,
            blocks: sm_count.max(1),
        };
        s.clear();
        Ok(s)
    }

    /// Zeroes both stamp sets. Call only while no stamp kernel is in flight.
    pub fn clear(&self) {
        // SAFETY: 2·STAMP_BYTES of live pinned memory; the GPU is not writing it now.
        unsafe { std::ptr::write_bytes(self.host.cast::<u8>(), 0, 2 * STAMP_BYTES) };
    }

    fn stamp(&self, second: bool, stream: super::Stream) -> Result<(), GpuError> {
        let base = self.dev + if second { STAMP_BYTES as u64 } else { 0 };
        let mut p = [0u8; 16];
        p[..8].copy_from_slice(&base.to_le_bytes());
        p[8..].copy_from_slice(&(STAMP_SLOTS as u64).to_le_bytes());
        // SAFETY: the helper's parameter struct is {u64 slots; u64 nslots}; the slots are
        // live mapped memory of STAMP_BYTES.
        unsafe {
            self.func.launch(
                "archbench_stamp",
                [self.blocks, 1, 1],
                [1, 1, 1],
                0,
                stream,
                &mut p,
                &[(0, 16)],
            )
        }
    }

    /// Queues the stamp before the timed region.
    pub fn before(&self, stream: super::Stream) -> Result<(), GpuError> {
        self.stamp(false, stream)
    }

    /// Queues the stamp after the timed region.
    pub fn after(&self, stream: super::Stream) -> Result<(), GpuError> {
        self.stamp(true, stream)
    }

    /// The slowest SM's span between the two stamps, once both have run (after a
    /// synchronisation); `None` when no SM has both. Clears the stamps for the next sample.
    pub fn span(&self) -> Option<ClockSpan> {
        self.readout().slowest
    }

    /// Both readings of the stamps (after a synchronisation); clears them for the next
    /// sample.
    pub fn readout(&self) -> StampReadout {
        let mut best: Option<(f64, ClockSpan)> = None;
        // The timed work starts after the last SM's `before` stamp and ends before the first
        // SM's `after` stamp (stream order): the region between them, on the GPU's clock.
        let (mut last_before, mut first_after) = (0u64, u64::MAX);
        for slot in 0..STAMP_SLOTS {
            // SAFETY: reads within the 2·STAMP_BYTES pinned allocation; the stamp kernels
            // have finished (the caller synchronised).
            let read = |off: usize| unsafe {
                std::ptr::read_volatile(self.host.cast::<u8>().add(off).cast::<u64>())
            };
            let (c0, t0) = (read(slot * 16), read(slot * 16 + 8));
            let (c1, t1) = (
                read(STAMP_BYTES + slot * 16),
                read(STAMP_BYTES + slot * 16 + 8),
            );
            if t0 == 0 || t1 <= t0 || c1 < c0 {
                continue;
            }
            last_before = last_before.max(t0);
            first_after = first_after.min(t1);
            let span = ClockSpan {
                cycles: c1 - c0,
                ns: t1 - t0,
            };
            let mhz = span.mhz();
            if best.is_none_or(|(b, _)| mhz < b) {
                best = Some((mhz, span));
            }
        }
        self.clear();
        StampReadout {
            slowest: best.map(|(_, s)| s),
            region_ns: (first_after != u64::MAX && first_after > last_before)
                .then(|| first_after - last_before),
        }
    }
}

/// What one pair of stamp sets says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampReadout {
    /// The slowest SM's cycles and nanoseconds across the timed region (its clock).
    pub slowest: Option<ClockSpan>,
    /// Nanoseconds from the last SM's `before` stamp to the first SM's `after` stamp: the
    /// timed region as the GPU's own timer saw it (`%globaltimer`, about 1 µs resolution),
    /// without the event pair's fixed cost.
    pub region_ns: Option<u64>,
}

/// An empty kernel: what a timed region costs with no work in it (the event pair's and a
/// launch's fixed cost, measured once per worker).
pub struct EmptyKernel {
    _module: Module,
    func: Function,
}

impl EmptyKernel {
    pub fn new() -> Result<Self, GpuError> {
        let module = Module::load(HELPERS_PTX.as_bytes())?;
        let func = module.function("archbench_empty")?;
        Ok(Self {
            _module: module,
            func,
        })
    }

    /// Queues one launch (one thread).
    pub fn launch(&mut self, stream: super::Stream) -> Result<(), GpuError> {
        // SAFETY: the kernel takes no parameters.
        unsafe {
            self.func.launch(
                "archbench_empty",
                [1, 1, 1],
                [1, 1, 1],
                0,
                stream,
                &mut [],
                &[],
            )
        }
    }
}

impl Drop for ClockStamps {
    fn drop(&mut self) {
        // SAFETY: allocated by malloc_host; no kernel uses it any more (the owner
        // synchronised or the context is going away).
        let _ = unsafe { result::free_host(self.host) };
    }
}

/// Holds queued work until the host releases it, so event timings exclude launch latency.
pub struct BlockingKernel {
    _module: Module,
    func: Function,
    host_flag: *mut c_void,
    dev_flag: sys::CUdeviceptr,
}

impl BlockingKernel {
    pub fn new() -> Result<Self, GpuError> {
        let module = Module::load(HELPERS_PTX.as_bytes())?;
        let func = module.function("archbench_block")?;
        // SAFETY: pinned, device-mapped host memory for one u32.
        let host_flag = unsafe { result::malloc_host(8, sys::CU_MEMHOSTALLOC_DEVICEMAP) }
            .map_err(GpuError::driver("allocating the host flag"))?;
        let mut dev_flag: sys::CUdeviceptr = 0;
        // SAFETY: host_flag was allocated with DEVICEMAP.
        unsafe { sys::cuMemHostGetDevicePointer_v2(&mut dev_flag, host_flag, 0) }
            .result()
            .map_err(GpuError::driver("mapping the host flag"))?;
        Ok(Self {
            _module: module,
            func,
            host_flag,
            dev_flag,
        })
    }

    /// Queues the blocking kernel (flag cleared first). Work queued after it waits for
    /// [`release`](Self::release) or a 2 s timeout.
    pub fn block(&self, stream: super::Stream) -> Result<(), GpuError> {
        // SAFETY: two live pinned u32s: [release, timed out].
        unsafe {
            std::ptr::write_volatile(self.host_flag.cast::<u32>(), 0);
            std::ptr::write_volatile(self.host_flag.cast::<u32>().add(1), 0);
        }
        let mut p = [0u8; 16];
        p[..8].copy_from_slice(&self.dev_flag.to_le_bytes());
        p[8..].copy_from_slice(&2_000_000_000u64.to_le_bytes());
        // SAFETY: the helper's parameter struct is {u64 flag; u64 timeout_ns}.
        unsafe {
            self.func.launch(
                "archbench_block",
                [1, 1, 1],
                [1, 1, 1],
                0,
                stream,
                &mut p,
                &[(0, 16)],
            )
        }
    }

    /// Whether the last blocking kernel gave up waiting (its timing then includes launch
    /// latency, and the sample must not be kept). Read after the work behind it finished.
    pub fn timed_out(&self) -> bool {
        // SAFETY: a live pinned u32 the kernel writes before it returns.
        unsafe { std::ptr::read_volatile(self.host_flag.cast::<u32>().add(1)) != 0 }
    }

    pub fn release(&self) {
        // SAFETY: a live pinned u32 the kernel polls.
        unsafe { std::ptr::write_volatile(self.host_flag.cast::<u32>(), 1) };
    }
}

impl Drop for BlockingKernel {
    fn drop(&mut self) {
        self.release();
        // SAFETY: allocated by malloc_host.
        let _ = unsafe { result::free_host(self.host_flag) };
    }
}
