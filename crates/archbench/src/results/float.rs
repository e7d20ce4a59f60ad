//! Floats that may be non-finite, in JSON. serde_json writes NaN and ±∞ as `null` and then
//! cannot read them back into an `f64`, so a kernel that leaves NaN poison (max error ∞) or
//! an all-throttled case (median NaN) would make its own results unreadable. Here finite
//! values stay JSON numbers and non-finite ones become the strings `"NaN"`, `"inf"`,
//! `"-inf"`; reading accepts numbers, those strings and `null` (read as NaN, as older files
//! wrote it).
//!
//! Use with `#[serde(with = "crate::results::float")]` on `f64`, `float::opt` on
//! `Option<f64>` and `float::vec` on `Vec<f64>`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// One float as JSON: a number, or a string for the non-finite ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Float(pub f64);

impl Serialize for Float {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = Float;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number, \"NaN\", \"inf\", \"-inf\" or null")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
        Ok(Float(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
        Ok(Float(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
        Ok(Float(v as f64))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Float, E> {
        Ok(Float(f64::NAN))
    }
    fn visit_none<E: de::Error>(self) -> Result<Float, E> {
        Ok(Float(f64::NAN))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
        match v.trim().to_ascii_lowercase().as_str() {
            "nan" | "-nan" => Ok(Float(f64::NAN)),
            "inf" | "+inf" | "infinity" | "+infinity" => Ok(Float(f64::INFINITY)),
            "-inf" | "-infinity" => Ok(Float(f64::NEG_INFINITY)),
            other => other
                .parse::<f64>()
                .map(Float)
                .map_err(|_| E::custom(format!("`{v}` is not a number"))),
        }
    }
}

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor)
    }
}

pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    Float(*x).serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Float::deserialize(d).map(|f| f.0)
}

/// `Option<f64>`: `None` is `null`; a non-finite value is a string. (A `null` reads back as
/// `None`, so `Some(NaN)` is written as `"NaN"` to stay distinguishable.)
pub mod opt {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(v) => Float(*v).serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Float>::deserialize(d)?.map(|f| f.0))
    }
}

/// `Vec<f64>` with each element as [`Float`].
pub mod vec {
    use super::*;

    pub fn serialize<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(xs.iter().map(|x| Float(*x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Float>::deserialize(d)?
            .into_iter()
            .map(|f| f.0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct T {
        #[serde(with = "super")]
        a: f64,
        #[serde(with = "super::opt")]
        b: Option<f64>,
        #[serde(with = "super::vec")]
        c: Vec<f64>,
    }

    #[test]
    fn non_finite_values_round_trip() {
        let t = T {
            a: f64::INFINITY,
            b: Some(f64::NAN),
            c: vec![1.5, f64::NEG_INFINITY, f64::NAN],
        };
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(j, r#"{"a":"inf","b":"NaN","c":[1.5,"-inf","NaN"]}"#);
        let back: T = serde_json::from_str(&j).unwrap();
        assert_eq!(back.a, f64::INFINITY);
        assert!(back.b.unwrap().is_nan());
        assert_eq!(back.c[0], 1.5);
        assert_eq!(back.c[1], f64::NEG_INFINITY);
        assert!(back.c[2].is_nan());
    }

    #[test]
    fn reads_what_older_files_and_other_tools_wrote() {
        // serde_json's own output for non-finite values is `null`.
        let t: T = serde_json::from_str(r#"{"a":null,"b":null,"c":[null,2,"Infinity"]}"#).unwrap();
        assert!(t.a.is_nan());
        assert_eq!(t.b, None);
        assert!(t.c[0].is_nan());
        assert_eq!(t.c[1], 2.0);
        assert_eq!(t.c[2], f64::INFINITY);
        assert!(serde_json::from_str::<T>(r#"{"a":"fast","b":null,"c":[]}"#).is_err());
    }
}
