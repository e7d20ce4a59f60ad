//! Helpers the CLI integration tests share: running the built `archbench` binary and
//! passing paths as arguments. Each test crate uses some of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs `archbench ARGS…`: (exit code, or -1 when killed by a signal; stdout; stderr).
pub fn archbench(args: &[&str]) -> (i32, String, String) {
    archbench_env(args, &[])
}

/// [`archbench`] with extra environment variables.
pub fn archbench_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path as a command-line argument (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
