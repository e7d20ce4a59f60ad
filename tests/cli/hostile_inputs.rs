//! Hostile input, command by command: bad specs, spec files, variant files, results files,
//! CUDA binaries, output paths and environments. Every case runs the real `archbench`
//! binary under a time limit and must end with the expected exit code (1 or 2: an error, or
//! 0 where the input is odd but legitimate) and a specific message — never a panic, an
//! abort, a signal or a hang. One table, run in parallel; every failure is reported.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one case may take.
const LIMIT: Duration = Duration::from_secs(30);

struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Expected exit code.
    code: i32,
    /// Each must appear in stdout or stderr (case-insensitive).
    expect: Vec<String>,
}

fn case(name: &str, args: &[&str], code: i32, expect: &[&str]) -> Case {
    Case {
        name: name.to_string(),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        code,
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

fn with_env(mut c: Case, env: &[(&str, &str)]) -> Case {
    c.env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    c
}

/// Files the cases refer to, made once in a temporary directory.
struct Fixtures {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixtures {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let w = |name: &str, body: &[u8]| std::fs::write(root.join(name), body).unwrap();
        // Spec and variant files.
        w(
            "ok.nix",
            b"{ cudaSupport = true; cudaCapabilities = [ \"8.9\" ]; }",
        );
        w("bad.nix", b"{ cudaCapabilities = [ \"8.9\" ; }");
        w(
            "deep.nix",
            format!("{{ {} = 1; }}", vec!["a"; 60_000].join(".")).as_bytes(),
        );
        w("braces.nix", "{ a = ".repeat(100_000).as_bytes());
        w("latin1.nix", b"{ cudaSupport = true; x = \"\xe9\"; }");
        w("huge.nix", &vec![b' '; 2 << 20]);
        w("empty.nix", b"");
        w("bad.toml", b"[[variant]\nname = 1");
        w("unknown.toml", b"[[variant]]\nname = \"x\"\nnam = 1\n");
        w("novariants.toml", b"variant = []\n");
        w(
            "include.toml",
            b"[[variant]]\nname = \"x\"\nspec = \"other.toml\"\n",
        );
        w(
            "missing-nix.toml",
            b"[[variant]]\nname = \"x\"\nspec = \"nothere.nix\"\n",
        );
        w(
            "both.toml",
            b"[[variant]]\nname = \"x\"\nspec = \"pkgsCuda\"\ncapabilities = [\"8.9\"]\n",
        );
        w(
            "badcap.toml",
            b"[[variant]]\nname = \"x\"\ncapabilities = [\"8.8.8\"]\n",
        );
        w(
            "badcuda.toml",
            b"[[variant]]\nname = \"x\"\ncuda = \"+12.8\"\ncapabilities = [\"8.9\"]\n",
        );
        w("bad.json", b"{\"variant\": [ }");
        w("wrongtype.json", b"{\"variant\": 5}");
        w(
            "deep.json",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
        );
        // Results files.
        let header = r#"{"schema_version": 2, "archbench_version": "0", "started": "2026-01-01T00:00:00Z", "host": {"hostname": "h", "os": "o", "cpu": "c"}, "device": {"name": "HOSTILE GPU", "capability": "9.0", "sm_count": 1, "sm_clock_mhz": 1, "mem_clock_mhz": 1, "mem_bus_bits": 1, "l2_bytes": 1, "memory_bytes": 1, "driver_cuda_version": 13000, "driver_release": null}, "toolchain": {"nvcc_release": "13.0.88", "cuda": "13.0"}, "settings": {"mode": "cold", "quick": true, "seed": 1, "max_noise": 0.005, "min_samples": 10, "min_time_s": 0.1, "timeout_s": 3.0}, "ceilings": {"copy_gbps": null, "gemm_bf16_tflops": null, "note": null}, "cases": []}"#;
        let case = |variant: &str, median: &str, err: &str, gbps: &str| {
            format!(
                r#"{{"case": {{"variant": "{variant}", "variant_flags": [], "kernel": "softmax", "case": "f32 4096x4096", "bytes": 1, "flops": 1, "image": {{"binary_version": 90, "ptx_version": 90, "kind": "sass"}}, "predicted": null, "prediction_matches": null, "correctness": {{"passed": true, "seed": 1, "mismatches": 0, "max_abs_err": {err}, "detail": null}}, "timing": {{"samples_s": [{median}, {median}], "median_s": {median}, "mean_s": {median}, "min_s": {median}, "q1_s": {median}, "q3_s": {median}, "cv": "NaN", "discarded_throttled": 0, "stop_reason": "noise", "launches_per_sample": 1}}, "throughput": {{"gbps": {gbps}, "tflops": 0, "pct_copy_bw": null, "pct_gemm": null}}, "load_ms": null, "error": null, "status": "ok"}}}}"#
            )
        };
        w(
            "good.jsonl",
            format!("{header}\n{}\n", case("v", "0.001", "0", "1")).as_bytes(),
        );
        w(
            "nan.jsonl",
            format!(
                "{header}\n{}\n{}\n",
                case("v", "\"NaN\"", "\"inf\"", "null"),
                case("w", "1e-300", "null", "1.7e308")
            )
            .as_bytes(),
        );
        let long = "v".repeat(1 << 20);
        w(
            "longname.jsonl",
            format!("{header}\n{}\n", case(&long, "0.001", "0", "1")).as_bytes(),
        );
        w(
            "ctrl.jsonl",
            format!("{header}\n{}\n", case("v\\u001b[2J\\r", "0.001", "0", "1")).as_bytes(),
        );
        w(
            "torn.jsonl",
            format!(
                "{header}\n{}\n{{\"case\": {{\"vari",
                case("v", "0.001", "0", "1")
            )
            .as_bytes(),
        );
        w(
            "badmiddle.jsonl",
            format!(
                "{header}\n{{\"case\": 5}}\n{}\n",
                case("v", "0.001", "0", "1")
            )
            .as_bytes(),
        );
        w(
            "future.json",
            header
                .replace("\"schema_version\": 2", "\"schema_version\": 99")
                .as_bytes(),
        );
        w(
            "zero.json",
            header
                .replace("\"schema_version\": 2", "\"schema_version\": 0")
                .as_bytes(),
        );
        w(
            "strver.json",
            header
                .replace("\"schema_version\": 2", "\"schema_version\": \"2\"")
                .as_bytes(),
        );
        w("noversion.json", b"{\"cases\": []}");
        w("array.json", b"[]");
        w("notjson.json", b"hello");
        w("empty.json", b"");
        w("binary.json", &[0u8, 159, 146, 150, 255, 0, 1]);
        w("missingfield.json", b"{\"schema_version\": 2}");
        // A sparse file just over the 1 GiB limit.
        let big = std::fs::File::create(root.join("bigresults.json")).unwrap();
        big.set_len((1u64 << 30) + 1).unwrap();
        // Binaries for inspect / predict.
        w("garbage.bin", b"garbage");
        w("empty.bin", b"");
        w(
            "elfhead.bin",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\xbe\0",
        );
        w(
            "fatbin.bin",
            b"\x50\xed\x55\xba\x01\x00\x10\x00\xff\xff\xff\xff\xff\xff\xff\x7f",
        );
        w(
            "ptx.ptx",
            b".version 99.9\n.target sm_9999\n.address_size 64\n",
        );
        std::fs::create_dir_all(root.join("adir.nix")).unwrap();
        std::fs::create_dir_all(root.join("adir.jsonl")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/dev/zero", root.join("zero.nix")).unwrap();
            std::os::unix::fs::symlink("/dev/zero", root.join("zero.jsonl")).unwrap();
            std::os::unix::fs::symlink("/dev/zero", root.join("zero.bin")).unwrap();
            std::os::unix::fs::symlink("nowhere", root.join("dangling.nix")).unwrap();
            for f in [
                "fifo.nix",
                "fifo.toml",
                "fifo.json",
                "fifo.jsonl",
                "fifo.bin",
            ] {
                let ok = Command::new("mkfifo").arg(root.join(f)).status().unwrap();
                assert!(ok.success(), "mkfifo");
            }
            // A results tree with a FIFO and an unreadable entry for `baseline list`.
            let gpu = root.join("results/hostile-gpu");
            std::fs::create_dir_all(&gpu).unwrap();
            std::fs::copy(root.join("good.jsonl"), gpu.join("ok.jsonl")).unwrap();
            Command::new("mkfifo")
                .arg(gpu.join("pipe.jsonl"))
                .status()
                .unwrap();
            std::os::unix::fs::symlink("/dev/zero", gpu.join("zero.json")).unwrap();
        }
        Self { _dir: dir, root }
    }

    fn p(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn cases(f: &Fixtures) -> Vec<Case> {
    let mut v = Vec::new();
    // --- Specs given to `validate` (exit 1, the diagnostic named). ------------------------
    let specs: &[(&str, &str)] = &[
        ("", "parse-error"),
        ("   ", "parse-error"),
        ("pkgs", "parse-error"),
        ("pkgsCuda.", "parse-error"),
        ("pkgsCuda..opencv", "parse-error"),
        ("pkgsForCudaArch", "parse-error"),
        ("pkgsForCudaArch.", "parse-error"),
        ("pkgsForCudaArch.sm_", "parse-error"),
        ("pkgsForCudaArch.sm_xx", "parse-error"),
        ("pkgsForCudaArch.sm_9999", "INVALID"),
        ("pkgsForCudaArch.sm_35", "too old"),
        (
            "pkgsForCudaArch.sm_100.cudaPackages_12_6.pkgs",
            "needs CUDA",
        ),
        (
            "pkgsForCudaArch.sm_90.cudaPackages_99_9.pkgs",
            "unknown-cuda-version",
        ),
        ("cudaPackages_x_y.pkgs", "parse-error"),
        ("pkgsCuda opencv", "parse-error"),
        ("pkgsCuda\u{202e}", "parse-error"),
        ("pkgsForCudaArch.sm_89\u{7}", "parse-error"),
        ("torch:", "empty-capabilities"),
        ("torch:é", "Unknown CUDA arch (é)"),
        ("torch:é ", "Unknown CUDA arch (é)"),
        (" torch:é\t", "Unknown CUDA arch (é)"),
        ("torch:9.9", "unknown-capability"),
        ("torch:10.1", "torch-unknown-arch"),
        ("torch:8.0+PTX+PTX", "torch"),
        ("torch:;;;", "empty-capabilities"),
        ("torch:Hopperr", "did you mean `Hopper`"),
        ("torch:8.6f", "torch-unknown-arch"),
        ("torch:-8.0", "torch"),
        ("cmake:", "empty-capabilities"),
        ("cmake:ü ", "parse-error"),
        ("cmake:abc", "parse-error"),
        ("cmake:89-fake", "parse-error"),
        ("cmake:-real", "parse-error"),
        ("cmake:native", "cmake-native-needs-gpu"),
        ("cmake:9999", "not a CUDA architecture"),
        ("{", "parse-error"),
        ("{ cudaSupport = false; }", "cuda-support-disabled"),
        (
            "{ cudaSupport = true; cudaCapabilities = [ 8.9 ]; }",
            "parse-error",
        ),
        (
            "{ cudaSupport = true; cudaCapabilities = \"8.9\"; }",
            "error",
        ),
        (
            "{ cudaSupport = true; cudaCapabilities = [ \"x\" ]; }",
            "unknown-capability",
        ),
        (
            "{ cudaSupport = true; cudaCapabilities = [ \"8.9\" ]",
            "parse-error",
        ),
        ("{ cudaSupport = true; a = 1; a = 2; }", "already defined"),
        (
            "{ cudaSupport = true; x = \"unterminated; }",
            "unterminated",
        ),
        ("{ cudaSupport = true; x = ${y}; }", "parse-error"),
        (
            "{ cudaSupport = true; x = import ./a.nix; }",
            "outside the supported Nix subset",
        ),
        (
            "{ cudaSupport = true; cudaCapabilities = [ \"7.2\" \"8.9\" ]; }",
            "jetson",
        ),
        (
            "{ cudaSupport = true; n = 99999999999999999999999; }",
            "not an integer",
        ),
        (
            "{ cudaSupport = true; cudaForwardCompat = \"yes\"; cudaCapabilities = [ \"8.9\" ]; }",
            "error",
        ),
    ];
    for (s, what) in specs {
        v.push(case(
            &format!("validate {s:?}"),
            &["validate", s],
            1,
            &[what],
        ));
    }
    let deep = format!("{{ {} = 1; }}", vec!["a"; 60_000].join("."));
    v.push(case(
        "validate 60000 dotted segments",
        &["validate", &deep],
        1,
        &["nested deeper"],
    ));
    // One argument can hold at most 128 KiB (Linux MAX_ARG_STRLEN); files go bigger.
    let braces = "{ a = ".repeat(20_000);
    v.push(case(
        "validate 20000 braces",
        &["validate", &braces],
        1,
        &["nested deeper"],
    ));
    let long = "a".repeat(120_000);
    v.push(case(
        "validate a 120 kB spec",
        &["validate", &long],
        1,
        &["parse-error"],
    ));
    let long_torch = format!("torch:{}", "8.9;".repeat(30_000));
    v.push(case(
        "validate 30000 torch entries",
        &["validate", &long_torch],
        0,
        &["duplicate-capability"],
    ));
    // --- Spec and variant files. -----------------------------------------------------------
    let files: &[(&str, &str)] = &[
        ("bad.nix", "column"),
        ("deep.nix", "nested deeper"),
        ("braces.nix", "nested deeper"),
        ("latin1.nix", "not UTF-8"),
        ("huge.nix", "more than the"),
        ("empty.nix", "parse-error"),
        ("adir.nix", "is a directory"),
        ("zero.nix", "character device"),
        ("fifo.nix", "FIFO"),
        ("fifo.toml", "FIFO"),
        ("fifo.json", "FIFO"),
        ("dangling.nix", "cannot read"),
        ("nothere.nix", "cannot read"),
        ("nothere.toml", "cannot read"),
        ("bad.toml", "cannot parse the variant file"),
        ("unknown.toml", "unknown field"),
        ("novariants.toml", "lists no variants"),
        ("include.toml", "cannot include another"),
        ("missing-nix.toml", "nothere.nix"),
        ("both.toml", "exactly one"),
        ("badcap.toml", "unrecognized"),
        ("badcuda.toml", "not a CUDA version"),
        ("bad.json", "line 1, column"),
        ("wrongtype.json", "cannot parse the variant file"),
        ("deep.json", "cannot parse the variant file"),
    ];
    for (name, what) in files {
        v.push(case(
            &format!("validate file {name}"),
            &["validate", &f.p(name)],
            1,
            &[what],
        ));
    }
    for (name, what) in [
        ("fifo.nix", "FIFO"),
        ("bad.toml", "cannot parse"),
        ("zero.nix", "device"),
    ] {
        v.push(case(
            &format!("flags file {name}"),
            &["flags", &f.p(name)],
            1,
            &[what],
        ));
    }
    // --- `flags`, `predict`, `capabilities`, `kernels` with bad arguments. ------------------
    for (s, what) in [
        ("torch:é", "no flags printed"),
        ("pkgsForCudaArch.sm_35", "no flags printed"),
        ("{", "no flags printed"),
        ("cmake:abc", "no flags printed"),
        ("", "no flags printed"),
        (
            "pkgsForCudaArch.sm_100.cudaPackages_12_6.pkgs",
            "no flags printed",
        ),
    ] {
        v.push(case(&format!("flags {s:?}"), &["flags", s], 1, &[what]));
    }
    for (args, code, what) in [
        (
            vec!["flags", "--format", "gif", "pkgsCuda"],
            2,
            "invalid value",
        ),
        (vec!["flags"], 2, "required"),
        (vec!["validate"], 2, "required"),
        (
            vec!["validate", "--cuda", "x", "pkgsCuda"],
            2,
            "not a CUDA version",
        ),
        (
            vec!["validate", "--cuda", "+12.8", "pkgsCuda"],
            2,
            "not a CUDA version",
        ),
        (
            vec!["validate", "--cuda", "12.8.x", "pkgsCuda"],
            2,
            "not a CUDA version",
        ),
        (
            vec!["validate", "--cuda", "99.9", "pkgsCuda"],
            1,
            "unknown-cuda-version",
        ),
        (
            vec!["validate", "--driver", "banana", "pkgsCuda"],
            2,
            "invalid value",
        ),
        (
            vec!["validate", "--driver", "+580.65", "pkgsCuda"],
            2,
            "invalid value",
        ),
        (
            vec!["validate", "--driver", "1.2.3.4", "pkgsCuda"],
            2,
            "invalid value",
        ),
        (
            vec!["validate", "--driver", "450.80.02", "pkgsCuda"],
            1,
            "ptx-too-new-for-driver",
        ),
        (vec!["capabilities", "--cuda", "x"], 2, "not a CUDA version"),
        (vec!["capabilities", "--cuda", "99.9"], 1, "the newest is"),
        (vec!["predict", "pkgsCuda"], 2, "--gpu"),
        (
            vec!["predict", "--gpu", "x", "pkgsCuda"],
            2,
            "invalid value",
        ),
        (vec!["predict", "--gpu", "9.0"], 2, "required"),
        (
            vec!["predict", "--gpu", "9.0", "/nonexistent.fatbin"],
            1,
            "neither a file nor a valid spec",
        ),
        (vec!["predict", "--gpu", "9.0", "torch:é"], 1, "torch"),
        (
            vec!["toolchain", "install", "99.9"],
            1,
            "no pinned toolchain",
        ),
        (vec!["toolchain", "install", "x"], 2, "invalid value"),
        (vec!["no-such-command"], 2, "unrecognized subcommand"),
        (vec!["run", "--timeout", "NaN"], 1, "positive number"),
        (vec!["run", "--timeout", "-1"], 2, "unexpected argument"),
        (vec!["run", "--timeout=-1"], 1, "positive number"),
        (vec!["run", "--max-time", "0"], 1, "positive number"),
        (vec!["run", "--max-noise", "inf"], 1, "positive percentage"),
        (vec!["run", "--samples", "0"], 1, "at least 1"),
        (
            vec!["run", "--kernel", "(", "--plan"],
            1,
            "not a valid regex",
        ),
        (
            vec!["run", "--variant", "nope", "--plan"],
            1,
            "not embedded",
        ),
        (vec!["run", "--gpu", "x", "--plan"], 2, "invalid value"),
        (vec!["run", "--hot", "--cold"], 2, "cannot be used with"),
        (vec!["run", "--watchdog", "-5"], 2, "unexpected argument"),
        (vec!["run", "--watchdog=-5"], 1, "positive number"),
    ] {
        v.push(case(&format!("args {args:?}"), &args, code, &[what]));
    }
    // --- Binaries for inspect / predict. ---------------------------------------------------
    for (name, what) in [
        ("garbage.bin", "not a CUDA binary"),
        ("empty.bin", "not a CUDA binary"),
        ("elfhead.bin", ""),
        ("fatbin.bin", ""),
        ("zero.bin", "not a regular file"),
        ("fifo.bin", "not a regular file"),
        ("adir.nix", "directory"),
        ("nothere.bin", "cannot read"),
    ] {
        v.push(case(
            &format!("inspect {name}"),
            &["inspect", &f.p(name)],
            1,
            &[what],
        ));
    }
    v.push(case(
        "inspect odd PTX",
        &["inspect", &f.p("ptx.ptx")],
        1,
        &["is not sm_XY"],
    ));
    for name in ["garbage.bin", "zero.bin", "fifo.bin", "empty.bin"] {
        v.push(case(
            &format!("predict {name}"),
            &["predict", "--gpu", "9.0", &f.p(name)],
            1,
            &[""],
        ));
    }
    v.push(case(
        "inspect --expect bad spec",
        &["inspect", &f.p("ptx.ptx"), "--expect", "torch:é"],
        1,
        &["torch"],
    ));
    v.push(case(
        "inspect --extract into a file",
        &["inspect", &f.p("ptx.ptx"), "--extract", &f.p("good.jsonl")],
        1,
        &[""],
    ));
    // --- Results files for compare / report / baseline. -------------------------------------
    let bad_results: &[(&str, &str)] = &[
        ("future.json", "schema version 99"),
        ("zero.json", "schema version 0"),
        ("strver.json", "schema_version"),
        ("noversion.json", "schema_version"),
        ("array.json", "schema_version"),
        ("notjson.json", "not an archbench results file"),
        ("empty.json", "not an archbench results file"),
        ("binary.json", "not UTF-8"),
        ("missingfield.json", "missing field"),
        ("bigresults.json", "more than the"),
        ("badmiddle.jsonl", "line 2"),
        ("zero.jsonl", "character device"),
        ("fifo.jsonl", "FIFO"),
        ("adir.jsonl", "directory"),
        ("nothere.jsonl", "cannot read"),
    ];
    for (name, what) in bad_results {
        let p = f.p(name);
        let good = f.p("good.jsonl");
        v.push(case(
            &format!("compare {name} (new)"),
            &["compare", &p, &good],
            1,
            &[what],
        ));
        v.push(case(
            &format!("compare {name} (base)"),
            &["compare", &good, &p],
            1,
            &[what],
        ));
        v.push(case(
            &format!("report {name}"),
            &["report", &p, "--out", &f.p("rep-bad")],
            1,
            &[what],
        ));
        v.push(case(
            &format!("baseline save {name}"),
            &["baseline", "save", &p, "--dir", &f.p("saved-bad")],
            1,
            &[what],
        ));
    }
    // Odd but legitimate results: tolerated, never refused.
    for name in [
        "nan.jsonl",
        "torn.jsonl",
        "longname.jsonl",
        "ctrl.jsonl",
        "good.jsonl",
    ] {
        let p = f.p(name);
        v.push(case(
            &format!("compare {name} with itself"),
            &["compare", &p, &p],
            0,
            &["same"],
        ));
        v.push(case(
            &format!("report {name}"),
            &["report", &p, "--out", &f.p(&format!("rep-{name}"))],
            0,
            &["report.md"],
        ));
    }
    v.push(case(
        "compare escapes control characters",
        &["compare", &f.p("ctrl.jsonl"), &f.p("ctrl.jsonl")],
        0,
        &["\\u{1b}"],
    ));
    let good = f.p("good.jsonl");
    for (args, code, what) in [
        (
            vec!["compare", &good, &good, "--threshold", "NaN"],
            2,
            "not a usable threshold",
        ),
        (
            vec!["compare", &good, &good, "--threshold", "inf"],
            2,
            "not a usable threshold",
        ),
        (
            vec!["compare", &good, &good, "--threshold=-1"],
            2,
            "not a usable threshold",
        ),
        (
            vec!["compare", &good, &good, "--threshold", "x"],
            2,
            "not a number",
        ),
        (
            vec!["compare", &good, "--dir", "/nonexistent-dir"],
            1,
            "no baseline",
        ),
        (vec!["report", &good, "--format", ""], 1, "names no format"),
        (
            vec!["report", &good, "--format", ",,"],
            1,
            "names no format",
        ),
        (
            vec!["report", &good, "--format", "gif"],
            1,
            "unknown report format",
        ),
        (vec!["report", &good, "--out", "/dev/full"], 1, "cannot"),
        (vec!["report", &good, "--out", &good], 1, "cannot"),
        (
            vec!["report", &good, "--baseline", "/nonexistent.jsonl"],
            1,
            "cannot read",
        ),
        (vec!["report"], 2, "required"),
        (
            vec!["baseline", "save", &good, "--dir", "/dev/full"],
            1,
            "cannot",
        ),
        (
            vec!["baseline", "save", &good, "--dir", "/proc/archbench-nope"],
            1,
            "cannot",
        ),
    ] {
        v.push(case(
            &format!("results args {args:?}"),
            &args,
            code,
            &[what],
        ));
    }
    let listing = f.p("results");
    v.push(case(
        "baseline list skips FIFOs and devices",
        &["baseline", "list", "--dir", &listing],
        0,
        &["ok.jsonl", "skipped"],
    ));
    // Saving the same name twice without --force: the second is refused.
    let saved = f.p("saved-twice");
    v.push(case(
        "baseline save once",
        &["baseline", "save", &good, "--dir", &saved, "--name", "n"],
        0,
        &["saved"],
    ));
    // --- Output to a full disk. ----------------------------------------------------------
    // (stdout to /dev/full is set up by the runner for names starting with "full:").
    for args in [
        vec!["validate", "pkgsCuda"],
        vec!["capabilities"],
        vec!["flags", "pkgsCuda"],
        vec!["kernels"],
        vec!["build-info"],
        vec!["predict", "--gpu", "9.0", "pkgsCuda"],
        vec!["compare", &good, &good],
        vec!["compare", &good, &good, "--json"],
        vec!["baseline", "list", "--dir", &listing],
        vec!["toolchain", "list"],
    ] {
        v.push(case(
            &format!("full: {args:?}"),
            &args,
            1,
            &["No space left on device"],
        ));
    }
    // --- Environment. --------------------------------------------------------------------
    let empty_home = f.p("empty-home");
    v.push(with_env(
        case(
            "no downloads",
            &["toolchain", "install", "12.9"],
            1,
            &["ARCHBENCH_NO_DOWNLOAD=1"],
        ),
        &[
            ("ARCHBENCH_HOME", &empty_home),
            ("ARCHBENCH_NO_DOWNLOAD", "1"),
        ],
    ));
    v.push(with_env(
        case(
            "unwritable home",
            &["toolchain", "install", "12.9"],
            1,
            &["not writable"],
        ),
        &[("ARCHBENCH_HOME", "/sys/archbench-hostile")],
    ));
    v.push(with_env(
        case(
            "missing python",
            &["toolchain", "install", "12.9"],
            1,
            &["installing CUDA 12.9"],
        ),
        &[
            ("ARCHBENCH_HOME", &f.p("py-home")),
            ("ARCHBENCH_PYTHON", "/nonexistent/python3"),
        ],
    ));
    v.push(with_env(
        case(
            "NVCC names nothing",
            &["validate", "pkgsCuda"],
            0,
            &["named by NVCC does not exist"],
        ),
        &[("NVCC", "/nonexistent/nvcc")],
    ));
    v.push(with_env(
        case(
            "CUDA_PATH names nothing",
            &["validate", "pkgsCuda"],
            0,
            &["named by CUDA_PATH does not exist"],
        ),
        &[("CUDA_PATH", "/nonexistent"), ("NVCC", "")],
    ));
    v.push(with_env(
        case(
            "no GPU device 99",
            &["run", "--quick", "--device", "99", "--seed", "1"],
            3,
            &["needs a CUDA GPU"],
        ),
        &[("CUDA_FORCE_PTX_JIT", "1")],
    ));
    v
}

/// Runs one case; `Err` says what went wrong.
fn run(c: &Case) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archbench"));
    cmd.args(&c.args)
        .envs(c.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    let full = c.name.starts_with("full:");
    if full {
        cmd.stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        );
    } else {
        cmd.stdout(Stdio::piped());
    }
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    // Drain both pipes on threads so a chatty case cannot block on a full pipe.
    let out = child.stdout.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = std::io::Read::read_to_end(&mut s, &mut b);
            b
        })
    });
    let mut err_pipe = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("HANG: still running after {LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    let short: String = text.chars().take(600).collect();
    if text.contains("panicked") || text.contains("stack overflow") {
        return Err(format!("PANIC: {short}"));
    }
    match status.code() {
        Some(code) if code == c.code => {}
        Some(code) => return Err(format!("exit {code}, wanted {}: {short}", c.code)),
        None => return Err(format!("killed by a signal ({status}): {short}")),
    }
    let lower = text.to_lowercase();
    for e in &c.expect {
        if !lower.contains(&e.to_lowercase()) {
            return Err(format!("no `{e}` in: {short}"));
        }
    }
    Ok(())
}

#[test]
fn hostile_inputs_get_specific_errors_never_panics_or_hangs() {
    let f = Fixtures::new();
    let all = cases(&f);
    assert!(all.len() >= 150, "the table has {} cases", all.len());
    // A bounded number of cases at a time.
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(c) = all.get(i) else { break };
                if let Err(e) = run(c) {
                    failures.lock().unwrap().push(format!("{}: {e}", c.name));
                }
            });
        }
    });
    // Saving the same baseline name again without --force is refused.
    let saved = f.p("saved-twice");
    let again = case(
        "baseline save twice",
        &[
            "baseline",
            "save",
            &f.p("good.jsonl"),
            "--dir",
            &saved,
            "--name",
            "n",
        ],
        1,
        &["already exists"],
    );
    if let Err(e) = run(&again) {
        failures
            .lock()
            .unwrap()
            .push(format!("{}: {e}", again.name));
    }
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len() + 1,
        failures.join("\n")
    );
}
