//! Supervising kernel workers: one worker process runs job after job (one per plan task),
//! fed on its stdin; a thread reads its stdout so that every wait has a deadline. Whatever
//! the worker does, every case of every job ends up recorded:
//!
//! - a case that runs past its wall-clock limit (a hung kernel): the worker is killed, the
//!   case is recorded as `timeout` with its kernel and variant, and a new worker goes on
//!   with the next case;
//! - a worker that dies (signal, fault) in a case: `crashed`, with the exit status; a worker
//!   that dies while loading a module: every case of that job `crashed`;
//! - a worker that exits because its context is unusable ([`EXIT_STICKY`], after reporting
//!   the case that broke it): a new worker goes on with the next case;
//! - a protocol line that does not decode: the case is `crashed` with the line, the worker
//!   is killed, and a new one goes on;
//! - library chatter on stdout (no protocol marker): passed on to stderr.
//!
//! How a worker is started is a closure, so all of this is tested with real processes that
//! play a worker's part, on machines without a GPU.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::protocol::{decode, KernelJob, Line, Message, EXIT_STICKY};
use super::RunError;
use crate::results::schema::{CaseResult, Status};
use crate::workload::CaseInfo;

/// Wall-clock limits of a worker.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To start (open the GPU) and to load one module (a PTX variant's JIT included).
    pub load: Duration,
    /// Added to a case's sampling budget: building inputs, the CPU reference, the check.
    pub case_slack: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            load: Duration::from_secs(120),
            case_slack: Duration::from_secs(60),
        }
    }
}

/// A job and its cases, as the parent planned them.
#[derive(Debug, Clone)]
pub struct JobPlan {
    pub job: KernelJob,
    pub cases: Vec<CaseInfo>,
    pub variant_flags: Vec<String>,
}

impl JobPlan {
    /// The record of a case that never reported.
    pub fn unreported(&self, case: usize, status: Status, error: String) -> CaseResult {
        let mut r = match self.cases.get(case) {
            Some(info) => super::case_record(&self.job, &self.variant_flags, info),
            None => CaseResult {
                variant: self.job.variant.clone(),
                variant_flags: self.variant_flags.clone(),
                kernel: self.job.kernel.clone(),
                case: format!("#{case}"),
                predicted: self.job.predicted.clone(),
                prediction: self.job.prediction.clone(),
                ..CaseResult::default()
            },
        };
        r.error = Some(error);
        r.status = Some(status);
        r
    }
}

enum Read {
    Line(String),
    Eof,
}

struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Read>,
    started: bool,
}

impl Running {
    fn kill(mut self) -> Option<ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

/// Where a job stands while its worker runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum InFlight {
    Nothing,
    Load,
    Case(usize),
}

/// Runs jobs on workers it starts as needed.
pub struct Pool<S> {
    spawn: S,
    limits: Limits,
    worker: Option<Running>,
    /// Workers that failed to start in a row (a GPU nobody can open): after two, jobs are
    /// recorded as errors without trying again.
    failed_starts: u32,
    last_start_error: Option<String>,
}

impl<S: FnMut() -> std::io::Result<Child>> Pool<S> {
    pub fn new(spawn: S, limits: Limits) -> Self {
        Self {
            spawn,
            limits,
            worker: None,
            failed_starts: 0,
            last_start_error: None,
        }
    }

