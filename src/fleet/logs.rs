//! Results carried in a container's log: what `archbench fleet task --stdout` printed, as
//! `kubectl logs` returns it (stdout and stderr interleaved line by line, optionally with
//! `--timestamps` prefixes).
//!
//! A line is taken when it is a JSON object of one of the forms the task prints — its
//! `{"archbench_fleet_task": …}` records, a plan-only task's `{"archbench_fleet_plan": …}`,
//! and the results file's own lines (header, `{"case": …}`, `{"end": …}`); everything else
//! (the run's human-readable summary, library chatter) is counted and skipped.

use serde_json::Value;

use super::task::{TaskRecord, PLAN_LINE_KEY, TASK_LINE_KEY};

/// What one container log holds.
#[derive(Debug, Default)]
pub struct LogContents {
    /// The task's first record (written when it started).
    pub started: Option<TaskRecord>,
    /// Its last record when it finished (`finished` is set).
    pub finished: Option<TaskRecord>,
    /// A plan-only task's plan.
    pub plan: Option<Value>,
    /// The results file's lines, in order, as JSON Lines text (empty when none).
    pub results: String,
    /// Lines that were not archbench JSON.
    pub other_lines: usize,
}

/// Strip a `kubectl logs --timestamps` prefix (`2024-05-01T10:00:00.123456789Z `).
fn strip_timestamp(line: &str) -> &str {
    match line.split_once(' ') {
        Some((ts, rest)) if ts.len() >= 20 && ts.as_bytes()[4] == b'-' && ts.contains('T') => rest,
        _ => line,
    }
}

/// Read a container log.
pub fn parse(text: &str) -> LogContents {
    let mut c = LogContents::default();
    let mut in_run = false;
    for raw in text.lines() {
        let line = strip_timestamp(raw.trim_end()).trim();
        if !line.starts_with('{') {
            c.other_lines += usize::from(!line.is_empty());
            continue;
        }
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
            c.other_lines += 1;
            continue;
        };
        if let Some(r) = obj.get(TASK_LINE_KEY) {
            if let Ok(rec) = serde_json::from_value::<TaskRecord>(r.clone()) {
                if rec.finished.is_some() {
                    c.finished = Some(rec);
                } else if c.started.is_none() {
                    c.started = Some(rec);
                }
            }
        } else if let Some(p) = obj.get(PLAN_LINE_KEY) {
            c.plan = Some(p.clone());
        } else if obj.contains_key("schema_version") {
            // A results header: a run starts (a second header would be a second run; the
            // task runs one, so keep the last).
            c.results.clear();
            c.results.push_str(line);
            c.results.push('\n');
            in_run = true;
        } else if in_run && obj.len() == 1 && (obj.contains_key("case") || obj.contains_key("end"))
        {
            c.results.push_str(line);
            c.results.push('\n');
        } else {
            c.other_lines += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_archbench_lines_out_of_a_mixed_log() {
        let rec = |finished: Option<&str>| {
            serde_json::json!({ TASK_LINE_KEY: {
                "archbench_version": "0.1.0", "target": "h100", "capability": "9.0", "model": null,
                "mode": "run", "command": ["run"], "host": "node1", "started": "2026-01-01T00:00:00Z",
                "finished": finished, "wall_s": null, "exit_code": finished.map(|_| 0), "signal": null,
                "scheduler": {}, "results": [], "error": null
            }})
            .to_string()
        };
        let log = format!(
            "{}\nplan: 15 variant(s)\n2026-01-01T00:00:01.5Z {{\"schema_version\":2}}\n{{\"case\":{{}}}}\nnot json {{\n{{\"other\":1}}\n{{\"end\":{{}}}}\n{}\n",
            rec(None),
            rec(Some("2026-01-01T00:01:00Z"))
        );
        let c = parse(&log);
        assert_eq!(c.started.unwrap().host, "node1");
        assert_eq!(c.finished.unwrap().exit_code, Some(0));
        assert_eq!(
            c.results,
            "{\"schema_version\":2}\n{\"case\":{}}\n{\"end\":{}}\n"
        );
        assert_eq!(c.other_lines, 3);
    }
}
