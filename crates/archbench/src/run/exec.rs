//! Executing one [`Workload`] on the GPU: allocate its buffers, fill inputs and in-outs from
//! a seed, poison outputs, check every launch's arguments against the kernel's parameter
//! layout (where the driver reports it), patch device addresses into the parameter bytes,
//! resolve image-declared launch shapes, launch, and check the outputs against the CPU
//! reference or a reference kernel. A reference that panics is a failed case, not a crashed
//! worker.

use super::RunError;
use crate::check;
use crate::fill::{fill, Rng};
use crate::gpu::contract::{self, Problem, TensorElement, TileSide as GpuTileSide};
use crate::gpu::{DeviceBuffer, Function, GpuError, Module, Stream};
use crate::results::schema::Correctness;
use crate::workload::{DType, Expected, HostBytes, Launch, Role, TileSide, Workload};

/// A workload with its buffers on the device and its launches resolved.
pub struct Prepared<'w> {
    workload: &'w Workload,
    buffers: Vec<DeviceBuffer>,
    /// Pristine copies of in-out buffers (index-aligned with `buffers`), restored from.
    pristine: Vec<Option<DeviceBuffer>>,
    host_inputs: Vec<HostBytes>,
    launches: Vec<Ready>,
    references: Vec<Ready>,
    seed: u64,
}

/// One launch with its function, patched parameters and shape (fixed, or the image's).
struct Ready {
    entry: String,
    function: Function,
    params: Vec<u8>,
    args: Vec<(usize, usize)>,
    /// The driver did not report the kernel's parameter layout: launch the packed block as
    /// one buffer, so no argument count or size can make it read past `params`.
    packed: bool,
    grid: [u32; 3],
    block: [u32; 3],
    shared_mem_bytes: u32,
}

/// Result of one checked execution.
pub struct Execution {
    /// `None` for a case without a check (its recorded reason says why).
    pub correctness: Option<Correctness>,
}

impl<'w> Prepared<'w> {
    /// Allocates and fills everything; resolves each launch's function in `module`.
    pub fn new(workload: &'w Workload, module: &Module, seed: u64) -> Result<Self, RunError> {
        let mut buffers = Vec::with_capacity(workload.buffers.len());
        let mut pristine = Vec::with_capacity(workload.buffers.len());
        let alloc = |b: &crate::workload::Buffer| {
            DeviceBuffer::new(b.bytes).map_err(|e| match e {
                GpuError::OutOfMemory { bytes } => RunError::Case(format!(
                    "out of GPU memory allocating buffer `{}` ({bytes} bytes); use smaller axis values",
                    b.name
                )),
                e => RunError::Gpu(e),
            })
        };
        for b in &workload.buffers {
            buffers.push(alloc(b)?);
            pristine.push(match b.role {
                Role::InOut(_) => Some(alloc(b)?),
                _ => None,
            });
        }
        let mut launches = Vec::new();
        for l in &workload.launches {
            launches.push(resolve(workload, &buffers, module, l)?);
        }
        let mut references = Vec::new();
        for l in &workload.reference_launches {
            references.push(resolve(workload, &buffers, module, l)?);
        }
        let mut p = Self {
            workload,
            buffers,
            pristine,
            host_inputs: Vec::new(),
            launches,
            references,
            seed,
        };
        p.refill(seed)?;
        Ok(p)
    }

    /// Fresh inputs from `seed` (every check uses new data).
    pub fn refill(&mut self, seed: u64) -> Result<(), RunError> {
        self.seed = seed;
        let mut rng = Rng::new(seed);
        self.host_inputs.clear();
        for (i, b) in self.workload.buffers.iter().enumerate() {
            match b.role.fill() {
                Some(f) => {
                    let mut host = HostBytes::zeroed(b.bytes);
                    fill(host.as_mut_slice(), b.dtype, f, &mut rng);
                    self.buffers[i].upload(host.as_slice())?;
                    if let Some(Some(copy)) = self.pristine.get(i) {
                        copy.upload(host.as_slice())?;
                    }
                    self.host_inputs.push(host);
                }
                None => self.host_inputs.push(HostBytes::default()),
            }
        }
        Ok(())
    }

