//! Bounds-checked little-endian reads from a borrowed byte slice: every read returns a typed
//! [`InspectError`] instead of panicking, and slices borrow from the input (zero-copy).

use crate::error::{InspectError, Result};

/// Reads a `u16` at `off`.
pub fn u16_at(d: &[u8], off: usize, what: &'static str) -> Result<u16> {
    let b = take(d, off, 2, what)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// Reads a `u32` at `off`.
pub fn u32_at(d: &[u8], off: usize, what: &'static str) -> Result<u32> {
    let b = take(d, off, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a `u64` at `off`.
pub fn u64_at(d: &[u8], off: usize, what: &'static str) -> Result<u64> {
    let b = take(d, off, 8, what)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

/// `len` bytes at `off`, or [`InspectError::Truncated`].
pub fn take<'a>(d: &'a [u8], off: usize, len: usize, what: &'static str) -> Result<&'a [u8]> {
    let have = d.len().saturating_sub(off);
    match off.checked_add(len) {
        Some(end) if end <= d.len() => Ok(&d[off..end]),
        _ => Err(InspectError::Truncated {
            what,
            offset: off as u64,
            need: len as u64,
            have: have as u64,
        }),
    }
}

/// The sub-slice `[off, off + size)` named by header fields, or [`InspectError::OutOfBounds`].
pub fn range<'a>(d: &'a [u8], off: u64, size: u64, what: &'static str) -> Result<&'a [u8]> {
    let err = || InspectError::OutOfBounds {
        what,
        offset: off,
        size,
        limit: d.len() as u64,
    };
    let end = off.checked_add(size).ok_or_else(err)?;
    if end > d.len() as u64 {
        return Err(err());
    }
    // Both fit in usize: they are ≤ d.len().
    Ok(&d[off as usize..end as usize])
}

/// The NUL-terminated string starting at `off` (without the NUL), lossily as text.
pub fn cstr(d: &[u8], off: usize) -> Option<&str> {
    let rest = d.get(off..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// Hex of the first bytes, for error messages.
pub fn preview(d: &[u8]) -> String {
    let mut s: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    if d.is_empty() {
        s.push_str("(empty)");
    }
    s
}
