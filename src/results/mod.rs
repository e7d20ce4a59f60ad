//! Versioned results of `archbench run` (serde JSON under `results/`), written atomically.

pub mod read;
pub mod schema;