    /// Whether any buffer must be restored before each sample.
    pub fn has_inouts(&self) -> bool {
        self.pristine.iter().any(Option::is_some)
    }

    /// Queues the restore of every in-out buffer to its filled contents on `stream`.
    pub fn restore(&self, stream: Stream) -> Result<(), RunError> {
        for (dev, copy) in self.buffers.iter().zip(&self.pristine) {
            if let Some(copy) = copy {
                dev.copy_from_async(copy, stream)?;
            }
        }
        Ok(())
    }

    /// Writes 0xFF into every output so a kernel that skips elements cannot pass.
    pub fn poison_outputs(&self) -> Result<(), RunError> {
        for (b, dev) in self.workload.buffers.iter().zip(&self.buffers) {
            if matches!(b.role, Role::Output) {
                dev.fill_byte(crate::workload::POISON)?;
            }
        }
        Ok(())
    }

    /// Queues every timed launch on `stream`.
    pub fn launch(&mut self, stream: Stream) -> Result<(), RunError> {
        for r in self.launches.iter_mut() {
            r.launch(stream)?;
        }
        Ok(())
    }

    /// The first launch's function (which image runs is the same for all of a module).
    pub fn first_function(&self) -> Option<Function> {
        self.launches.first().map(|l| l.function.clone())
    }

    /// Runs the reference kernels, then the case once (outputs poisoned, in-outs restored
    /// before each), and compares every checked output with its reference.
    pub fn run_checked(&mut self, stream: Stream) -> Result<Execution, RunError> {
        let w = self.workload;
        if !self.references.is_empty() {
            self.restore(stream)?;
            self.poison_outputs()?;
            for r in self.references.iter_mut() {
                r.launch(stream)?;
                sync(stream, r)?;
            }
        }
        // Reference kernels' outputs, downloaded before the timed launches run.
        let mut from_kernels: Vec<Option<Vec<u8>>> = vec![None; w.checks.len()];
        for (k, chk) in w.checks.iter().enumerate() {
            if let Expected::Buffer(b) = chk.expected {
                from_kernels[k] = Some(self.device(b)?.download()?);
            }
        }
        self.restore(stream)?;
        self.poison_outputs()?;
        // One launch at a time in the checked run, so a fault names its own kernel.
        for r in self.launches.iter_mut() {
            r.launch(stream)?;
            sync(stream, r)?;
        }
        if w.checks.is_empty() {
            return Ok(Execution { correctness: None });
        }
        let inputs: Vec<&[u8]> = self.host_inputs.iter().map(HostBytes::as_slice).collect();
        let wants_host = w
            .checks
            .iter()
            .any(|c| matches!(c.expected, Expected::Host(_)));
        let expected: Vec<Vec<u8>> = if wants_host {
            crate::panics::catch(|| (w.reference)(&inputs))
                .map_err(|m| RunError::Case(format!("the CPU reference panicked: {m}")))?
        } else {
            Vec::new()
        };
        let mut c = Correctness {
            passed: true,
            seed: self.seed,
            mismatches: 0,
            max_abs_err: 0.0,
            detail: None,
        };
        for (k, chk) in w.checks.iter().enumerate() {
            let b = w.buffers.get(chk.buffer).ok_or_else(|| {
                RunError::Case(format!(
                    "a check names buffer {}, which does not exist",
                    chk.buffer
                ))
            })?;
            let got = self.device(chk.buffer)?.download()?;
            let want: &[u8] = match (&chk.expected, &from_kernels[k]) {
                (Expected::Buffer(_), Some(bytes)) => bytes,
                (Expected::Host(i), _) => expected.get(*i).ok_or_else(|| {
                    RunError::Case(format!(
                        "the CPU reference returned {} outputs; the check of `{}` wants output {}",
                        expected.len(),
                        b.name,
                        i + 1
                    ))
                })?,
                (Expected::Buffer(_), None) => {
                    return Err(RunError::Case("reference buffer missing".into()))
                }
            };
            let o = check::compare(b.dtype, chk.rule, &got, want, chk.sample.as_deref());
            c.mismatches += o.mismatches;
            c.max_abs_err = c.max_abs_err.max(o.max_abs_err);
            if !o.passed() {
                c.passed = false;
                if c.detail.is_none() {
                    c.detail = Some(format!(
                        "{}: {} of {} elements wrong; {}",
                        b.name,
                        o.mismatches,
                        o.elements,
                        o.first_mismatch.unwrap_or_default()
                    ));
                }
            }
        }
        Ok(Execution {
            correctness: Some(c),
        })
    }

