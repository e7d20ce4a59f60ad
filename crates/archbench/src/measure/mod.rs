//! Measurement logic that needs no GPU: sample statistics, the stopping rule, throttle
//! detection on SM-clock readings. The GPU layer feeds it numbers; tests feed it recorded
//! series.

pub mod stats;
pub mod stopping;
pub mod throttle;

pub use stats::Summary;
pub use stopping::{median_ci_rel, Decision, StopReason, StopRule, Stopper};
pub use throttle::{ClockSpan, ThrottleGuard, Verdict};
