//! The verdict of one run, decided over the whole serial log.
//!
//! A run ends at an end marker (a whole line: the monitor's or a root task's
//! `*** system ready ***`, or the test driver's `*** suite finished ***`), at
//! a failure, at a timeout, or when QEMU exits. Only then is the log judged,
//! so nothing printed before the end can be missed:
//!
//! - any failure line fails the run, unless an expected line (`--expect`)
//!   covers it;
//! - every expected line must have appeared; an expected whole line
//!   (`--expect-line`) must appear as a line of its own, and a forbidden
//!   whole line (`--forbid-line`) fails the run;
//! - every suite a program announces (`Running suite NAME: N tests`) must
//!   close with a summary `P passed, F failed` where P + F = N and P and F
//!   equal the `Test X passed` and `Test X failed: why` lines it printed;
//! - a suite run (`Expectations::suite`) must run at least one suite, and
//!   passes only when no test failed.
//!
//! A run that types into the console (`Expectations::typed`) does not end at
//! the end marker: it reads on until the typing is over, every expected
//! line has appeared and no suite is open (or a failure, or the timeout).
//!
//! With a seal (`Expectations::seal`), only lines that end with
//! ` [seal TOKEN]` count for the end marker, expected lines and suites: a
//! build-time token that only the monitor and the judging PDs were built
//! with, so a line's origin is known even when a PD under test prints
//! anything. Unsealed lines can still fail the run, never pass it.

use std::fmt;

/// The whole line a system prints once it has booted and its checks ran.
pub const READY_MARKER: &str = "*** system ready ***";
/// The whole line the test driver prints after its summary.
pub const SUITE_END_MARKER: &str = "*** suite finished ***";

/// Lines that mean the run failed (matched anywhere in the line), and what
/// to call the failure.
const FAILURE_MARKERS: &[(&str, &str)] = &[
    ("Caught ", "the kernel reported an unhandled fault"),
    ("seL4 called fail", "the kernel failed"),
    ("seL4 failed assertion", "a kernel assertion failed"),
    ("panicked at", "a Rust component panicked"),
    ("loader: error:", "the loader refused the image"),
    ("monitor: error:", "the monitor refused the system"),
    ("bench: error:", "a benchmark could not run"),
];

/// The monitor's report of a PD fault: `monitor: PD 'name' faulted: ...`.
const PD_FAULT_PREFIX: &str = "monitor: PD '";
const PD_FAULT_INFIX: &str = "' faulted: ";

fn failure_reason(line: &str) -> Option<&'static str> {
    if let Some(rest) = line.strip_prefix(PD_FAULT_PREFIX) {
        if rest.contains(PD_FAULT_INFIX) {
            return Some("a protection domain faulted");
        }
    }
    FAILURE_MARKERS.iter().find(|(m, _)| line.contains(m)).map(|&(_, reason)| reason)
}

/// What a run must show besides the absence of failures.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Text each of which must appear in some line before the end; a line
    /// containing one is not a failure (a system that faults on purpose).
    pub lines: Vec<String>,
    /// The run is a test suite: it must run at least one suite.
    pub suite: bool,
    /// The token trusted lines end with (as ` [seal TOKEN]`), if any.
    pub seal: Option<String>,
    /// The serial driver's name trusted lines start with (as `NAME: `), if
    /// any: the driver names a line by the channel it came on, so a suite
    /// a PD runs counts only when that PD's channel carried it.
    pub origin: Option<String>,
    /// Lines that must appear whole (equal to a line, not inside one).
    pub whole_lines: Vec<String>,
    /// Lines that fail the run if one appears whole.
    pub forbidden_lines: Vec<String>,
    /// The harness types into the console: see [`Judge::waiting_for`].
    pub typed: bool,
    /// More whole lines that end the run as the end markers do (a system
    /// whose monitor cannot print, on a release kernel).
    pub end_lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Reached the end with every check met, and no suite ran.
    Ready,
    /// Reached the end; the suites' summaries add up to these counts.
    SuiteDone { passed: u32, failed: u32 },
    Failed { reason: &'static str, line: String },
    /// An expected line never appeared.
    Missing(String),
    /// Input was still to be typed after a line that never appeared.
    InputStalled(String),
    /// The suite lines do not add up (announced, printed and summarised
    /// counts differ, a suite never finished, or none ran).
    SuiteBroken(String),
    TimedOut,
    /// The log ended (QEMU exited) before an end marker.
    Truncated,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        match *self {
            Verdict::Ready => true,
            Verdict::SuiteDone { passed, failed } => failed == 0 && passed > 0,
            _ => false,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ready => write!(f, "system reported ready"),
            Verdict::SuiteDone { passed, failed } if *passed == 0 && *failed == 0 => {
                write!(f, "the suite ran no test")
            }
            Verdict::SuiteDone { passed, failed } => write!(f, "suite finished: {passed} passed, {failed} failed"),
            Verdict::Failed { reason, line } => write!(f, "{reason}: {line}"),
            Verdict::Missing(text) => write!(f, "an expected line never appeared: '{text}'"),
            Verdict::InputStalled(marker) => write!(f, "input was to be typed after a line with '{marker}', which never appeared"),
            Verdict::SuiteBroken(why) => write!(f, "the suite's results do not add up: {why}"),
            Verdict::TimedOut => write!(f, "timed out before the system reported ready"),
            Verdict::Truncated => write!(f, "output ended before the system reported ready"),
        }
    }
}

