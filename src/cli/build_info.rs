//! `archbench build-info`: the embedded build manifest — variants × kernel files, image
//! sizes, compile times, and ptxas registers/spills/shared memory per kernel per arch.

use std::process::ExitCode;

use archbench_cli::embedded;

pub fn run(json: bool) -> anyhow::Result<ExitCode> {
    let m = embedded::manifest()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(why) = &m.skipped {
        outln!("no kernels in this binary: {why}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(n) = &m.nvcc {
        outln!("nvcc {} (CUDA {}) at {}", n.release, n.cuda, n.path);
    }
    outln!(
        "{} variants, kernel build {:.1} s on {} jobs\n",
        m.variants.len(),
        m.wall_seconds,
        m.jobs
    );
    outln!(
        "{:<28} {:>12} {:>10}  gencode",
        "variant",
        "embedded",
        "nvcc s"
    );
    for v in &m.variants {
        let secs: f64 = v.files.iter().map(|f| f.compile_seconds).sum();
        outln!(
            "{:<28} {:>12} {:>10.1}  {}",
            v.name,
            v.embedded_bytes(),
            secs,
            v.gencode.join(" ")
        );
    }
    let mut spills = Vec::new();
    outln!(
        "\n{:<28} {:<22} {:<26} {:>5} {:>7} {:>7}",
        "variant",
        "file",
        "kernel@arch",
        "regs",
        "spill",
        "smem"
    );
    for v in &m.variants {
        for f in &v.files {
            for k in &f.kernels {
                outln!(
                    "{:<28} {:<22} {:<26} {:>5} {:>7} {:>7}",
                    v.name,
                    f.file,
                    format!("{}@{}", k.name, k.arch),
                    k.registers,
                    k.spill_stores + k.spill_loads,
                    k.smem_bytes
                );
                if k.spill_stores + k.spill_loads > 0 {
                    spills.push(format!("{}@{} ({})", k.name, k.arch, v.name));
                }
            }
        }
    }
    if !spills.is_empty() {
        outln!("\nspills: {}", spills.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
