//! The whole path of `archbench predict FILE`: read, then decide on several GPUs and drivers.
#![no_main]
use archbench_inspect::predict::{predict_setup, Setup};
use archbench_inspect::{read, Capability, DriverVersion, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bin) = read(data, Options::default()) else {
        return;
    };
    for (gpu, driver, compat) in [
        ("8.9", None, None),
        ("9.0", Some("12.8"), None),
        ("10.3", Some("580.65.06"), None),
        ("8.7", Some("535.54.03"), Some("13.0")),
    ] {
        let setup = Setup {
            gpu: gpu.parse::<Capability>().unwrap(),
            driver: driver.map(|d| d.parse::<DriverVersion>().unwrap()),
            compat: compat.map(|c| c.parse().unwrap()),
        };
        let p = predict_setup(&bin, &setup);
        let _ = (p.ok(false), p.ok(true), p.summary(false));
    }
});