/// What feeding a line tells the reader of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Running,
    /// An end marker (and, for a typed run, all typed and seen): stop reading.
    Ended,
    /// A failure: the run has failed, whatever comes next.
    Failed,
}

/// Why reading stopped before an end marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Ended,
    TimedOut,
    Exited,
}

/// A suite announced and not yet closed by its summary.
#[derive(Debug)]
struct OpenSuite {
    name: String,
    announced: u32,
    passed: u32,
    failed: u32,
}

/// Reads a log line by line and judges it once reading stops.
#[derive(Debug)]
pub struct Judge {
    expect: Expectations,
    seen: Vec<bool>,
    failure: Option<(&'static str, String)>,
    broken: Option<String>,
    open: Option<OpenSuite>,
    suites: u32,
    passed: u32,
    failed: u32,
    ended: bool,
    whole_seen: Vec<bool>,
    /// For a typed run: the line the next input waits for, if any is left.
    input_waits_for: Option<String>,
}

impl Judge {
    pub fn new(expect: Expectations) -> Self {
        let seen = vec![false; expect.lines.len()];
        let whole_seen = vec![false; expect.whole_lines.len()];
        Judge {
            expect,
            seen,
            failure: None,
            broken: None,
            open: None,
            suites: 0,
            passed: 0,
            failed: 0,
            ended: false,
            whole_seen,
            input_waits_for: None,
        }
    }

    /// For a typed run: the marker the next input step waits for, or `None`
    /// once everything is typed.
    pub fn waiting_for(&mut self, marker: Option<&str>) {
        self.input_waits_for = marker.map(str::to_string);
    }

    /// Whether reading can stop: the end marker was seen, and for a typed
    /// run everything is typed, every expected line seen and no suite open.
    pub fn finished(&self) -> bool {
        self.ended
            && (!self.expect.typed
                || (self.input_waits_for.is_none()
                    && self.open.is_none()
                    && self.seen.iter().chain(&self.whole_seen).all(|&s| s)))
    }

