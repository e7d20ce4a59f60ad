//! The whole path of `archbench predict FILE`: read, then decide on several GPUs and drivers.
#![no_main]
use archbench_inspect::predict::predict_binary;
use archbench_inspect::{Capability, DriverVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (gpu, driver) in [
        ("8.9", None),
        ("9.0", Some("12.8")),
        ("10.3", Some("580.65.06")),
    ] {
        let gpu: Capability = gpu.parse().unwrap();
        let driver: Option<DriverVersion> = driver.map(|d| d.parse().unwrap());
        let _ = predict_binary(data, gpu, driver);
    }
});