    fn start(&mut self) -> Result<Running, String> {
        let mut child = (self.spawn)().map_err(|e| format!("cannot start a worker: {e}"))?;
        let stdin = child.stdin.take();
        let out = child
            .stdout
            .take()
            .ok_or("the worker's stdout is not piped")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(Read::Line(l)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(Read::Eof);
        });
        Ok(Running {
            child,
            stdin,
            rx,
            started: false,
        })
    }

    /// Runs every case of `plan` from `plan.job.first_case`, handing each finished (or
    /// failed) case to `on_case`, in case order.
    pub fn run_job(
        &mut self,
        plan: &JobPlan,
        on_case: &mut dyn FnMut(CaseResult) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let mut first = plan.job.first_case;
        let n = plan.cases.len();
        let mut done: BTreeSet<usize> = BTreeSet::new();
        while first < n {
            if self.failed_starts >= 2 {
                let why = self
                    .last_start_error
                    .clone()
                    .unwrap_or_else(|| "workers fail to start".into());
                for c in first..n {
                    on_case(plan.unreported(c, Status::Error, format!("not run: {why}")))?;
                }
                return Ok(());
            }
            match self.attempt(plan, first, &mut done, on_case)? {
                Attempt::Finished => return Ok(()),
                Attempt::ResumeAt(c) => first = c,
            }
        }
        Ok(())
    }

    /// One worker's go at a job from case `first`.
    fn attempt(
        &mut self,
        plan: &JobPlan,
        first: usize,
        done: &mut BTreeSet<usize>,
        on_case: &mut dyn FnMut(CaseResult) -> Result<(), RunError>,
    ) -> Result<Attempt, RunError> {
        let mut w = match self.worker.take() {
            Some(w) => w,
            None => match self.start() {
                Ok(w) => w,
                Err(e) => {
                    self.start_failed(e.clone());
                    for c in first..plan.cases.len() {
                        on_case(plan.unreported(c, Status::Error, e.clone()))?;
                    }
                    return Ok(Attempt::Finished);
                }
            },
        };
        let mut job = plan.job.clone();
        job.first_case = first;
        let line = serde_json::to_string(&job).map_err(|e| RunError::Protocol(e.to_string()))?;
        // A worker that is gone already says so on its stdout's end, read below.
        if let Some(s) = w.stdin.as_mut() {
            let _ = writeln!(s, "{line}").and_then(|_| s.flush());
        }
        let mut go = Go {
            plan,
            first,
            done,
            on_case,
            in_flight: InFlight::Nothing,
            deadline: Instant::now() + self.limits.load,
            case_limit: Duration::from_secs_f64(job.rule.timeout_s.clamp(0.0, 1e6))
                + self.limits.case_slack,
            last_fatal: None,
        };
        loop {
            let wait = go.deadline.saturating_duration_since(Instant::now());
            let line = match w.rx.recv_timeout(wait) {
                Ok(Read::Line(l)) => l,
                Err(RecvTimeoutError::Timeout) => return self.timed_out(w, &mut go),
                Ok(Read::Eof) | Err(RecvTimeoutError::Disconnected) => {
                    return self.exited(w, &mut go)
                }
            };
            let msg = match decode(&line) {
                Ok(Line::Chatter(c)) => {
                    eprintln!("worker: {c}");
                    continue;
                }
                Ok(Line::Message(m)) => m,
                Err(e) => {
                    w.kill();
                    return go.undecodable(e.to_string());
                }
            };
            if self.take(&mut w, msg, &mut go)? {
                self.worker = Some(w);
                return Ok(Attempt::Finished);
            }
        }
    }

    /// A worker that did not start (or did not say it had): counted, so that jobs stop
    /// trying after two in a row.
    fn start_failed(&mut self, why: String) {
        self.failed_starts += 1;
        self.last_start_error = Some(why);
    }

    /// Takes one message of the worker `w` into `go`; whether the worker ended the job.
    fn take(&mut self, w: &mut Running, msg: Message, go: &mut Go) -> Result<bool, RunError> {
        match msg {
            Message::Device(_) => {
                w.started = true;
                self.failed_starts = 0;
            }
            Message::Ceilings(_) => {}
            Message::TaskStart { .. } => {
                go.in_flight = InFlight::Load;
                go.deadline = Instant::now() + self.limits.load;
            }
            Message::CaseStart { case, .. } => {
                go.in_flight = InFlight::Case(case);
                go.deadline = Instant::now() + go.case_limit;
            }
            Message::Case(r) => {
                let c = go.current();
                (go.on_case)(*r)?;
                go.done.insert(c);
                go.in_flight = InFlight::Nothing;
                go.deadline = Instant::now() + self.limits.load;
            }
            Message::TaskEnd { .. } => {
                // Cases the worker skipped without a word are not silently lost.
                for c in go.first..go.plan.cases.len() {
                    if !go.done.contains(&c) {
                        go.report(
                            c,
                            Status::Crashed,
                            "the worker ended the job without reporting this case".into(),
                        )?;
                        go.done.insert(c);
                    }
                }
                return Ok(true);
            }
            Message::Fatal { error } => {
                go.last_fatal = Some(error);
            }
        }
        Ok(false)
    }

    /// The watchdog: the worker `w` said nothing before the deadline. Kill, record, go on
    /// with the next case.
    fn timed_out(&mut self, w: Running, go: &mut Go) -> Result<Attempt, RunError> {
        let limit = match go.in_flight {
            InFlight::Case(_) => go.case_limit,
            _ => self.limits.load,
        };
        let started = w.started;
        w.kill();
        if !started {
            self.start_failed(format!(
                "the worker did not start within {:.0} s",
                limit.as_secs_f64()
            ));
        }
        let why = |what: &str| {
            format!(
                "{what} did not finish within {:.0} s: the worker was killed (kernel `{}`, variant `{}`)",
                limit.as_secs_f64(),
                go.plan.job.kernel,
                go.plan.job.variant
            )
        };
        Ok(match go.in_flight {
            InFlight::Case(c) => {
                let text = why("the case");
                go.lose(c, Status::Timeout, text)?
            }
            InFlight::Nothing if started && !go.done.is_empty() => {
                Attempt::ResumeAt(go.next_after(go.first))
            }
            InFlight::Load | InFlight::Nothing => {
                let what = if started {
                    "loading the module"
                } else {
                    "starting the worker"
                };
                let text = why(what);
                go.record_rest(Status::Timeout, text)?;
                Attempt::Finished
            }
        })
    }

    /// The worker `w` closed its stdout: it exited (or is about to).
    fn exited(&mut self, mut w: Running, go: &mut Go) -> Result<Attempt, RunError> {
        let status = w.child.wait().ok();
        let code = status.and_then(|s| s.code());
        let said = status.map_or_else(|| "unknown".into(), describe);
        let fatal = go.last_fatal.clone();
        let why = |what: &str| {
            let mut m = format!("the worker {what}: {said}");
            if let Some(f) = &fatal {
                m.push_str(&format!(" ({f})"));
            }
            m
        };
        if !w.started {
            self.start_failed(why("did not start"));
        }
        Ok(match go.in_flight {
            InFlight::Case(c) => go.lose(c, Status::Crashed, why("died in this case"))?,
            InFlight::Nothing if code == Some(EXIT_STICKY) => {
                Attempt::ResumeAt(go.next_after(go.first))
            }
            InFlight::Nothing if w.started && !go.done.is_empty() => {
                // Died between cases: go on with the next one.
                Attempt::ResumeAt(go.next_after(go.first))
            }
            _ => {
                // A worker that said why it stopped (a job it cannot run: a variant or
                // image not in the build) is an error with that reason, not a crash.
                let (status, text) = match (&fatal, w.started) {
                    (Some(f), _) => (Status::Error, f.clone()),
                    (None, true) => (Status::Crashed, why("died loading the module")),
                    (None, false) => (Status::Error, why("could not start")),
                };
                go.record_rest(status, text)?;
                Attempt::Finished
            }
        })
    }

    /// Closes the worker's stdin and waits for it to exit (killing it after `grace`).
    pub fn finish(&mut self, grace: Duration) {
        if let Some(mut w) = self.worker.take() {
            drop(w.stdin.take());
            let until = Instant::now() + grace;
            loop {
                match w.child.try_wait() {
                    Ok(Some(_)) => return,
                    Ok(None) if Instant::now() < until => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    _ => {
                        w.kill();
                        return;
                    }
                }
            }
        }
    }
}

