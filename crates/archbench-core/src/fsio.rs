//! Reading user-named input files safely: only regular files (a FIFO would block forever, a
//! device such as `/dev/zero` would read until memory runs out, a directory is a mistake),
//! and no more than a stated size. Symbolic links are followed and then checked the same way.

use std::io::Read;
use std::path::Path;

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
}
