//! Reading input files without copying them: large libraries (libcublasLt is ~750 MB) are
//! memory-mapped, so listing touches only the headers it reads, and a full read gives back the
//! pages it is done with ([`FileBytes::release`]) so its resident memory stays small.

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

/// A file's bytes: memory-mapped, or read into memory when mapping is not possible (empty
/// files, pipes, special files).
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

impl FileBytes {
    /// Tells the kernel this process no longer needs the pages of `range` (they stay in the
    /// page cache, and are read again if touched). Does nothing for owned bytes.
    pub fn release(&self, range: std::ops::Range<usize>) {
        if let FileBytes::Mapped(m) = self {
            let page = 4096;
            let start = range.start.div_ceil(page) * page;
            let end = range.end.min(m.len()) / page * page;
            if end > start {
                // SAFETY: the map is private and read-only, never written: MADV_DONTNEED only
                // drops its page table entries, and later reads fault the same file bytes in
                // again. Errors only mean the pages stay resident.
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
                };
            }
        }
    }
}

/// Opens `path` for inspection. Only regular files: a FIFO would block the open forever and
/// a device such as `/dev/zero` would be read until memory runs out.
pub fn open(path: &Path) -> std::io::Result<FileBytes> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "`{}` is {what}; give the path of a CUDA binary",
                path.display()
            ),
        ));
    }
    let f = File::open(path)?;
    let meta = f.metadata()?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the map is read-only and private to this process. If another process
        // truncates the file while we read it, accesses may fault (SIGBUS); archbench inspects
        // build outputs that are not being written, like cuobjdump does.
        if let Ok(m) = unsafe { memmap2::Mmap::map(&f) } {
            return Ok(FileBytes::Mapped(m));
        }
    }
    std::fs::read(path).map(FileBytes::Owned)
}