impl<S> Drop for Pool<S> {
    fn drop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.kill();
        }
    }
}

/// One worker's go at a job from case `first`: where the job stands, and where its cases go.
struct Go<'a> {
    plan: &'a JobPlan,
    first: usize,
    /// The cases recorded so far (by every go at the job).
    done: &'a mut BTreeSet<usize>,
    on_case: &'a mut dyn FnMut(CaseResult) -> Result<(), RunError>,
    in_flight: InFlight,
    /// When the worker must have said something next.
    deadline: Instant,
    /// How long a case may run: its sampling budget and the slack.
    case_limit: Duration,
    /// What the worker last said was fatal.
    last_fatal: Option<String>,
}

impl Go<'_> {
    /// The first case from `from` on that is not recorded yet (the case count when none).
    fn next_after(&self, from: usize) -> usize {
        let n = self.plan.cases.len();
        (from..n).find(|c| !self.done.contains(c)).unwrap_or(n)
    }

    /// The case the worker is in, or the next one to run.
    fn current(&self) -> usize {
        match self.in_flight {
            InFlight::Case(c) => c,
            _ => self.next_after(self.first),
        }
    }

    /// Records case `c` as never reported, for `error`.
    fn report(&mut self, c: usize, status: Status, error: String) -> Result<(), RunError> {
        (self.on_case)(self.plan.unreported(c, status, error))
    }

    /// Records case `c` as lost for `error`; the next go resumes after it.
    fn lose(&mut self, c: usize, status: Status, error: String) -> Result<Attempt, RunError> {
        self.report(c, status, error)?;
        self.done.insert(c);
        Ok(Attempt::ResumeAt(self.next_after(c + 1)))
    }

    /// Records every case not recorded yet as lost for `error`.
    fn record_rest(&mut self, status: Status, error: String) -> Result<(), RunError> {
        for c in self.next_after(self.first)..self.plan.cases.len() {
            if !self.done.contains(&c) {
                self.report(c, status, error.clone())?;
            }
        }
        Ok(())
    }

    /// A line that does not decode: the case in flight (or the next one) is lost with
    /// `error`; the next go resumes after it.
    fn undecodable(&mut self, error: String) -> Result<Attempt, RunError> {
        let c = self.current();
        if c < self.plan.cases.len() {
            self.report(c, Status::Crashed, error)?;
            self.done.insert(c);
        }
        Ok(Attempt::ResumeAt(self.next_after(c + 1)))
    }
}

