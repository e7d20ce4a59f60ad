//! A suite whose cases go wrong on purpose, one way each, with correct cases after the ones
//! that take their worker down. `cargo run -p archbench-hostile -- --bench --quick
//! --watchdog 5` on a GPU records every failure with its own message and runs every case;
//! `tests/hostile.rs` holds it to that (and, without a GPU, checks the declaration errors).

use archbench::bench::{Fill, Grid, Rule, Suite};

/// The cases, in order.
pub const CASES: [&str; 11] = [
    "ok",
    "wrong-result",
    "missing-entry",
    "bad-args",
    "reference-panics",
    "fault",
    "after-fault",
    "hang",
    "after-hang",
    "zero-work",
    "no-check",
];

fn main() {
    Suite::new(archbench::images!())
        .bench("hostile", |c| {
            let what = c.str("what");
            let n = if what == "zero-work" { 0 } else { 1 << 16 };
            let x = c.input::<f32>("x", n, Fill::Uniform(-1.0, 1.0));
            let y = c.output::<f32>("y", n);
            let grid = Grid::cover(n, 256);
            match what.as_str() {
                "missing-entry" => c.launch("no_such_kernel", grid, (&y, &x, n as u32)),
                // The kernel takes `unsigned n`; a u64 is 8 bytes, not 4.
                "bad-args" => c.launch("copy", grid, (&y, &x, n as u64)),
                "wrong-result" => c.launch("copy_off_by_one", grid, (&y, &x, n as u32)),
                "fault" => c.launch("fault", grid, (&y, n as u32)),
                "hang" => {
                    let flag = c.input::<u32>("flag", 1, Fill::Zero);
                    c.launch("hang", Grid::new(1u32, 1u32), (&flag,))
                }
                _ => c.launch("copy", grid, (&y, &x, n as u32)),
            };
            c.reads::<f32>(n).writes::<f32>(n);
            match what.as_str() {
                "no-check" => {}
                "reference-panics" => {
                    c.check(&y, Rule::exact(), |_| -> Vec<f32> {
                        panic!("a bug in the reference")
                    });
                }
                _ => {
                    c.check(&y, Rule::exact(), move |h| h[&x].to_vec());
                }
            }
        })
        .axis("what", CASES)
        .main()
}
