//! Files in and out. Reading user-named input files safely: only regular files (a FIFO would
//! block forever, a device such as `/dev/zero` would read until memory runs out, a directory
//! is a mistake), and no more than a stated size; symbolic links are followed and then checked
//! the same way. Writing atomically ([`AtomicWrite`]): every results file, baseline, report,
//! fleet file and cache record of every crate goes through it, so a reader (or a crash) never
//! sees half a file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Spec, config and variant files are small: 1 MiB is far beyond any real one.
pub const SPEC_FILE_LIMIT: u64 = 1 << 20;

/// Why an input file was not read, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputFileError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` is {kind}, not a regular file; give the path of a file")]
    NotAFile { path: String, kind: &'static str },
    #[error("`{path}` is {size} bytes, more than the {limit} bytes archbench reads from such a file; is it the right file?")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("`{path}` is not UTF-8 text (first bad byte at offset {offset})")]
    NotText { path: String, offset: usize },
}

fn kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The bytes of `path` if it is a regular file of at most `limit` bytes.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, InputFileError> {
    let shown = path.display().to_string();
    let io = |source| InputFileError::Io {
        path: shown.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InputFileError::NotAFile {
            path: shown,
            kind: kind(meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(InputFileError::TooLarge {
            path: shown,
            size: meta.len(),
            limit,
        });
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: never read past the limit.
    f.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(InputFileError::TooLarge {
            path: shown,
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, InputFileError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| InputFileError::NotText {
        path: path.display().to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// This machine's name, for temporary names on filesystems that several machines share (a
/// fleet's results directory): `/proc/sys/kernel/hostname`, else `$HOSTNAME`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// A temporary name beside `dest`, unique across machines, processes and calls:
/// `.NAME.tmp-HOST-PID-SEQ`.
pub fn temp_beside(dest: &Path) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let host: String = hostname()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = dest
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(
        ".{name}.tmp-{host}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}

/// Writing a whole file atomically: the bytes go to a temporary file beside it ([`temp_beside`]),
/// which is synced (unless [`AtomicWrite::no_sync`]) and then renamed over the destination
/// (or, with [`AtomicWrite::new_only`], linked to it, which never replaces an existing file).
/// The temporary file never outlives the call.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("fsio-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let f = dir.join("a.json");
/// archbench_core::fsio::AtomicWrite::new(&f).write(b"{}").unwrap();
/// let again = archbench_core::fsio::AtomicWrite::new(&f).new_only().write(b"[]");
/// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct AtomicWrite<'a> {
    dest: &'a Path,
    mode: Option<u32>,
    sync: bool,
    new_only: bool,
}

impl<'a> AtomicWrite<'a> {
    pub fn new(dest: &'a Path) -> Self {
        Self {
            dest,
            mode: None,
            sync: true,
            new_only: false,
        }
    }

    /// Unix permissions of the file (default: what `File::create` gives).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Skip the sync: for caches, which a crash may lose but never corrupt.
    pub fn no_sync(mut self) -> Self {
        self.sync = false;
        self
    }

    /// Fail with `AlreadyExists` when the destination exists, also when another process
    /// creates it meanwhile.
    pub fn new_only(mut self) -> Self {
        self.new_only = true;
        self
    }

    /// Writes `bytes`.
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_with(|f| f.write_all(bytes)).map(|_| ())
    }

    /// Writes what `fill` writes into the temporary file, and returns what it returns.
    pub fn write_with<T>(
        &self,
        fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let tmp = temp_beside(self.dest);
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            let out = fill(&mut f)?;
            if let Some(m) = self.mode {
                set_mode(&f, m)?;
            }
            if self.sync {
                f.sync_all()?;
            }
            drop(f);
            if self.new_only {
                std::fs::hard_link(&tmp, self.dest)?;
                let _ = std::fs::remove_file(&tmp);
            } else {
                std::fs::rename(&tmp, self.dest)?;
            }
            Ok(out)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
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
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = std::env::temp_dir().join(format!("archbench-fsio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.nix");
        std::fs::write(&f, "{ }").unwrap();
        assert_eq!(read_text(&f, 10).unwrap(), "{ }");
        let e = read_text(&f, 2).unwrap_err().to_string();
        assert!(e.contains("3 bytes, more than the 2"), "{e}");
        let e = read_text(&dir, 10).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        let e = read_text(Path::new("/dev/zero"), 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("character device"), "{e}");
        #[cfg(unix)]
        {
            // A symlink to a device is checked as the device.
            let l = dir.join("zero.nix");
            let _ = std::fs::remove_file(&l);
            std::os::unix::fs::symlink("/dev/zero", &l).unwrap();
            let e = read_text(&l, 10).unwrap_err().to_string();
            assert!(e.contains("character device"), "{e}");
            // A FIFO is refused without opening it (opening would block).
            let fifo = dir.join("p.toml");
            let _ = std::fs::remove_file(&fifo);
            let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(
                ok.is_ok_and(|s| s.success()),
                "mkfifo (coreutils) is needed here"
            );
            let e = read_text(&fifo, 10).unwrap_err().to_string();
            assert!(e.contains("FIFO"), "{e}");
        }
        std::fs::write(&f, [0x66, 0xff]).unwrap();
        let e = read_text(&f, 10).unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("offset 1"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn atomic_writes_replace_or_refuse_and_leave_no_temporary() {
        let dir = std::env::temp_dir().join(format!("fsio-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        AtomicWrite::new(&p).write(b"one").unwrap();
        AtomicWrite::new(&p)
            .mode(0o755)
            .no_sync()
            .write(b"two")
            .unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(m & 0o777, 0o755);
        }
        let e = AtomicWrite::new(&p).new_only().write(b"three").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // A write into a missing directory fails and leaves nothing.
        assert!(AtomicWrite::new(&dir.join("no/such/dir/x"))
            .write(b"x")
            .is_err());
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("a.txt")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