enum Attempt {
    Finished,
    ResumeAt(usize),
}

/// `exit code 3` / `killed by signal 11 (SIGSEGV)`.
fn describe(s: ExitStatus) -> String {
    if let Some(c) = s.code() {
        return format!("exit code {c}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("killed by signal {sig}{name}");
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::StopRule;
    use std::process::{Command, Stdio};

    /// A bash process playing a worker: for each job line it reads, it plays `plan[i]` for
    /// each case `i` from the job's `first_case`: `ok`, `hang`, `segv`, `garbage`, `sticky`
    /// (report an error, exit 7), `chatter`, `nan` (a failed case with ∞ error).
    const FAKE_WORKER: &str = r#"
        say() { printf '@archbench %s\n' "$1"; }
        case_json() { printf '{"type":"case","variant":"v","variant_flags":[],"kernel":"k","case":"c%s","bytes":1,"flops":1,"image":null,"predicted":null,"prediction_matches":null,"correctness":%s,"timing":null,"throughput":null,"load_ms":null,"error":%s,"status":"%s"}' "$1" "$2" "$3" "$4"; }
        [ "$START" = fail ] && exit 4
        [ "$START" = hang ] && exec sleep 100
        say '{"type":"device","name":"fake","capability":"9.0","sm_count":1,"sm_clock_mhz":1,"mem_clock_mhz":1,"mem_bus_bits":1,"l2_bytes":1,"memory_bytes":1,"driver_cuda_version":13000,"driver_release":null}'
        read -ra plan <<< "$PLAN"
        while read -r job; do
            [[ $job =~ \"first_case\":([0-9]+) ]] && first=${BASH_REMATCH[1]}
            [[ $job =~ \"task\":([0-9]+) ]] && task=${BASH_REMATCH[1]}
            say "{\"type\":\"task-start\",\"task\":$task}"
            [ "$LOAD" = hang ] && exec sleep 100
            [ "$LOAD" = segv ] && kill -SEGV $$
            for ((i = first; i < ${#plan[@]}; i++)); do
                say "{\"type\":\"case-start\",\"task\":$task,\"case\":$i}"
                case ${plan[$i]} in
                    ok) say "$(case_json $i null null ok)" ;;
                    chatter) echo "some library says hello"; say "$(case_json $i null null ok)" ;;
                    hang) exec sleep 100 ;;
                    segv) kill -SEGV $$ ;;
                    garbage) say '{"type":"case","variant":' ;;
                    sticky) say "$(case_json $i null '"illegal address"' error)"; exit 7 ;;
                    nan) say "$(case_json $i '{"passed":false,"seed":1,"mismatches":1,"max_abs_err":"inf","detail":"NaN"}' null failed)" ;;
                esac
            done
            say "{\"type\":\"task-end\",\"task\":$task}"
        done
    "#;

    fn plan(n: usize) -> JobPlan {
        JobPlan {
            job: KernelJob {
                forced: None,
                image: "k.cu".into(),
                cases: (0..n).collect(),
                task: 0,
                variant: "pkgsForCudaArch.sm_90".into(),
                kernel: "softmax".into(),
                first_case: 0,
                rule: StopRule {
                    timeout_s: 0.0,
                    ..StopRule::quick()
                },
                predicted: None,
                prediction: None,
                prediction_loads: Some(true),
            },
            cases: (0..n)
                .map(|i| CaseInfo {
                    label: format!("c{i}"),
                    implementation: None,
                    axes: Vec::new(),
                    image: "k.cu".into(),
                    bytes: 1,
                    flops: 1,
                    error: None,
                    unchecked: None,
                })
                .collect(),
            variant_flags: vec![],
        }
    }

    /// Runs the jobs on fake workers; returns (case labels and statuses, errors, spawns).
    fn play(
        cases: &str,
        env: &[(&str, &str)],
        jobs: usize,
    ) -> (Vec<(String, Status)>, Vec<String>, u32) {
        let spawns = std::cell::Cell::new(0);
        let limits = Limits {
            load: Duration::from_millis(1500),
            case_slack: Duration::from_millis(700),
        };
        let mut pool = Pool::new(
            || {
                spawns.set(spawns.get() + 1);
                Command::new("bash")
                    .arg("-c")
                    .arg(FAKE_WORKER)
                    .env("PLAN", cases)
                    .envs(env.iter().copied())
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
            },
            limits,
        );
        let mut got = Vec::new();
        let mut errors = Vec::new();
        let p = plan(cases.split_whitespace().count());
        for _ in 0..jobs {
            pool.run_job(&p, &mut |r| {
                if let Some(e) = &r.error {
                    errors.push(e.clone());
                }
                got.push((r.case.clone(), r.outcome()));
                Ok(())
            })
            .unwrap();
        }
        pool.finish(Duration::from_secs(2));
        (got, errors, spawns.get())
    }

    fn statuses(got: &[(String, Status)]) -> Vec<&'static str> {
        got.iter().map(|(_, s)| s.as_str()).collect()
    }

    #[test]
    fn one_worker_runs_job_after_job() {
        let (got, _, spawns) = play("ok chatter ok", &[], 2);
        assert_eq!(statuses(&got), ["ok"; 6]);
        assert_eq!(got[1].0, "c1");
        assert_eq!(spawns, 1);
    }

    #[test]
    fn a_hung_case_times_out_and_the_rest_still_run() {
        let t = Instant::now();
        let (got, errors, spawns) = play("ok hang ok", &[], 1);
        assert_eq!(statuses(&got), ["ok", "timeout", "ok"]);
        assert!(errors[0].contains("did not finish within") && errors[0].contains("softmax"));
        assert!(errors[0].contains("pkgsForCudaArch.sm_90"), "{}", errors[0]);
        assert_eq!(spawns, 2);
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn crashes_garbage_and_sticky_errors_lose_only_their_case() {
        let (got, errors, spawns) = play("segv ok garbage sticky ok", &[], 1);
        assert_eq!(statuses(&got), ["crashed", "ok", "crashed", "error", "ok"]);
        assert!(errors[0].contains("SIGSEGV"), "{}", errors[0]);
        assert!(errors[1].contains("undecodable"), "{}", errors[1]);
        assert_eq!(errors[2], "illegal address");
        assert_eq!(spawns, 4);
    }

    #[test]
    fn non_finite_errors_arrive_as_failures() {
        let (got, _, _) = play("nan ok", &[], 1);
        assert_eq!(statuses(&got), ["failed", "ok"]);
    }

    #[test]
    fn module_load_hangs_and_crashes_record_every_case() {
        let (got, errors, _) = play("ok ok", &[("LOAD", "hang")], 1);
        assert_eq!(statuses(&got), ["timeout", "timeout"]);
        assert!(errors[0].contains("loading the module"), "{}", errors[0]);
        let (got, errors, _) = play("ok ok", &[("LOAD", "segv")], 1);
        assert_eq!(statuses(&got), ["crashed", "crashed"]);
        assert!(
            errors[0].contains("died loading the module"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn workers_that_cannot_start_are_not_retried_forever() {
        let (got, errors, spawns) = play("ok ok", &[("START", "fail")], 3);
        assert_eq!(statuses(&got), ["error"; 6]);
        assert!(errors[0].contains("could not start") && errors[0].contains("exit code 4"));
        assert!(errors[5].starts_with("not run:"), "{}", errors[5]);
        assert_eq!(spawns, 2);
        let (got, errors, _) = play("ok", &[("START", "hang")], 1);
        assert_eq!(statuses(&got), ["timeout"]);
        assert!(errors[0].contains("starting the worker"), "{}", errors[0]);
    }
}
