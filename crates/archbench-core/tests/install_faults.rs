//! Toolchain installs under faults, with real pip and a small real wheel in a private
//! ARCHBENCH_HOME (one test function: it changes the process environment step by step):
//! a toolchain whose tool was deleted is repaired, staging left by a killed installer is
//! cleaned, downloads can be turned off, an unwritable home gets a specific message, and an
//! empty ARCHBENCH_HOME does not mean the current directory.

use archbench_core::toolchain::{home, install_named, toolchains_dir, ToolchainError};

fn set(k: &str, v: &std::ffi::OsStr) {
    // SAFETY: the only test in this binary; no other thread reads the environment.
    unsafe { std::env::set_var(k, v) };
}

fn staged() -> Vec<String> {
    std::fs::read_dir(toolchains_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn installs_recover_from_faults() {
    let tmp = tempfile::tempdir().unwrap();
    set("ARCHBENCH_HOME", tmp.path().as_os_str());
    let install = || install_named("six-faults", "six 1.16.0", &["six==1.16.0"], "six.py");

    let six = install().unwrap();
    // A staging directory a killed installer left behind, and the tool deleted by hand.
    std::fs::create_dir_all(toolchains_dir().join(".six-faults.tmp-999999-0/junk")).unwrap();
    std::fs::remove_file(&six).unwrap();
    let again = install().expect("a toolchain dir without its tool is repaired");
    assert_eq!(again, six);
    assert!(six.exists());
    assert!(staged().is_empty(), "stale staging removed: {:?}", staged());

    // Downloads off: what is installed is found, what is not is a specific error.
    set("ARCHBENCH_NO_DOWNLOAD", "1".as_ref());
    assert_eq!(install().unwrap(), six);
    let e = install_named("six-other", "six 1.16.0", &["six==1.16.0"], "six.py").unwrap_err();
    assert!(matches!(e, ToolchainError::NoDownload { .. }), "{e}");
    assert!(e.to_string().contains("ARCHBENCH_NO_DOWNLOAD=1"), "{e}");
    set("ARCHBENCH_NO_DOWNLOAD", "0".as_ref());

    // A home nobody can write to (even root cannot create directories under /sys).
    set("ARCHBENCH_HOME", "/sys/archbench-test-home".as_ref());
    let e = install().unwrap_err();
    assert!(matches!(e, ToolchainError::NotWritable { .. }), "{e:?}");
    assert!(e.help().contains("ARCHBENCH_HOME"), "{}", e.help());

    // Empty: the default cache, not `./toolchains`.
    set("ARCHBENCH_HOME", "".as_ref());
    assert!(home().is_absolute(), "{}", home().display());
}
