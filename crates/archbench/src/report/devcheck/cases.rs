//! archbench's side of every comparison: a run's cases by (kernel, case label), and the one
//! a comparison uses — the fastest variant whose check passed.

use std::collections::BTreeMap;

use crate::results::schema::CaseResult;

/// Whether the case's check ran and passed.
pub fn passed(c: &CaseResult) -> bool {
    c.correctness.as_ref().is_some_and(|k| k.passed)
}

/// A run's cases grouped by (kernel, case label), each group in file order.
pub struct Index<'a> {
    by_key: BTreeMap<(String, String), Vec<&'a CaseResult>>,
}

impl<'a> Index<'a> {
    pub fn new(cases: &'a [CaseResult]) -> Self {
        let mut by_key: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for c in cases {
            by_key
                .entry((c.kernel.clone(), c.case.clone()))
                .or_default()
                .push(c);
        }
        Index { by_key }
    }

    /// Every variant's result of one case.
    pub fn of(&self, kernel: &str, case: &str) -> &[&'a CaseResult] {
        self.by_key
            .get(&(kernel.to_string(), case.to_string()))
            .map_or(&[][..], Vec::as_slice)
    }

    /// The fastest result whose check passed (the first of equals), with its median.
    pub fn best(&self, kernel: &str, case: &str) -> Option<(&'a CaseResult, f64)> {
        best_of(self.of(kernel, case))
    }

    /// Every (kernel, case) in order, with its results.
    pub fn groups(&self) -> impl Iterator<Item = ((&str, &str), &[&'a CaseResult])> {
        self.by_key
            .iter()
            .map(|((k, c), v)| ((k.as_str(), c.as_str()), v.as_slice()))
    }
}

/// The fastest of `cases` whose check passed (the first of equals), with its median.
pub fn best_of<'a>(cases: &[&'a CaseResult]) -> Option<(&'a CaseResult, f64)> {
    let mut best: Option<(&CaseResult, f64)> = None;
    for c in cases {
        if let (true, Some(m)) = (passed(c), c.timed_median()) {
            if best.is_none_or(|(_, b)| m < b) {
                best = Some((c, m));
            }
        }
    }
    best
}
