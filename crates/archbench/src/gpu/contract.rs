//! Launches whose shape the loaded image declares: reading the image's [`LaunchContract`]
//! global, checking a [`Problem`] against it, computing grid, block and shared memory, and
//! encoding the tensor maps (`cuTensorMapEncodeTiled`) a TMA kernel reads from its
//! parameters.
//!
//! The C side declares, for an entry `E` whose code paths differ per architecture, a global
//! `__device__ const LaunchContract E_contract = {…};` with this layout (eight `uint32_t`:
//! threads, dynamic_smem, tile_m, tile_n, tile_k, blocks_per_sm, tensor_maps, padding). The
//! grid is `ceil(n / tile_n) x ceil(m / tile_m)` blocks, or, when `blocks_per_sm > 0` (a
//! persistent kernel looping over tiles), `min(tiles, multiprocessors * blocks_per_sm)` blocks
//! in x.

use std::ffi::c_void;
use std::mem::{offset_of, size_of, MaybeUninit};

use cudarc::driver::sys::{self, CUdevice_attribute_enum as A};

use super::module::Module;
use super::GpuError;

/// How to launch an entry whose code paths differ per architecture (the C struct of the
/// same name; see the module docs).
#[repr(C)]
#[derive(Debug, Default, Copy, Clone, PartialEq, Eq)]
pub struct LaunchContract {
    /// Block size (x).
    pub threads: u32,
    /// Bytes of dynamic shared memory.
    pub dynamic_smem: u32,
    /// Output rows per tile.
    pub tile_m: u32,
    /// Output columns per tile.
    pub tile_n: u32,
    /// k per pipeline stage (the TMA box's inner extent).
    pub tile_k: u32,
    /// 0: one block per tile; > 0: persistent.
    pub blocks_per_sm: u32,
    /// 1: the host fills the parameters' tensor maps.
    pub tensor_maps: u32,
    pub _pad0: u32,
}

/// A CUDA tensor map (`CUtensorMap`), 128 bytes, 64-byte aligned.
#[repr(C, align(64))]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub struct TensorMap {
    pub opaque: [u64; 16],
}

/// The problem a contract launch covers: an `m` x `n` output, `k` deep, and the name of the
/// contract global (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem<'a> {
    pub contract: &'a str,
    pub m: u64,
    pub n: u64,
    pub k: u64,
}

/// Element types a tensor map can describe here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorElement {
    Bf16,
    F32,
    /// Any other element type (refused with a message).
    Other(&'static str),
}

/// Which side of the contract's output tile a tensor map's box spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSide {
    M,
    N,
}

/// What a contract launch resolved to on this GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_mem_bytes: u32,
    pub contract: LaunchContract,
}

/// Reads `shape.contract` from `module` and checks the problem fits it.
pub fn read(module: &Module, entry: &str, shape: &Problem<'_>) -> Result<LaunchContract, GpuError> {
    let bytes = module.global_bytes(shape.contract)?.ok_or_else(|| {
        GpuError::Invalid(format!(
            "`{entry}` is launched by its image's contract, but the loaded image has no global `{}` \
             (an image built from other kernel sources? rebuild the kernels)",
            shape.contract
        ))
    })?;
    let c = decode(&bytes).ok_or_else(|| {
        GpuError::Invalid(format!(
            "`{}` in the loaded image is {} bytes, a LaunchContract is {} (an image built from other kernel sources? rebuild the kernels)",
            shape.contract,
            bytes.len(),
            size_of::<LaunchContract>()
        ))
    })?;
    check(entry, shape, &c)?;
    Ok(c)
}

