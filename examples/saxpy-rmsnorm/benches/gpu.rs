//! `cargo bench`: saxpy, and rmsnorm in two implementations, on every build variant.

use archbench::bench::{pow2, Fill, Grid, Rule, Suite};

fn main() {
    Suite::new(archbench::images!())
        .bench("saxpy", |c| {
            let n = c.usize("n");
            let x = c.input::<f32>("x", n, Fill::Uniform(-1.0, 1.0));
            let y = c.inout::<f32>("y", n, Fill::Uniform(-1.0, 1.0));
            c.launch("saxpy", Grid::cover(n, 256), (&y, &x, 2.0f32, n as u32));
            c.reads::<f32>(2 * n).writes::<f32>(n).flops(2 * n as u64);
            c.check(&y, Rule::close(1e-6, 1e-7), move |h| {
                h[&x].iter().zip(&h[&y]).map(|(x, y)| 2.0 * x + y).collect()
            });
        })
        .axis("n", pow2(20..=26))
        .quick("n", pow2(20..=20))
        .bench("rmsnorm", |c| {
            let (rows, cols) = (c.usize("rows"), c.usize("cols"));
            let x = c.input::<f32>("x", rows * cols, Fill::Uniform(-2.0, 2.0));
            let w = c.input::<f32>("w", cols, Fill::Uniform(0.5, 1.5));
            let y = c.output::<f32>("y", rows * cols);
            let args = (&y, &x, &w, rows as u32, cols as u32, 1e-6f32);
            match c.str("impl").as_str() {
                "block" => c.launch("rmsnorm_block", Grid::new(rows as u32, 256), args),
                _ => c.launch("rmsnorm_warp", Grid::cover(rows * 32, 256), args),
            };
            c.reads::<f32>(rows * cols + cols)
                .writes::<f32>(rows * cols);
            c.flops(4 * (rows * cols) as u64);
            // Under `--paired`: a device copy of `x` timed beside it, sample by sample.
            c.paired_device_copy((rows * cols * 4) as u64);
            c.check(&y, Rule::close(1e-5, 1e-6), move |h| {
                let (x, w) = (&h[&x], &h[&w]);
                x.chunks(cols)
                    .flat_map(|r| {
                        let ms = r.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / cols as f64;
                        let scale = 1.0 / (ms + 1e-6).sqrt();
                        r.iter()
                            .zip(w)
                            .map(move |(v, g)| (f64::from(*v) * scale) as f32 * g)
                    })
                    .collect()
            });
        })
        .impls(["block", "warp"])
        .zip(&["rows", "cols"], vec![(4096, 4096), (16384, 1024)])
        .quick_rows(&["rows", "cols"], vec![(64, 1024)])
        .main()
}
