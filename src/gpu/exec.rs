//! Executing a suite [`Workload`] on the GPU: allocate its buffers, fill inputs from a seed,
//! poison outputs, patch device addresses into each launch's parameter bytes, launch, and
//! check the outputs against the CPU reference.

use super::contract;
use super::memory::DeviceBuffer;
use super::module::{Function, Module};
use super::GpuError;
use crate::check;
use crate::fill::{fill, Rng};
use crate::results::schema::Correctness;
use crate::suite::{Role, Workload};

/// A workload with its buffers on the device and its launches resolved.
pub struct Prepared<'w> {
    workload: &'w Workload,
    buffers: Vec<DeviceBuffer>,
    host_inputs: Vec<Vec<u8>>,
    launches: Vec<Ready>,
    seed: u64,
}

/// One launch with its function, patched parameters and shape (fixed, or the image's).
struct Ready {
    function: Function,
    params: Vec<u8>,
    grid: [u32; 3],
    block: [u32; 3],
    shared_mem_bytes: u32,
}

/// Result of one checked execution.
pub struct Execution {
    pub correctness: Correctness,
}

impl<'w> Prepared<'w> {
    /// Allocates and fills everything; resolves each launch's function in `module`.
    pub fn new(workload: &'w Workload, module: &Module, seed: u64) -> Result<Self, GpuError> {
        let mut buffers = Vec::with_capacity(workload.buffers.len());
        for b in &workload.buffers {
            buffers.push(DeviceBuffer::new(b.bytes)?);
        }
        let mut launches = Vec::new();
        for l in &workload.launches {
            let f = module.function(l.entry)?;
            let resolved = match &l.from_image {
                Some(shape) => {
                    let c = contract::read(module, l.entry, shape)?;
                    Some(contract::shape(l.entry, shape, &c, contract::limits()?)?)
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
                let ptr = buffer_ptr(&buffers, buf, l.entry)?;
                let slot = params.get_mut(offset..offset + 8).ok_or_else(|| {
                    GpuError::Invalid(format!(
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
                        return Err(GpuError::Invalid(format!(
                            "`{}`: the loaded image's {} reads tensor maps, and this case \
                             describes none (a case built for another image: rebuild archbench)",
                            l.entry, shape.contract
                        )));
                    }
                    for t in &shape.tensor_maps {
                        let buffer = workload.buffers.get(t.buffer).ok_or_else(|| {
                            GpuError::Invalid(format!(
                                "launch `{}`: a tensor map names buffer {}, which does not exist",
                                l.entry, t.buffer
                            ))
                        })?;
                        let tensor = contract::Tensor {
                            name: buffer.name,
                            address: buffer_ptr(&buffers, t.buffer, l.entry)?,
                            buffer_bytes: buffer.bytes,
                            dtype: t.dtype,
                            rows: t.rows,
                            cols: t.cols,
                        };
                        let map = contract::encode(l.entry, &tensor, t.box_rows, &r.contract)?;
                        contract::write(&mut params, t.offset, &map)?;
                    }
                }
            }
            launches.push(Ready {
                function: f,
                params,
                grid,
                block,
                shared_mem_bytes: smem,
            });
        }
        let mut p = Self {
            workload,
            buffers,
            host_inputs: Vec::new(),
            launches,
            seed,
        };
        p.refill(seed)?;
        Ok(p)
    }

    /// Fresh inputs from `seed` (every check uses new data).
    pub fn refill(&mut self, seed: u64) -> Result<(), GpuError> {
        self.seed = seed;
        let mut rng = Rng::new(seed);
        self.host_inputs.clear();
        for (b, dev) in self.workload.buffers.iter().zip(&self.buffers) {
            match b.role {
                Role::Input(f) => {
                    let mut host = vec![0u8; b.bytes];
                    fill(&mut host, b.dtype, f, &mut rng);
                    dev.upload(&host)?;
                    self.host_inputs.push(host);
                }
                _ => self.host_inputs.push(Vec::new()),
            }
        }
        Ok(())
    }

    /// Writes 0xFF into every output so a kernel that skips elements cannot pass.
    pub fn poison_outputs(&self) -> Result<(), GpuError> {
        for (b, dev) in self.workload.buffers.iter().zip(&self.buffers) {
            if matches!(b.role, Role::Output) {
                dev.fill_byte(0xFF)?;
            }
        }
        Ok(())
    }

    /// Queues every launch on `stream`.
    pub fn launch(&mut self, stream: super::Stream) -> Result<(), GpuError> {
        for (r, l) in self.launches.iter_mut().zip(&self.workload.launches) {
            // SAFETY: params are the kernel's struct with device addresses of live buffers.
            unsafe {
                r.function.launch(
                    l.entry,
                    r.grid,
                    r.block,
                    r.shared_mem_bytes,
                    stream,
                    &mut r.params,
                )?
            };
        }
        Ok(())
    }

    /// The first launch's function (which image runs is the same for all of a module).
    pub fn first_function(&self) -> Option<Function> {
        self.launches.first().map(|l| l.function)
    }

    /// Poisons outputs, runs once, and compares every checked output with the reference.
    pub fn run_checked(&mut self, stream: super::Stream) -> Result<Execution, GpuError> {
        self.poison_outputs()?;
        self.launch(stream)?;
        // SAFETY: stream of the current context.
        unsafe { cudarc::driver::result::stream::synchronize(stream.raw()) }.map_err(|source| {
            GpuError::Launch {
                entry: self
                    .workload
                    .launches
                    .first()
                    .map(|l| l.entry)
                    .unwrap_or("?")
                    .to_string(),
                source,
            }
        })?;
        let inputs: Vec<&[u8]> = self.host_inputs.iter().map(Vec::as_slice).collect();
        let expected = (self.workload.reference)(&inputs);
        let mut c = Correctness {
            passed: true,
            seed: self.seed,
            mismatches: 0,
            max_abs_err: 0.0,
            detail: None,
        };
        for (k, chk) in self.workload.checks.iter().enumerate() {
            let b = self.workload.buffers.get(chk.buffer).ok_or_else(|| {
                GpuError::Invalid(format!(
                    "check names buffer {}, which does not exist",
                    chk.buffer
                ))
            })?;
            let got = self.buffers[chk.buffer].download()?;
            let want = expected.get(k).ok_or_else(|| {
                GpuError::Invalid(format!(
                    "the reference returned {} outputs for {} checks",
                    expected.len(),
                    self.workload.checks.len()
                ))
            })?;
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
        Ok(Execution { correctness: c })
    }
}

fn buffer_ptr(buffers: &[DeviceBuffer], buf: usize, entry: &str) -> Result<u64, GpuError> {
    buffers.get(buf).map(DeviceBuffer::ptr).ok_or_else(|| {
        GpuError::Invalid(format!(
            "launch `{entry}` names buffer {buf}, which does not exist"
        ))
    })
}
