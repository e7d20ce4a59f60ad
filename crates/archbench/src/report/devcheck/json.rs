//! Lenient reading of the device check's side files: JSON and JSON Lines written by Python
//! and C++ programs, where a number may be a `"NaN"`/`"inf"` string or `null`, a field may be
//! missing or of another type, and a line may be cut short. Values are read as
//! [`serde_json::Value`] and taken apart with the accessors here, each of which turns what
//! it cannot use into "absent" (`None`, NaN) instead of an error.

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

/// The largest side file read (a device check's are kilobytes).
pub const SIDE_FILE_LIMIT: u64 = 64 << 20;

/// Why a side file cannot be used at all (its section then says so).
#[derive(Debug, Error)]
pub enum SideFileError {
    #[error("{0}")]
    Read(#[from] archbench_core::fsio::InputFileError),
    #[error("{what} {} is not JSON: {message}", path.display())]
    NotJson {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{what} {} {problem}", path.display())]
    Shape {
        what: &'static str,
        path: PathBuf,
        problem: String,
    },
}

/// A side file's text (bytes that are not UTF-8 replaced, as the tools that wrote it may
/// include a device's own strings).
pub fn read_text(path: &Path) -> Result<String, SideFileError> {
    let bytes = archbench_core::fsio::read_bytes(path, SIDE_FILE_LIMIT)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One JSON document.
pub fn read_json(path: &Path, what: &'static str) -> Result<Value, SideFileError> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| SideFileError::NotJson {
        what,
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// JSON Lines: the objects, and how many non-blank lines were not JSON objects.
pub fn read_object_lines(path: &Path) -> Result<(Vec<Value>, usize), SideFileError> {
    let text = read_text(path)?;
    let mut objects = Vec::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(v @ Value::Object(_)) => objects.push(v),
            _ => bad += 1,
        }
    }
    Ok((objects, bad))
}

/// `v[key]`, with `null` read as absent.
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// A number: JSON numbers as they are, strings parsed (`"NaN"`, `"inf"`, `" 1.5 "`),
/// anything else (absent, `null`, booleans, junk) NaN.
pub fn num(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// `v[key]` as a number (see [`num`]).
pub fn num_at(v: &Value, key: &str) -> f64 {
    num(v.get(key))
}

/// A finite number above zero.
pub fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Text of a value for a sentence: strings as they are, other values as JSON, `default`
/// for absent, `null` or `""`.
pub fn text(v: Option<&Value>, default: &str) -> String {
    match v {
        None | Some(Value::Null) => default.to_string(),
        Some(Value::String(s)) if s.is_empty() => default.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `v[key]` as text (see [`text`]).
pub fn text_at(v: &Value, key: &str, default: &str) -> String {
    text(v.get(key), default)
}

/// Whether `v[key]` is present and "truthy" as Python reads it: not null, false, 0 or "".
pub fn truthy(v: &Value, key: &str) -> bool {
    match v.get(key) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

/// A grid or block: `[512, 1, 1]`, `"(512, 1, 1)"`; one to three integers, missing ones 1.
pub fn dims(v: Option<&Value>) -> Option<[u64; 3]> {
    let vals: Vec<u64> = match v? {
        Value::Array(a) => a.iter().filter_map(Value::as_u64).collect(),
        Value::String(s) => dims_in_text(s),
        _ => return None,
    };
    pad3(&vals)
}

/// The integers in `"(512, 1, 1)"`.
pub fn dims_in_text(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// One to three values padded with 1s.
pub fn pad3(vals: &[u64]) -> Option<[u64; 3]> {
    if vals.is_empty() || vals.len() > 3 {
        return None;
    }
    let mut out = [1; 3];
    out[..vals.len()].copy_from_slice(vals);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_read_leniently() {
        assert_eq!(num(Some(&json!(2))), 2.0);
        assert!(num(Some(&json!("NaN"))).is_nan());
        assert_eq!(num(Some(&json!(" inf "))), f64::INFINITY);
        assert_eq!(num(Some(&json!("-inf"))), f64::NEG_INFINITY);
        assert!(num(Some(&json!("x"))).is_nan());
        assert!(num(Some(&json!(true))).is_nan());
        assert!(num(None).is_nan());
    }

    #[test]
    fn dims_from_arrays_and_text() {
        assert_eq!(dims(Some(&json!([512, 1, 1]))), Some([512, 1, 1]));
        assert_eq!(dims(Some(&json!("(32, 32, 1)"))), Some([32, 32, 1]));
        assert_eq!(dims(Some(&json!([7]))), Some([7, 1, 1]));
        assert_eq!(dims(Some(&json!("()"))), None);
        assert_eq!(dims(Some(&json!([1, 2, 3, 4]))), None);
        assert_eq!(dims(None), None);
    }

    #[test]
    fn text_and_truthiness() {
        let v = json!({"a": "", "b": false, "c": 0, "d": "x", "e": 1.5});
        assert_eq!(text_at(&v, "a", "?"), "?");
        assert_eq!(text_at(&v, "b", "?"), "false");
        assert_eq!(text_at(&v, "e", "?"), "1.5");
        assert_eq!(text_at(&v, "zz", "?"), "?");
        assert!(!truthy(&v, "a") && !truthy(&v, "b") && !truthy(&v, "c"));
        assert!(truthy(&v, "d") && truthy(&v, "e"));
    }
}
