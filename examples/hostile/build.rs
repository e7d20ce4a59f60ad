fn main() -> Result<(), archbench_build::BuildError> {
    // Ampere SASS and PTX: the PTX is JIT-compiled on any newer GPU, so every GPU runs it.
    archbench_build::Kernels::new()
        .source("kernels/hostile.cu")
        .variants(["torch:8.0+PTX"])
        .build()?;
    Ok(())
}