    /// `line` without its seal and origin if it is trusted (sealed, and
    /// from the origin, where either is asked for).
    pub fn trusted<'l>(&self, line: &'l str) -> Option<&'l str> {
        let line = line.trim_end_matches(['\r', '\n']);
        let line = match &self.expect.seal {
            None => line,
            Some(token) => line.strip_suffix("]")?.strip_suffix(token.as_str())?.strip_suffix(" [seal ")?,
        };
        match &self.expect.origin {
            None => Some(line),
            Some(name) => line.strip_prefix(name.as_str())?.strip_prefix(": "),
        }
    }

    pub fn feed(&mut self, line: &str) -> Progress {
        if self.finished() {
            return Progress::Ended;
        }
        let (line, trusted) = match self.trusted(line) {
            Some(text) => (text, true),
            None => (line.trim_end_matches(['\r', '\n']), false),
        };
        let mut expected = false;
        for (text, seen) in self.expect.lines.iter().zip(self.seen.iter_mut()).filter(|_| trusted) {
            if line.contains(text.as_str()) {
                *seen = true;
                expected = true;
            }
        }
        for (text, seen) in self.expect.whole_lines.iter().zip(self.whole_seen.iter_mut()).filter(|_| trusted) {
            *seen |= line == text;
        }
        if self.failure.is_none() && self.expect.forbidden_lines.iter().any(|text| line == text) {
            self.failure = Some(("a forbidden line appeared", line.to_string()));
        }
        if !expected && self.failure.is_none() {
            if let Some(reason) = failure_reason(line) {
                self.failure = Some((reason, line.to_string()));
            }
        }
        if !trusted {
            return if self.failure.is_some() { Progress::Failed } else { Progress::Running };
        }
        self.suite_line(line);
        if line == READY_MARKER || line == SUITE_END_MARKER || self.expect.end_lines.iter().any(|l| l == line) {
            self.ended = true;
        }
        if self.finished() {
            Progress::Ended
        } else if self.failure.is_some() {
            Progress::Failed
        } else {
            Progress::Running
        }
    }

    fn suite_line(&mut self, line: &str) {
        let problem = if let Some((name, announced)) = parse_announcement(line) {
            let problem = self.open.as_ref().map(|o| format!("suite {name} started before suite {} finished", o.name));
            self.open = Some(OpenSuite { name: name.to_string(), announced, passed: 0, failed: 0 });
            problem
        } else if let Some(passed) = parse_result(line) {
            match self.open.as_mut() {
                Some(open) => {
                    *if passed { &mut open.passed } else { &mut open.failed } += 1;
                    None
                }
                None => Some(format!("a test result outside any suite: '{line}'")),
            }
        } else if let Some((passed, failed)) = parse_summary(line) {
            match self.open.take() {
                None => Some(format!("a summary '{line}' with no suite announced")),
                Some(open) => {
                    self.suites += 1;
                    self.passed += passed;
                    self.failed += failed;
                    let adds_up = passed == open.passed
                        && failed == open.failed
                        && u64::from(passed) + u64::from(failed) == u64::from(open.announced);
                    (!adds_up).then(|| {
                        format!(
                            "suite {} announced {} tests and printed {} passed and {} failed, but its summary says '{line}'",
                            open.name, open.announced, open.passed, open.failed
                        )
                    })
                }
            }
        } else {
            None
        };
        if self.broken.is_none() {
            self.broken = problem;
        }
    }

    /// The verdict over everything fed, once reading stopped for `stop`.
    pub fn finish(self, stop: Stop) -> Verdict {
        if let Some((reason, line)) = self.failure {
            return Verdict::Failed { reason, line };
        }
        match stop {
            _ if self.ended => {}
            Stop::TimedOut => return Verdict::TimedOut,
            Stop::Ended | Stop::Exited => return Verdict::Truncated,
        }
        if let Some(open) = self.open {
            return Verdict::SuiteBroken(format!("suite {} did not print its summary", open.name));
        }
        if let Some(why) = self.broken {
            return Verdict::SuiteBroken(why);
        }
        if let Some(marker) = self.input_waits_for {
            return Verdict::InputStalled(marker);
        }
        let expected = self.expect.lines.iter().zip(&self.seen);
        if let Some((text, _)) = expected.chain(self.expect.whole_lines.iter().zip(&self.whole_seen)).find(|(_, seen)| !**seen) {
            return Verdict::Missing(text.clone());
        }
        if self.suites > 0 {
            Verdict::SuiteDone { passed: self.passed, failed: self.failed }
        } else if self.expect.suite {
            Verdict::SuiteBroken("no suite ran".into())
        } else {
            Verdict::Ready
        }
    }
}

/// Reads a suite's closing line, exactly `N passed, N failed`.
pub fn parse_summary(line: &str) -> Option<(u32, u32)> {
    let (passed, failed) = line.split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((parse_count(passed)?, parse_count(failed)?))
}

/// `Running suite NAME: N tests...`: the suite's name and announced count.
fn parse_announcement(line: &str) -> Option<(&str, u32)> {
    let (name, rest) = line.strip_prefix("Running suite ")?.split_once(": ")?;
    let (count, _) = rest.split_once(" tests")?;
    Some((name, parse_count(count)?))
}

/// `Test NAME passed` (true) or `Test NAME failed: why` (false).
fn parse_result(line: &str) -> Option<bool> {
    let rest = line.strip_prefix("Test ")?;
    let (name, passed) = match rest.strip_suffix(" passed") {
        Some(name) => (name, true),
        None => (rest.split_once(" failed: ")?.0, false),
    };
    (!name.is_empty() && !name.contains(' ')).then_some(passed)
}