/// A contract from its bytes (little-endian u32 fields, as the GPU stores them).
pub fn decode(bytes: &[u8]) -> Option<LaunchContract> {
    if bytes.len() != size_of::<LaunchContract>() {
        return None;
    }
    let w = |i: usize| {
        bytes
            .get(4 * i..4 * i + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    Some(LaunchContract {
        threads: w(0)?,
        dynamic_smem: w(1)?,
        tile_m: w(2)?,
        tile_n: w(3)?,
        tile_k: w(4)?,
        blocks_per_sm: w(5)?,
        tensor_maps: w(6)?,
        _pad0: 0,
    })
}

/// The problem must be whole tiles of the contract, and the contract itself sane.
pub fn check(entry: &str, shape: &Problem<'_>, c: &LaunchContract) -> Result<(), GpuError> {
    let bad = |what: &str| {
        Err(GpuError::Invalid(format!(
            "`{entry}`: the loaded image's {} is not usable: {what} ({c:?}); the image was built \
             from other kernel sources: rebuild the kernels",
            shape.contract
        )))
    };
    if c.threads == 0 || c.threads > 1024 {
        return bad("threads must be 1..=1024");
    }
    if c.tile_m == 0 || c.tile_n == 0 || c.tile_k == 0 {
        return bad("tile_m, tile_n and tile_k must be non-zero");
    }
    if c.tensor_maps > 1 {
        return bad("tensor_maps must be 0 or 1");
    }
    let fits = |v: u64, t: u32| v > 0 && v.is_multiple_of(u64::from(t));
    if !(fits(shape.m, c.tile_m) && fits(shape.n, c.tile_n) && fits(shape.k, c.tile_k)) {
        return Err(GpuError::Invalid(format!(
            "`{entry}`: the loaded image computes {}x{} tiles {} deep, and this case is {}x{}x{}; \
             use sizes that are non-zero multiples of the tile (m % {} == 0, n % {} == 0, k % {} == 0)",
            c.tile_m, c.tile_n, c.tile_k, shape.m, shape.n, shape.k, c.tile_m, c.tile_n, c.tile_k
        )));
    }
    Ok(())
}

/// What a GPU offers a launch: multiprocessors, and shared memory a block may opt in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub multiprocessors: u32,
    pub smem_per_block_optin: u32,
}

/// Grid, block and shared memory for `c` on a GPU with `limits`; a contract that asks for
/// more shared memory than the GPU gives a block is refused with both numbers.
pub fn shape(
    entry: &str,
    shape: &Problem<'_>,
    c: &LaunchContract,
    limits: Limits,
) -> Result<Resolved, GpuError> {
    if c.dynamic_smem > limits.smem_per_block_optin {
        return Err(GpuError::Invalid(format!(
            "`{entry}`: the loaded image's {} asks for {} KiB of shared memory per block and this \
             GPU allows {} KiB (an image built for a larger GPU, e.g. PTX JIT-compiled here); \
             build the variant with this GPU's own capability",
            shape.contract,
            c.dynamic_smem.div_ceil(1024),
            limits.smem_per_block_optin / 1024
        )));
    }
    let sms = limits.multiprocessors;
    let tiles_n = shape.n.div_ceil(u64::from(c.tile_n.max(1)));
    let tiles_m = shape.m.div_ceil(u64::from(c.tile_m.max(1)));
    let too_big = |limit: u64| {
        GpuError::Invalid(format!(
            "`{entry}`: {tiles_m} x {tiles_n} tiles of {}x{} do not fit a grid ({limit} blocks at most \
             in that dimension); use smaller m and n",
            c.tile_m, c.tile_n
        ))
    };
    let grid = if c.blocks_per_sm > 0 {
        let tiles = tiles_m
            .checked_mul(tiles_n)
            .ok_or_else(|| too_big(u64::from(u32::MAX)))?;
        let blocks = tiles.min(u64::from(sms.max(1)) * u64::from(c.blocks_per_sm));
        // x allows 2^31 - 1 blocks.
        if blocks > (1 << 31) - 1 {
            return Err(too_big((1 << 31) - 1));
        }
        [blocks as u32, 1, 1]
    } else {
        if tiles_n > (1 << 31) - 1 {
            return Err(too_big((1 << 31) - 1));
        }
        if tiles_m > 65_535 {
            return Err(too_big(65_535));
        }
        [tiles_n as u32, tiles_m as u32, 1]
    };
    Ok(Resolved {
        grid,
        block: [c.threads, 1, 1],
        shared_mem_bytes: c.dynamic_smem,
        contract: *c,
    })
}

/// The current context's device limits.
pub fn limits() -> Result<Limits, GpuError> {
    let mut dev = MaybeUninit::<sys::CUdevice>::uninit();
    // SAFETY: a context is current whenever a module is loaded.
    unsafe { sys::cuCtxGetDevice(dev.as_mut_ptr()) }
        .result()
        .map_err(GpuError::driver("reading the current device"))?;
    // SAFETY: initialised by cuCtxGetDevice above.
    let dev = unsafe { dev.assume_init() };
    let attr = |a: A| {
        // SAFETY: a valid device.
        unsafe { cudarc::driver::result::device::get_attribute(dev, a) }
            .map_err(GpuError::driver("reading a device attribute"))
    };
    Ok(Limits {
        multiprocessors: attr(A::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?.max(1) as u32,
        smem_per_block_optin: attr(A::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)?.max(0)
            as u32,
    })
}

/// What a tensor map describes: `name` (for messages) is a row-major `rows` x `cols` tensor
/// of `dtype` at device `address`, in a buffer of `buffer_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct Tensor<'a> {
    pub name: &'a str,
    pub address: u64,
    pub buffer_bytes: usize,
    pub element: TensorElement,
    pub rows: u64,
    pub cols: u64,
}

/// Encodes `t` for `entry` with a box of the contract's `tile_k` columns by its tile rows on
/// `side`, 128-byte swizzle. Every rule of cuTensorMapEncodeTiled that these inputs could break
/// is checked first, so a refusal names the tensor and the rule.
pub fn encode(
    entry: &str,
    t: &Tensor<'_>,
    side: TileSide,
    c: &LaunchContract,
) -> Result<TensorMap, GpuError> {
    let refuse = |why: String| {
        Err(GpuError::Invalid(format!(
            "`{entry}`: no tensor map for `{}` ({} x {} {:?}): {why}",
            t.name, t.rows, t.cols, t.element
        )))
    };
    let (data_type, es) = match t.element {
        TensorElement::Bf16 => (
            sys::CUtensorMapDataType::CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
            2u64,
        ),
        TensorElement::F32 => (sys::CUtensorMapDataType::CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 4),
        _ => return refuse("only bf16 and f32 tensors are supported".into()),
    };
    let box_rows = match side {
        TileSide::M => c.tile_m,
        TileSide::N => c.tile_n,
    };
    // Kernel coordinates are 32-bit signed.
    let max_dim = (1u64 << 31) - 1;
    if t.rows == 0 || t.cols == 0 || t.rows > max_dim || t.cols > max_dim {
        return refuse(format!("each dimension must be 1..={max_dim}"));
    }
    let bytes = t.rows.checked_mul(t.cols).and_then(|n| n.checked_mul(es));
    if bytes.is_none_or(|b| b > t.buffer_bytes as u64) {
        return refuse(format!(
            "it does not fit its buffer of {} bytes",
            t.buffer_bytes
        ));
    }
    if !t.address.is_multiple_of(16) {
        return refuse(format!(
            "its address {:#x} is not 16-byte aligned",
            t.address
        ));
    }
    let stride = t.cols * es;
    if !stride.is_multiple_of(16) || stride >= 1 << 40 {
        return refuse(format!(
            "its row stride of {stride} bytes must be a multiple of 16 below 2^40"
        ));
    }
    if u64::from(c.tile_k) * es != 128 || box_rows == 0 || box_rows > 256 {
        return refuse(format!(
            "a box of {} columns x {box_rows} rows cannot use the 128-byte swizzle (it needs 128-byte box rows and 1..=256 rows)",
            c.tile_k
        ));
    }
    let dims: [u64; 2] = [t.cols, t.rows];
    let strides: [u64; 1] = [stride];
    let boxes: [u32; 2] = [c.tile_k, box_rows];
    let elem_strides: [u32; 2] = [1, 1];
    let mut map = MaybeUninit::<sys::CUtensorMap>::uninit();
    // SAFETY: every array has the rank's length; `address` is a live device allocation of at
    // least rows * cols elements (checked above against its buffer's size).
    unsafe {
        sys::cuTensorMapEncodeTiled(
            map.as_mut_ptr(),
            data_type,
            2,
            t.address as *mut c_void,
            dims.as_ptr(),
            strides.as_ptr(),
            boxes.as_ptr(),
            elem_strides.as_ptr(),
            sys::CUtensorMapInterleave::CU_TENSOR_MAP_INTERLEAVE_NONE,
            sys::CUtensorMapSwizzle::CU_TENSOR_MAP_SWIZZLE_128B,
            sys::CUtensorMapL2promotion::CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
            sys::CUtensorMapFloatOOBfill::CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE,
        )
    }
    .result()
    .map_err(GpuError::driver(
        "encoding a tensor map (cuTensorMapEncodeTiled) that passed archbench's own checks",
    ))?;
    // SAFETY: initialised by a successful encode.
    let map = unsafe { map.assume_init() };
    Ok(TensorMap { opaque: map.opaque })
}

/// Writes `map` at byte `offset` of `params`.
pub fn write(params: &mut [u8], offset: usize, map: &TensorMap) -> Result<(), GpuError> {
    let len = params.len();
    let end = offset.saturating_add(size_of::<TensorMap>());
    let slot = params.get_mut(offset..end).ok_or_else(|| {
        GpuError::Invalid(format!(
            "a tensor map at byte {offset} does not fit {len} bytes of parameters"
        ))
    })?;
    for (i, w) in map.opaque.iter().enumerate() {
        let at = offset_of!(TensorMap, opaque) + 8 * i;
        slot[at..at + 8].copy_from_slice(&w.to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gemm(m: u64, n: u64, k: u64) -> Problem<'static> {
        Problem {
            contract: "gemm_bf16_contract",
            m,
            n,
            k,
        }
    }

    fn contract(persistent: u32) -> LaunchContract {
        LaunchContract {
            threads: 384,
            dynamic_smem: 197_696,
            tile_m: 128,
            tile_n: 256,
            tile_k: 64,
            blocks_per_sm: persistent,
            tensor_maps: 1,
            _pad0: 0,
        }
    }

    #[test]
    fn decodes_the_c_layout() {
        let words = [384u32, 197_696, 128, 256, 64, 1, 1, 0];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(decode(&bytes), Some(contract(1)));
        assert_eq!(decode(&bytes[..31]), None);
    }

    const H100: Limits = Limits {
        multiprocessors: 132,
        smem_per_block_optin: 232_448,
    };

    #[test]
    fn grids_follow_the_contract() {
        let s = shape("gemm_bf16", &gemm(4096, 4096, 4096), &contract(0), H100).unwrap();
        assert_eq!(
            (s.grid, s.block, s.shared_mem_bytes),
            ([16, 32, 1], [384, 1, 1], 197_696)
        );
        // Persistent: one block per SM, never more blocks than tiles.
        let grid = |m, n, k| {
            shape("gemm_bf16", &gemm(m, n, k), &contract(1), H100)
                .unwrap()
                .grid
        };
        assert_eq!(grid(4096, 4096, 4096), [132, 1, 1]);
        assert_eq!(grid(256, 256, 256), [2, 1, 1]);
    }

    #[test]
    fn more_shared_memory_than_the_gpu_has_is_refused_with_both_numbers() {
        // An RTX 4090-class GPU: 99 KiB per block.
        let small = Limits {
            multiprocessors: 128,
            smem_per_block_optin: 101_376,
        };
        let e = shape("gemm_bf16", &gemm(4096, 4096, 4096), &contract(1), small).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("194 KiB") && text.contains("99 KiB"),
            "{text}"
        );
    }

    #[test]
    fn sizes_off_the_tile_are_refused_with_the_rule() {
        let e = check("gemm_bf16", &gemm(4096, 4224, 4096), &contract(1)).unwrap_err();
        assert!(e.to_string().contains("n % 256 == 0"), "{e}");
        let e = check("gemm_bf16", &gemm(4096, 4096, 4000), &contract(1)).unwrap_err();
        assert!(e.to_string().contains("k % 64 == 0"), "{e}");
        assert!(check("gemm_bf16", &gemm(0, 256, 64), &contract(1)).is_err());
        let mut bad = contract(1);
        bad.threads = 0;
        assert!(check("gemm_bf16", &gemm(256, 256, 64), &bad).is_err());
    }

    #[test]
    fn tensor_maps_that_break_a_rule_are_refused_before_the_driver() {
        let t = Tensor {
            name: "a",
            address: 0x7f00_0000_0000,
            buffer_bytes: 4096 * 4096 * 2,
            element: TensorElement::Bf16,
            rows: 4096,
            cols: 4096,
        };
        let c = contract(1);
        let refused = |t: Tensor<'_>, c: &LaunchContract| {
            encode("gemm_bf16", &t, TileSide::M, c)
                .unwrap_err()
                .to_string()
        };
        let e = refused(
            Tensor {
                address: t.address + 8,
                ..t
            },
            &c,
        );
        assert!(e.contains("`a`") && e.contains("16-byte aligned"), "{e}");
        let e = refused(
            Tensor {
                buffer_bytes: 1000,
                ..t
            },
            &c,
        );
        assert!(e.contains("does not fit its buffer of 1000 bytes"), "{e}");
        let e = refused(
            Tensor {
                cols: 4100,
                buffer_bytes: usize::MAX,
                ..t
            },
            &c,
        );
        assert!(e.contains("multiple of 16"), "{e}");
        let e = refused(Tensor { rows: 0, ..t }, &c);
        assert!(e.contains("each dimension"), "{e}");
        let e = refused(
            Tensor {
                element: TensorElement::Other("u8"),
                ..t
            },
            &c,
        );
        assert!(e.contains("only bf16 and f32"), "{e}");
        let e = refused(t, &LaunchContract { tile_k: 32, ..c });
        assert!(e.contains("128-byte swizzle"), "{e}");
    }

    #[test]
    fn grids_beyond_the_hardware_limits_are_refused() {
        // Non-persistent: grid y is at most 65535 tile rows.
        let e = shape(
            "gemm_bf16",
            &gemm(128 * 65_536, 256, 64),
            &contract(0),
            H100,
        )
        .unwrap_err();
        assert!(e.to_string().contains("65535"), "{e}");
        let e = check(
            "gemm_bf16",
            &gemm(256, 256, 64),
            &LaunchContract {
                tensor_maps: 2,
                ..contract(1)
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("tensor_maps must be 0 or 1"), "{e}");
    }

    #[test]
    fn tensor_maps_land_at_their_offset() {
        let map = TensorMap {
            opaque: std::array::from_fn(|i| i as u64 + 1),
        };
        let mut params = vec![0u8; 320];
        write(&mut params, 64, &map).unwrap();
        assert_eq!(&params[64..72], &1u64.to_le_bytes());
        assert_eq!(&params[184..192], &16u64.to_le_bytes());
        assert!(params[..64].iter().all(|&b| b == 0));
        assert!(write(&mut params, 256, &map).is_err());
    }
}
