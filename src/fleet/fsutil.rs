//! Atomic writes for everything the fleet commands leave on (often shared, network) file
//! systems, through `archbench_core::fsio::AtomicWrite` (a temporary file named for this
//! machine beside the destination, fsync, permissions, rename): a reader on another machine
//! sees the old file or the new one, never half of one.

use std::path::Path;

pub use archbench::core::fsio::hostname;
use archbench::core::fsio::AtomicWrite;

use super::FleetError;

/// Write `bytes` to `dest` atomically, with Unix permissions `mode`.
pub fn write_atomic_mode(dest: &Path, bytes: &[u8], mode: u32) -> Result<(), FleetError> {
    AtomicWrite::new(dest)
        .mode(mode)
        .write(bytes)
        .map_err(|e| FleetError::io("cannot write", dest, e))
}

/// Write a regular (non-executable) file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), FleetError> {
    write_atomic_mode(dest, bytes, 0o644)
}

/// Copy `src` to `dest` atomically with permissions `mode` (the staged binary).
pub fn copy_atomic(src: &Path, dest: &Path, mode: u32) -> Result<u64, FleetError> {
    let mut from =
        std::fs::File::open(src).map_err(|e| FleetError::io("cannot copy from", src, e))?;
    AtomicWrite::new(dest)
        .mode(mode)
        .write_with(|to| std::io::copy(&mut from, to))
        .map_err(|e| FleetError::io("cannot copy to", dest, e))
}

/// Create a directory and its parents.
pub fn create_dir(dir: &Path) -> Result<(), FleetError> {
    std::fs::create_dir_all(dir).map_err(|e| FleetError::io("cannot create", dir, e))
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
