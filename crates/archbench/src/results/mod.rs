//! Versioned results of `archbench run` (serde JSON Lines under `results/`), appended case by
//! case; non-finite floats are representable ([`float`]).

pub mod float;
pub mod read;
pub mod schema;
