fn main() -> Result<(), archbench_build::BuildError> {
    archbench_build::Kernels::new()
        .sources_in("kernels")
        // Ampere SASS, Hopper SASS, Ampere SASS + PTX; environment variables override this.
        .variants([
            "pkgsForCudaArch.sm_80",
            "pkgsForCudaArch.sm_90",
            "torch:8.0+PTX",
        ])
        .build()?;
    Ok(())
}
