//! Atomic writes for everything the fleet commands leave on (often shared, network) file
//! systems: a temporary file in the same directory, fsync, permissions, rename. A reader on
//! another machine sees the old file or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::FleetError;

/// A temporary name next to `dest`, unique across processes, machines and calls.
pub fn temp_name(dest: &Path) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let parent = dest.parent().unwrap_or(Path::new("."));
    let file_name = dest
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(
        ".{file_name}.tmp-{}-{}-{}",
        host_tag(),
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}

/// This machine's host name, for temporary names on file systems shared between machines.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string())
}

fn host_tag() -> String {
    hostname()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Write `bytes` to `dest` atomically, with Unix permissions `mode`.
pub fn write_atomic_mode(dest: &Path, bytes: &[u8], mode: u32) -> Result<(), FleetError> {
    let tmp = temp_name(dest);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        set_mode(&f, mode)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        FleetError::io("cannot write", dest, e)
    })
}

/// Write a regular (non-executable) file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), FleetError> {
    write_atomic_mode(dest, bytes, 0o644)
}

/// Copy `src` to `dest` atomically with permissions `mode` (the staged binary).
pub fn copy_atomic(src: &Path, dest: &Path, mode: u32) -> Result<u64, FleetError> {
    let tmp = temp_name(dest);
    let result = (|| {
        let mut from = std::fs::File::open(src)?;
        let mut to = std::fs::File::create(&tmp)?;
        let n = std::io::copy(&mut from, &mut to)?;
        set_mode(&to, mode)?;
        to.sync_all()?;
        std::fs::rename(&tmp, dest)?;
        Ok(n)
    })();
    result.map_err(|e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        FleetError::io("cannot copy to", dest, e)
    })
}

/// Create a directory and its parents.
pub fn create_dir(dir: &Path) -> Result<(), FleetError> {
    std::fs::create_dir_all(dir).map_err(|e| FleetError::io("cannot create", dir, e))
}

#[cfg(unix)]
fn set_mode(f: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &std::fs::File, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic_mode(&p, b"two", 0o755).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.txt"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }
    }

    #[test]
    fn a_failed_write_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("a.txt");
        let e = write_atomic(&p, b"x").unwrap_err().to_string();
        assert!(e.contains("missing-dir/a.txt"), "{e}");
    }
}
