//! Two tiny helper kernels as PTX text, JIT-compiled by the driver for any GPU (so they need
//! no per-variant build): the clock stamp (each block writes its SM's clock64 and globaltimer
//! into that SM's slot; launched with one block per SM before and after a timed region, it
//! gives every SM's clock across the region, as nvbench measures throttling) and the blocking
//! kernel (spins on a host-mapped flag so queued work starts only when the host releases it,
//! hiding launch latency from event timings).

/// `archbench_stamp(struct { u64 slots; u64 nslots; })`: `slots[smid] = {clock64,
/// globaltimer}` (16 bytes a slot), for `smid < nslots`.
/// `archbench_flush(struct { u64 buf; u64 n16; u64 sink; })`: reads `n16` 16-byte chunks of
/// `buf` through L2 (`ld.global.cg`), storing to `sink` only if their XOR is a value a
/// zeroed buffer never gives (so the loads cannot be dropped).
/// `archbench_block(struct { u64 flag; u64 timeout_ns; })`: returns when `flag[0] != 0`, or
/// after `timeout_ns`, writing `flag[1] = 1` so the host knows the release came too late.
/// `archbench_empty()`: does nothing (what a timed region costs with no work in it).
pub const HELPERS_PTX: &str = r#".version 7.8
.target sm_75
.address_size 64

.visible .entry archbench_stamp(.param .align 8 .b8 p[16])
{
    .reg .pred %p<2>;
    .reg .b32 %r<2>;
    .reg .b64 %rd<10>;
    mov.u64 %rd3, %clock64;
    mov.u64 %rd4, %globaltimer;
    ld.param.u64 %rd1, [p];
    ld.param.u64 %rd2, [p+8];
    mov.u32 %r1, %smid;
    cvt.u64.u32 %rd5, %r1;
    setp.ge.u64 %p1, %rd5, %rd2;
    @%p1 bra $L_out;
    cvta.to.global.u64 %rd1, %rd1;
    shl.b64 %rd6, %rd5, 4;
    add.u64 %rd7, %rd1, %rd6;
    st.volatile.global.v2.u64 [%rd7], {%rd3, %rd4};
$L_out:
    ret;
}

.visible .entry archbench_flush(.param .align 8 .b8 p[24])
{
    .reg .pred %p<3>;
    .reg .b32 %r<12>;
    .reg .b64 %rd<12>;
    ld.param.u64 %rd1, [p];
    ld.param.u64 %rd2, [p+8];
    ld.param.u64 %rd3, [p+16];
    cvta.to.global.u64 %rd1, %rd1;
    mov.u32 %r1, %ctaid.x;
    mov.u32 %r2, %ntid.x;
    mov.u32 %r3, %tid.x;
    mov.u32 %r4, %nctaid.x;
    mul.wide.u32 %rd4, %r1, %r2;
    cvt.u64.u32 %rd5, %r3;
    add.u64 %rd4, %rd4, %rd5;
    mul.wide.u32 %rd6, %r4, %r2;
    mov.u32 %r5, 0;
$L_loop:
    setp.ge.u64 %p1, %rd4, %rd2;
    @%p1 bra $L_done;
    shl.b64 %rd7, %rd4, 4;
    add.u64 %rd8, %rd1, %rd7;
    ld.global.cg.v4.u32 {%r6, %r7, %r8, %r9}, [%rd8];
    xor.b32 %r5, %r5, %r6;
    xor.b32 %r5, %r5, %r7;
    xor.b32 %r5, %r5, %r8;
    xor.b32 %r5, %r5, %r9;
    add.u64 %rd4, %rd4, %rd6;
    bra $L_loop;
$L_done:
    setp.ne.u32 %p2, %r5, 1592594005;
    @%p2 bra $L_out;
    cvta.to.global.u64 %rd3, %rd3;
    st.global.u32 [%rd3], %r5;
$L_out:
    ret;
}

.visible .entry archbench_block(.param .align 8 .b8 p[16])
{
    .reg .pred %p<3>;
    .reg .b32 %r<2>;
    .reg .b64 %rd<8>;
    ld.param.u64 %rd1, [p];
    ld.param.u64 %rd2, [p+8];
    cvta.to.global.u64 %rd1, %rd1;
    mov.u64 %rd3, %globaltimer;
$L_wait:
    ld.volatile.global.u32 %r1, [%rd1];
    setp.ne.u32 %p1, %r1, 0;
    @%p1 bra $L_done;
    mov.u64 %rd4, %globaltimer;
    sub.u64 %rd5, %rd4, %rd3;
    setp.lt.u64 %p2, %rd5, %rd2;
    @%p2 bra $L_wait;
    mov.u32 %r1, 1;
    st.volatile.global.u32 [%rd1+4], %r1;
$L_done:
    ret;
}

.visible .entry archbench_empty()
{
    ret;
}
"#;

#[cfg(test)]
mod tests {
    use super::HELPERS_PTX;

    /// The real ptxas (CUDA 13.0) assembles the helpers for the oldest and newest targets.
    #[test]
    fn helpers_assemble_with_real_ptxas() {
        let t = archbench_core::toolchain::install(archbench_core::toolchain::PINNED_NVCC)
            .expect("CUDA 13.0 toolchain (installs from PyPI)");
        let dir = std::env::temp_dir().join(format!("archbench-helpers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("helpers.ptx");
        std::fs::write(&src, HELPERS_PTX).unwrap();
        for arch in ["sm_75", "sm_90", "sm_120"] {
            let out = std::process::Command::new(t.ptxas())
                .arg(format!("-arch={arch}"))
                .arg(&src)
                .arg("-o")
                .arg(dir.join("h.cubin"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{arch}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