    /// Buffer `index` on the device, when it exists.
    pub fn buffer(&self, index: usize) -> Option<&DeviceBuffer> {
        self.buffers.get(index)
    }

    fn device(&self, index: usize) -> Result<&DeviceBuffer, RunError> {
        self.buffers
            .get(index)
            .ok_or_else(|| RunError::Case(format!("buffer {index} does not exist")))
    }
}

impl Ready {
    fn launch(&mut self, stream: Stream) -> Result<(), RunError> {
        if self.packed {
            // SAFETY: the parameters are packed at C alignment by the bench API, and every
            // pointer slot holds a live buffer's address; the buffer form bounds the read.
            unsafe {
                self.function.launch_packed(
                    &self.entry,
                    self.grid,
                    self.block,
                    self.shared_mem_bytes,
                    stream,
                    &mut self.params,
                )?
            };
            return Ok(());
        }
        // SAFETY: `resolve` checked the arguments against the kernel's parameter layout
        // (count and sizes, from the driver), and every pointer slot holds a live buffer's
        // address.
        unsafe {
            self.function.launch(
                &self.entry,
                self.grid,
                self.block,
                self.shared_mem_bytes,
                stream,
                &mut self.params,
                &self.args,
            )?
        };
        Ok(())
    }
}

/// Waits for `stream` after `launch`; a fault is reported against its kernel.
fn sync(stream: Stream, launch: &Ready) -> Result<(), RunError> {
    stream.synchronize().map_err(|source| {
        RunError::Gpu(GpuError::Launch {
            entry: launch.entry.clone(),
            source,
        })
    })
}