fn parse_count(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// Judges a complete recorded log that ended (QEMU exited) after its last line.
pub fn judge_log(log: &str, expect: Expectations) -> Verdict {
    let mut judge = Judge::new(expect);
    for line in log.lines() {
        if judge.feed(line) == Progress::Ended {
            break;
        }
    }
    judge.finish(Stop::Exited)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> String {
        let path = format!("{}/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn system(log: &str) -> Verdict {
        judge_log(log, Expectations::default())
    }

    fn suite(log: &str) -> Verdict {
        judge_log(log, Expectations { suite: true, ..Default::default() })
    }

    fn failed_for(v: &Verdict, text: &str) -> bool {
        matches!(v, Verdict::Failed { reason, .. } if reason.contains(text))
    }

    #[test]
    fn good_boot_is_ready() {
        assert_eq!(system(&recorded("boot-ok.log")), Verdict::Ready);
    }

    #[test]
    fn kernel_fault_fails() {
        let v = system(&recorded("root-task-fault.log"));
        assert!(failed_for(&v, "unhandled fault"), "{v}");
    }

    #[test]
    fn panic_fails() {
        let v = system(&recorded("root-task-panic.log"));
        assert!(failed_for(&v, "panicked"), "{v}");
    }

    #[test]
    fn loader_refusal_fails() {
        let v = system(&recorded("loader-refused.log"));
        assert!(failed_for(&v, "loader refused"), "{v}");
    }

    #[test]
    fn monitor_refusal_and_bench_error_fail() {
        let v = system("monitor: error: system spec refused: spec version 99 is not the supported version 1\n");
        assert!(failed_for(&v, "monitor refused"), "{v}");
        let v = system("bench: error: pp_call to the echo PD was refused\n*** system ready ***\n");
        assert!(failed_for(&v, "benchmark"), "{v}");
    }

    #[test]
    fn truncated_log_is_not_a_pass() {
        assert_eq!(system(&recorded("boot-truncated.log")), Verdict::Truncated);
    }

    #[test]
    fn failure_before_ready_wins() {
        let log = "Caught vm fault on data at address 0x0\n*** system ready ***\n";
        assert!(!system(log).passed());
    }

    #[test]
    fn suite_summary_decides() {
        assert_eq!(suite(&recorded("suite-pass.log")).passed(), true, "{}", suite(&recorded("suite-pass.log")));
        assert_eq!(suite(&recorded("suite-fail.log")), Verdict::SuiteDone { passed: 0, failed: 2 });
        let none = "Running suite kernel: 0 tests\n0 passed, 0 failed\n*** suite finished ***\n";
        assert!(!suite(none).passed());
        assert_eq!(parse_summary("test result: ok. 6 passed; 0 failed"), None);
    }

    #[test]
    fn timeout_without_marker() {
        let mut judge = Judge::new(Expectations::default());
        assert_eq!(judge.feed("Bootstrapping kernel"), Progress::Running);
        assert_eq!(judge.finish(Stop::TimedOut), Verdict::TimedOut);
    }

    // The holes a review found in the first harness: each must fail.

    #[test]
    fn a_pd_fault_fails_a_system_that_does_not_expect_it() {
        let log = recorded("pd-fault-unexpected.log");
        let v = system(&log);
        assert!(failed_for(&v, "protection domain faulted"), "{v}");
        // The same log passes only when the system declares that fault.
        let fault = "monitor: PD 'faulter' faulted: vm fault on data write at address 0x4000000";
        let expect = Expectations { lines: vec![fault.into()], ..Default::default() };
        assert_eq!(judge_log(&log, expect), Verdict::Ready);
        // Declaring one PD's fault does not excuse another's.
        let other = format!("{fault}\nmonitor: PD 'other' faulted: vm fault on data read at address 0x0\n*** system ready ***\n");
        let expect = Expectations { lines: vec![fault.into()], ..Default::default() };
        assert!(failed_for(&judge_log(&other, expect), "protection domain faulted"));
    }

    #[test]
    fn a_suite_that_stops_early_fails() {
        let v = suite(&recorded("suite-stopped-early.log"));
        assert!(matches!(v, Verdict::SuiteBroken(_)), "{v}");
    }

    #[test]
    fn a_summary_that_disagrees_with_the_results_fails() {
        let log = "Running suite k: 2 tests\nStarting test 1: A0001\nTest A0001 failed: x\n\
                   Starting test 2: A0002\nTest A0002 passed\n2 passed, 0 failed\n*** suite finished ***\n";
        assert!(matches!(suite(log), Verdict::SuiteBroken(_)), "{}", suite(log));
        let unannounced = "Test A0001 passed\n1 passed, 0 failed\n*** system ready ***\n";
        assert!(matches!(system(unannounced), Verdict::SuiteBroken(_)));
        let unfinished = "Running suite k: 1 tests\nStarting test 1: A0001\n*** system ready ***\n";
        assert!(matches!(system(unfinished), Verdict::SuiteBroken(_)));
    }

    #[test]
    fn ready_must_be_a_whole_line_and_is_not_a_suite_pass() {
        let quoted = "Test A0001 failed: expected '*** system ready ***'\n";
        assert_eq!(system(quoted), Verdict::Truncated);
        assert!(matches!(suite(&recorded("boot-ok.log")), Verdict::SuiteBroken(_)));
    }

    #[test]
    fn a_failure_after_a_passing_summary_is_seen() {
        let log = recorded("fault-after-pass.log");
        let v = suite(&log);
        assert!(failed_for(&v, "protection domain faulted"), "{v}");
    }

    #[test]
    fn an_end_line_ends_a_run_like_the_ready_marker() {
        let until = Expectations { end_lines: vec!["xnu: *** bench finished ***".into()], ..Default::default() };
        assert_eq!(judge_log("BENCH {}\nxnu: *** bench finished ***\n", until.clone()), Verdict::Ready);
        // Inside a longer line it is not the end.
        assert_eq!(judge_log("xnu: *** bench finished *** soon\n", until), Verdict::Truncated);
    }

    #[test]
    fn with_an_origin_only_its_lines_can_pass_a_run() {
        let from_xnu = Expectations { suite: true, origin: Some("xnu".into()), ..Default::default() };
        let judged = "xnu: Running suite xnu: 1 tests\nxnu: Starting test 1: X0001\nxnu: Test X0001 passed\n\
                      xnu: 1 passed, 0 failed\nxnu: *** suite finished ***\n";
        assert_eq!(judge_log(judged, from_xnu.clone()), Verdict::SuiteDone { passed: 1, failed: 0 });
        // The same lines from another channel, or from the kernel's console, count for nothing.
        let other = judged.replace("xnu: ", "timer: ");
        assert_eq!(judge_log(&other, from_xnu.clone()), Verdict::Truncated);
        let bare = judged.replace("xnu: ", "");
        assert_eq!(judge_log(&bare, from_xnu.clone()), Verdict::Truncated);
        // A failure from anywhere still fails it.
        let failing = format!("monitor: PD 'xnu' faulted: vm fault\n{judged}");
        assert!(!judge_log(&failing, from_xnu).passed());
    }

    #[test]
    fn with_a_seal_only_sealed_lines_can_pass_a_run() {
        let seal = |lines: &[&str]| Expectations { lines: lines.iter().map(|l| l.to_string()).collect(), suite: true, seal: Some("k3y".into()), ..Default::default() };
        let judged = "Running suite A0001: 1 tests [seal k3y]\nStarting test 1: A0001 [seal k3y]\nTest A0001 passed [seal k3y]\n\
                      1 passed, 0 failed [seal k3y]\n*** system ready *** [seal k3y]\n";
        assert_eq!(judge_log(judged, seal(&[])), Verdict::SuiteDone { passed: 1, failed: 0 });
        // A PD under test printing the judge's lines, unsealed or with another token, passes nothing.
        let forged = judged.replace("[seal k3y]", "").replace("*** system ready *** \n", "*** system ready *** [seal k3y]\n");
        assert!(matches!(judge_log(&forged, seal(&[])), Verdict::SuiteBroken(_)), "{}", judge_log(&forged, seal(&[])));
        let wrong = judged.replace("Test A0001 passed [seal k3y]", "Test A0001 passed [seal guess]");
        assert!(matches!(judge_log(&wrong, seal(&[])), Verdict::SuiteBroken(_)));
        // A forged ready line does not end the run; a forged expected line does not count.
        let early = format!("*** system ready ***\nmonitor: PD 'x' faulted: vm fault\n{judged}");
        assert!(!judge_log(&early, seal(&[])).passed());
        let claimed = format!("monitor: PD 'v' stopped\n{judged}");
        assert_eq!(judge_log(&claimed, seal(&["PD 'v' stopped"])), Verdict::Missing("PD 'v' stopped".into()));
        // An unsealed failure still fails the run.
        let failing = format!("panicked at x\n{judged}");
        assert!(!judge_log(&failing, seal(&[])).passed());
    }

    #[test]
    fn a_missing_expected_line_fails() {
        let expect = Expectations { lines: vec!["faulted: vm fault".into()], ..Default::default() };
        assert_eq!(judge_log(&recorded("boot-ok.log"), expect), Verdict::Missing("faulted: vm fault".into()));
    }

    /// MK0012's whole-line checks (tests/microkit/systems/mk0012-serial.xml).
    fn serial_names() -> Expectations {
        Expectations {
            whole_lines: vec!["alpha: hello from alpha".into(), "beta: alpha: I am alpha".into(), "alpha: part one, part two".into()],
            forbidden_lines: vec!["alpha: I am alpha".into()],
            ..Default::default()
        }
    }

    #[test]
    fn whole_lines_must_appear_whole_and_forbidden_ones_fail() {
        assert_eq!(judge_log(&recorded("serial-names.log"), serial_names()), Verdict::Ready);
        // The forged line under the name it claims (a driver that trusted the bytes).
        let v = judge_log(&recorded("serial-forged.log"), serial_names());
        assert_eq!(v, Verdict::Failed { reason: "a forbidden line appeared", line: "alpha: I am alpha".into() });
        // Inside a longer line is not whole: beta's line holds alpha's text but is not alpha's.
        let inside = Expectations { whole_lines: vec!["alpha: I am alpha".into()], ..Default::default() };
        assert_eq!(judge_log(&recorded("serial-names.log"), inside), Verdict::Missing("alpha: I am alpha".into()));
    }

    /// Replays `log` as the harness reads a run that types `steps`.
    fn typed_run(log: &str, lines: &[&str], steps: &[(&str, &str)]) -> Verdict {
        use crate::input::{Script, Step};
        let steps = steps.iter().map(|(m, t)| Step::parse(m, t).unwrap()).collect();
        let mut script = Script::new(steps);
        let whole_lines = lines.iter().map(|l| l.to_string()).collect();
        let mut judge = Judge::new(Expectations { whole_lines, typed: true, ..Default::default() });
        judge.waiting_for(script.waiting_for());
        for line in log.lines() {
            if script.feed(line).is_some() {
                judge.waiting_for(script.waiting_for());
            }
            if judge.feed(line) == Progress::Ended {
                return judge.finish(Stop::Ended);
            }
        }
        judge.finish(Stop::TimedOut)
    }

    const ECHO_STEPS: [(&str, &str); 2] = [("echo: ready for input", r"hello serial\n"), ("echo: got: hello serial", r"second line, typed\n")];
    const ECHOES: [&str; 2] = ["echo: got: hello serial", "echo: got: second line, typed"];

    #[test]
    fn a_typed_run_reads_past_ready_until_its_lines_appear() {
        // The echoes come after `*** system ready ***`: stopping there would miss them.
        assert_eq!(typed_run(&recorded("serial-input.log"), &ECHOES, &ECHO_STEPS), Verdict::Ready);
        let v = typed_run(&recorded("serial-input-no-echo.log"), &ECHOES, &ECHO_STEPS);
        assert_eq!(v, Verdict::Missing("echo: got: second line, typed".into()));
        // A marker that never shows leaves its input untyped, and says which.
        let v = typed_run(&recorded("serial-input.log"), &ECHOES, &[("echo: never", "x")]);
        assert_eq!(v, Verdict::InputStalled("echo: never".into()));
        // A failure still ends a typed run as failed.
        let faulted = format!("{}monitor: PD 'echo' faulted: vm fault\n", recorded("serial-input-no-echo.log"));
        assert!(failed_for(&typed_run(&faulted, &ECHOES, &ECHO_STEPS), "protection domain faulted"));
    }
}
