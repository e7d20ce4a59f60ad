//! Measurement logic that needs no GPU: sample statistics, rank tests, burst/sustained
//! drift, the stopping rule, throttle detection on SM-clock readings. The GPU layer feeds it numbers; tests feed it recorded
//! series.

pub mod drift;
pub mod rank;
pub mod stats;
pub mod stopping;
pub mod throttle;

pub use stats::Summary;
pub use stopping::{median_ci_rel, Decision, StopReason, StopRule, Stopper};
pub use throttle::{ClockSpan, ThrottleGuard, Verdict};
