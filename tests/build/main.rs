//! Tests of building: nvcc, cuobjdump, bindgen and whole crates, one module per former test
//! binary (`cargo test --test build sass_designs::` runs one): the fatbin assembly against
//! nvcc's, the kernels' machine code, the bindgen parameter structs, README's user crate and
//! the kernels' CUDA source run on the CPU.

mod bindgen_fresh;
mod fatbin_assembly;
mod kernels_on_cpu;
mod sass_designs;
mod user_crate;
