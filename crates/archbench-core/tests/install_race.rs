//! Several threads of one process (and so one pid) installing the same tool at once: each
//! must get the installed tool, none may wipe another's staging directory, and nothing may be
//! left staged. (This is what the inspect oracle tests do on a fresh machine.) Real pip,
//! a small real wheel, into a private ARCHBENCH_HOME: the only test in this binary, so the
//! environment variable is not shared with other tests.

use archbench_core::toolchain::{install_wheels, toolchains_dir};
use archbench_core::CudaVersion;

#[test]
fn concurrent_installs_share_one_result() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe { std::env::set_var("ARCHBENCH_HOME", home.path()) };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                install_wheels(
                    "six-race",
                    CudaVersion::new(13, 0),
                    &["six==1.16.0"],
                    "six.py",
                )
            })
        })
        .collect();
    let paths: Vec<_> = threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap()
                .expect("every thread gets the installed tool")
        })
        .collect();
    assert!(
        paths.iter().all(|p| p == &paths[0] && p.exists()),
        "{paths:?}"
    );
    let left: Vec<String> = std::fs::read_dir(toolchains_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}
