//! The whole-run budget (`--max-time`): before each job starts, the time left is shared
//! among the cases still to time, after the overhead each case costs besides sampling
//! (inputs, reference, check, load), measured as the run goes. A job whose cases would get
//! less than the stopping rule's own budget runs with the shortened budget (its stops are
//! reported as `budget`); once the time is spent, the remaining cases are skipped and
//! recorded as such. What was cut is said in words for the summary and the results file.

use crate::measure::StopRule;

#[derive(Debug, Clone)]
pub struct Budget {
    total_s: Option<f64>,
    /// Overhead per case observed so far: (sum, count).
    overhead: (f64, u32),
    /// Assumed before any case has been seen.
    first_guess_s: f64,
    shortened: u32,
    shortest_s: f64,
    skipped: u32,
}

/// The rule a job gets, or `None`: skip it.
pub type Grant = Option<StopRule>;

impl Budget {
    /// `total_s`: the whole-run budget, if any. `first_guess_s`: overhead per case assumed
    /// until one is measured.
    pub fn new(total_s: Option<f64>, first_guess_s: f64) -> Self {
        Self {
            total_s,
            overhead: (0.0, 0),
            first_guess_s,
            shortened: 0,
            shortest_s: f64::INFINITY,
            skipped: 0,
        }
    }

    fn overhead_s(&self) -> f64 {
        if self.overhead.1 == 0 {
            self.first_guess_s
        } else {
            self.overhead.0 / f64::from(self.overhead.1)
        }
    }

    /// The rule for a job of `job_cases` cases to time, `elapsed_s` into the run, with
    /// `remaining_cases` (this job's included) still to time after it.
    pub fn grant(
        &mut self,
        base: StopRule,
        job_cases: u32,
        remaining_cases: u32,
        elapsed_s: f64,
    ) -> Grant {
        let Some(total) = self.total_s else {
            return Some(base);
        };
        let left = total - elapsed_s;
        if left <= 0.0 {
            self.skipped += job_cases;
            return None;
        }
        let r = f64::from(remaining_cases.max(1));
        let share = (left - self.overhead_s() * r) / r;
        if share >= base.timeout_s || base.fixed_samples.is_some() {
            return Some(base);
        }
        // Never below the minimum sampling time: a case needs that much to mean anything.
        let t = share.max(base.min_time_s).max(0.0);
        self.shortened += job_cases;
        self.shortest_s = self.shortest_s.min(t);
        Some(StopRule {
            timeout_s: t,
            cut_by_budget: true,
            ..base
        })
    }

    /// A case took `wall_s` of which `sampling_s` was sampling.
    pub fn observe(&mut self, wall_s: f64, sampling_s: f64) {
        let o = (wall_s - sampling_s).max(0.0);
        if o.is_finite() {
            self.overhead.0 += o;
            self.overhead.1 += 1;
        }
    }

    /// Cases the budget skipped.
    pub fn skipped(&self) -> u32 {
        self.skipped
    }

    /// What was cut, in words (empty when nothing was).
    pub fn cuts(&self, base_timeout_s: f64) -> Vec<String> {
        let Some(total) = self.total_s else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.shortened > 0 {
            out.push(format!(
                "{} case(s) sampled for less than the {base_timeout_s} s per-case budget (down to {:.3} s) to fit --max-time {total} s",
                self.shortened, self.shortest_s
            ));
        }
        if self.skipped > 0 {
            out.push(format!(
                "{} case(s) skipped: --max-time {total} s was spent",
                self.skipped
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_budget_changes_nothing() {
        let mut b = Budget::new(None, 0.5);
        let r = StopRule::full();
        assert_eq!(b.grant(r, 4, 100, 1e6), Some(r));
        assert!(b.cuts(3.0).is_empty());
    }

    #[test]
    fn shares_what_is_left_after_overheads() {
        let base = StopRule::full(); // 3 s a case
        let mut b = Budget::new(Some(60.0), 0.5);
        // 10 cases in 60 s: 6 s each minus 0.5 s overhead: the full 3 s.
        assert_eq!(b.grant(base, 2, 10, 0.0), Some(base));
        // 40 cases in 50 s: 1.25 − 0.5 = 0.75 s each.
        let g = b.grant(base, 2, 40, 10.0).unwrap();
        assert!((g.timeout_s - 0.75).abs() < 1e-12 && g.cut_by_budget);
        // Measured overhead replaces the guess: 1 s a case.
        b.observe(1.7, 0.7);
        b.observe(1.2, 0.2);
        let g = b.grant(base, 2, 20, 20.0).unwrap();
        assert!((g.timeout_s - 1.0).abs() < 1e-12, "{}", g.timeout_s);
        // Hardly anything left: the minimum sampling time, not less.
        let g = b.grant(base, 2, 100, 59.0).unwrap();
        assert_eq!(g.timeout_s, base.min_time_s);
        // Nothing left: skipped.
        assert_eq!(b.grant(base, 3, 50, 61.0), None);
        let cuts = b.cuts(3.0);
        assert!(
            cuts[0].starts_with("6 case(s) sampled for less than the 3 s"),
            "{cuts:?}"
        );
        assert!(cuts[0].contains("down to 0.100 s"), "{cuts:?}");
        assert_eq!(cuts[1], "3 case(s) skipped: --max-time 60 s was spent");
        assert_eq!(b.skipped(), 3);
    }

    #[test]
    fn fixed_sample_counts_are_not_cut() {
        let base = StopRule {
            fixed_samples: Some(5),
            ..StopRule::full()
        };
        let mut b = Budget::new(Some(1.0), 0.5);
        assert_eq!(b.grant(base, 1, 100, 0.5), Some(base));
    }
}
