//! Axes: the parameters a bench's cases range over. A bench's cases are the cartesian
//! product of its axis groups; a group is one axis, or several zipped axes that advance
//! together (`rows` x `cols` pairs). Each group has values for the default set and,
//! optionally, its own for `--quick` and for the edge set.

use std::fmt;

use crate::workload::Set;

/// One axis value: an integer or a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Int(i64),
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(v as i64)
            }
        }
    )*};
}
int_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Str(v.clone())
    }
}

/// Anything that gives a list of axis values: arrays, vectors, and ranges of integers.
pub trait IntoValues {
    fn into_values(self) -> Vec<Value>;
}

impl<T: Into<Value>> IntoValues for Vec<T> {
    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(Into::into).collect()
    }
}
impl<T: Into<Value>, const N: usize> IntoValues for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(Into::into).collect()
    }
}
impl<T: Into<Value> + Clone> IntoValues for &[T] {
    fn into_values(self) -> Vec<Value> {
        self.iter().cloned().map(Into::into).collect()
    }
}
impl IntoValues for std::ops::Range<i64> {
    fn into_values(self) -> Vec<Value> {
        self.map(Value::Int).collect()
    }
}
impl IntoValues for std::ops::RangeInclusive<i64> {
    fn into_values(self) -> Vec<Value> {
        self.map(Value::Int).collect()
    }
}

/// Powers of two: `pow2(20..=28)` is 2^20, 2^21, …, 2^28 (exponents above 62 are left out).
pub fn pow2(exponents: std::ops::RangeInclusive<u32>) -> Vec<Value> {
    exponents
        .filter(|&e| e <= 62)
        .map(|e| Value::Int(1i64 << e))
        .collect()
}

/// `start, start + step, …` up to `end` inclusive (`step` > 0; an empty list otherwise).
pub fn linear(start: i64, end: i64, step: i64) -> Vec<Value> {
    if step <= 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut v = start;
    while v <= end {
        out.push(Value::Int(v));
        match v.checked_add(step) {
            Some(n) => v = n,
            None => break,
        }
    }
    out
}

/// Rows of zipped axes: vectors of tuples or of value lists.
pub trait IntoRows {
    fn into_rows(self) -> Vec<Vec<Value>>;
}

impl IntoRows for Vec<Vec<Value>> {
    fn into_rows(self) -> Vec<Vec<Value>> {
        self
    }
}
impl<A: Into<Value>, B: Into<Value>> IntoRows for Vec<(A, B)> {
    fn into_rows(self) -> Vec<Vec<Value>> {
        self.into_iter()
            .map(|(a, b)| vec![a.into(), b.into()])
            .collect()
    }
}
impl<A: Into<Value>, B: Into<Value>, C: Into<Value>> IntoRows for Vec<(A, B, C)> {
    fn into_rows(self) -> Vec<Vec<Value>> {
        self.into_iter()
            .map(|(a, b, c)| vec![a.into(), b.into(), c.into()])
            .collect()
    }
}
impl<A: Into<Value>, B: Into<Value>, C: Into<Value>, D: Into<Value>> IntoRows
    for Vec<(A, B, C, D)>
{
    fn into_rows(self) -> Vec<Vec<Value>> {
        self.into_iter()
            .map(|(a, b, c, d)| vec![a.into(), b.into(), c.into(), d.into()])
            .collect()
    }
}

/// One or several axes whose values advance together.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub names: Vec<String>,
    pub default: Vec<Vec<Value>>,
    pub quick: Option<Vec<Vec<Value>>>,
    pub edges: Option<Vec<Vec<Value>>>,
}

impl Group {
    pub fn single(name: &str, values: Vec<Value>) -> Self {
        Group {
            names: vec![name.to_string()],
            default: values.into_iter().map(|v| vec![v]).collect(),
            quick: None,
            edges: None,
        }
    }

    /// The rows for `set`: edges fall back to quick, quick to default.
    pub fn rows(&self, set: Set) -> &[Vec<Value>] {
        match set {
            Set::Default => &self.default,
            Set::Quick => self.quick.as_deref().unwrap_or(&self.default),
            Set::Edges => self
                .edges
                .as_deref()
                .or(self.quick.as_deref())
                .unwrap_or(&self.default),
        }
    }
}

/// Every point of the product of `groups` for `set`, each a list of `(axis, value)` in
/// declaration order. No groups: one point with no values.
pub(crate) fn points(groups: &[Group], set: Set) -> Vec<Vec<(String, Value)>> {
    let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for g in groups {
        let rows = g.rows(set);
        let mut next = Vec::with_capacity(out.len() * rows.len());
        for p in &out {
            for row in rows {
                let mut q = p.clone();
                q.extend(g.names.iter().cloned().zip(row.iter().cloned()));
                next.push(q);
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_zips() {
        let n = Group::single("n", pow2(2..=3));
        let mut shape = Group {
            names: vec!["rows".into(), "cols".into()],
            default: vec![(1, 2), (3, 4)].into_rows(),
            quick: Some(vec![(5, 6)].into_rows()),
            edges: None,
        };
        let p = points(&[n.clone(), shape.clone()], Set::Default);
        assert_eq!(p.len(), 4);
        assert_eq!(
            p[1],
            [
                ("n".to_string(), Value::Int(4)),
                ("rows".to_string(), Value::Int(3)),
                ("cols".to_string(), Value::Int(4))
            ]
        );
        assert_eq!(points(&[n.clone(), shape.clone()], Set::Quick).len(), 2);
        // Edges fall back to quick.
        assert_eq!(points(&[shape.clone()], Set::Edges).len(), 1);
        shape.quick = None;
        assert_eq!(points(&[shape], Set::Edges).len(), 2);
        assert_eq!(points(&[], Set::Default), vec![Vec::new()]);
        assert_eq!(linear(1, 7, 3), vec![1i64, 4, 7].into_values());
        assert!(linear(1, 7, 0).is_empty());
        assert_eq!(pow2(61..=64).len(), 2);
    }
}
