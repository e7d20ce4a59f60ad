//! zstd and LZ4 payloads with a fuzzed declared size under a small limit.
#![no_main]
use archbench_inspect::decompress::decompress;
use archbench_inspect::Codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let declared = u64::from(u32::from_le_bytes([data[0], data[1], data[2], data[3]]));
    for codec in [Codec::Lz4, Codec::Zstd] {
        let _ = decompress(codec, &data[4..], declared, 1 << 22, 0);
    }
});