impl<'w> Prepared<'w> {
    /// The entries of the timed launches, for messages (`saxpy`, `a, b`).
    pub fn entries(&self) -> String {
        self.launches
            .iter()
            .map(|l| l.entry.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn resolve(
    workload: &Workload,
    buffers: &[DeviceBuffer],
    module: &Module,
    l: &Launch,
) -> Result<Ready, RunError> {
    let f = module.function(&l.entry)?;
    let packed = !check_params(&f, l)?;
    let resolved = match &l.from_image {
        Some(shape) => {
            let problem = Problem {
                contract: &shape.contract,
                m: shape.m,
                n: shape.n,
                k: shape.k,
            };
            let c = contract::read(module, &l.entry, &problem)?;
            Some(contract::shape(
                &l.entry,
                &problem,
                &c,
                contract::limits()?,
            )?)
        }
        None => None,
    };
    let (grid, block, smem) = match &resolved {
        Some(r) => (r.grid, r.block, r.shared_mem_bytes),
        None => (l.grid, l.block, l.shared_mem_bytes),
    };
    f.allow_dynamic_smem(smem)?;
    let mut params = l.params.clone();
    for &(offset, buf) in &l.pointers {
        let ptr = buffer_ptr(buffers, buf, &l.entry)?;
        let slot = offset
            .checked_add(8)
            .and_then(|end| params.get_mut(offset..end))
            .ok_or_else(|| {
                RunError::Case(format!(
                    "launch `{}`: pointer offset {offset} is outside its {}-byte parameters",
                    l.entry,
                    l.params.len()
                ))
            })?;
        slot.copy_from_slice(&ptr.to_le_bytes());
    }
    if let (Some(shape), Some(r)) = (&l.from_image, &resolved) {
        if r.contract.tensor_maps != 0 {
            if shape.tensor_maps.is_empty() {
                return Err(RunError::Case(format!(
                    "`{}`: the loaded image's {} reads tensor maps, and this case describes none \
                     (a case built for another image: rebuild the kernels)",
                    l.entry, shape.contract
                )));
            }
            for t in &shape.tensor_maps {
                let buffer = workload.buffers.get(t.buffer).ok_or_else(|| {
                    RunError::Case(format!(
                        "launch `{}`: a tensor map names buffer {}, which does not exist",
                        l.entry, t.buffer
                    ))
                })?;
                let tensor = contract::Tensor {
                    name: &buffer.name,
                    address: buffer_ptr(buffers, t.buffer, &l.entry)?,
                    buffer_bytes: buffer.bytes,
                    element: match t.dtype {
                        DType::Bf16 => TensorElement::Bf16,
                        DType::F32 => TensorElement::F32,
                        other => TensorElement::Other(other.name()),
                    },
                    rows: t.rows,
                    cols: t.cols,
                };
                let side = match t.box_rows {
                    TileSide::M => GpuTileSide::M,
                    TileSide::N => GpuTileSide::N,
                };
                let map = contract::encode(&l.entry, &tensor, side, &r.contract)?;
                contract::write(&mut params, t.offset, &map)?;
            }
        }
    }
    Ok(Ready {
        entry: l.entry.clone(),
        function: f,
        params,
        args: l.args.clone(),
        packed,
        grid,
        block,
        shared_mem_bytes: smem,
    })
}

/// The launch's arguments must be the kernel's parameters: as many, each of its size.
/// Returns whether the driver reported the layout (`false`: only the packing's bounds were
/// checked, and the launch must use the buffer form).
fn check_params(f: &Function, l: &Launch) -> Result<bool, RunError> {
    for &(offset, size) in &l.args {
        if offset
            .checked_add(size)
            .is_none_or(|end| end > l.params.len())
        {
            return Err(RunError::Case(format!(
                "launch `{}`: an argument at bytes {offset}+{size} lies outside its {} parameter bytes",
                l.entry,
                l.params.len()
            )));
        }
    }
    let Some(layout) = f.param_info()? else {
        return Ok(false);
    };
    let sizes: Vec<usize> = layout.iter().map(|p| p.1).collect();
    let given: Vec<usize> = l.args.iter().map(|a| a.1).collect();
    if sizes.len() != given.len() {
        return Err(RunError::Case(format!(
            "launch `{}` passes {} argument(s) of {:?} bytes, and the kernel in the loaded image takes {} parameter(s) of {:?} bytes; match the kernel's signature",
            l.entry,
            given.len(),
            given,
            sizes.len(),
            sizes
        )));
    }
    for (i, (want, got)) in sizes.iter().zip(&given).enumerate() {
        if want != got {
            return Err(RunError::Case(format!(
                "launch `{}`: argument {} is {got} bytes, and the kernel's parameter {} is {want} bytes (e.g. an f64 passed for a float, or a u64 for an int); the kernel takes {:?} bytes",
                l.entry,
                i + 1,
                i + 1,
                sizes
            )));
        }
    }
    Ok(true)
}

fn buffer_ptr(buffers: &[DeviceBuffer], buf: usize, entry: &str) -> Result<u64, RunError> {
    buffers.get(buf).map(DeviceBuffer::ptr).ok_or_else(|| {
        RunError::Case(format!(
            "launch `{entry}` names buffer {buf}, which does not exist"
        ))
    })
}
