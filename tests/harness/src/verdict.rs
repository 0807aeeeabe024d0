//! The verdict of one run, decided line by line as the serial log arrives.

use std::fmt;

/// The line a system prints once it has booted and its own checks passed.
pub const READY_MARKER: &str = "*** system ready ***";

/// Lines that mean the run failed, and what to call the failure.
const FAILURE_MARKERS: &[(&str, &str)] = &[
    ("Caught ", "the kernel reported an unhandled fault"),
    ("seL4 called fail", "the kernel failed"),
    ("seL4 failed assertion", "a kernel assertion failed"),
    ("panicked at", "a Rust component panicked"),
    ("loader: error:", "the loader refused the image"),
    ("monitor: error:", "the monitor refused the system"),
    ("bench: error:", "a benchmark could not run"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    /// A test suite printed its final `N passed, N failed` line.
    SuiteDone { passed: u32, failed: u32 },
    Failed { reason: &'static str, line: String },
    TimedOut,
    /// The log ended (QEMU exited) before a verdict.
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
            Verdict::TimedOut => write!(f, "timed out before the system reported ready"),
            Verdict::Truncated => write!(f, "output ended before the system reported ready"),
        }
    }
}

/// Watches log lines; the first failure or the ready marker decides.
#[derive(Debug, Default)]
pub struct Judge {
    verdict: Option<Verdict>,
}

impl Judge {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line; returns the verdict once it is decided.
    pub fn feed(&mut self, line: &str) -> Option<&Verdict> {
        if self.verdict.is_none() {
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some((_, reason)) = FAILURE_MARKERS.iter().find(|(m, _)| line.contains(m)) {
                self.verdict = Some(Verdict::Failed { reason, line: line.to_string() });
            } else if line.contains(READY_MARKER) {
                self.verdict = Some(Verdict::Ready);
            } else if let Some((passed, failed)) = parse_summary(line) {
                self.verdict = Some(Verdict::SuiteDone { passed, failed });
            }
        }
        self.verdict.as_ref()
    }

    /// The verdict when the log stops: `ended_by_timeout` tells why it stopped.
    pub fn finish(self, ended_by_timeout: bool) -> Verdict {
        self.verdict.unwrap_or(if ended_by_timeout { Verdict::TimedOut } else { Verdict::Truncated })
    }
}

/// Reads a suite's closing line, exactly `N passed, N failed`.
pub fn parse_summary(line: &str) -> Option<(u32, u32)> {
    let (passed, failed) = line.trim().split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// Judges a complete recorded log.
pub fn judge_log(log: &str) -> Verdict {
    let mut judge = Judge::new();
    for line in log.lines() {
        if judge.feed(line).is_some() {
            break;
        }
    }
    judge.finish(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> String {
        let path = format!("{}/logs/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn good_boot_is_ready() {
        assert_eq!(judge_log(&recorded("boot-ok.log")), Verdict::Ready);
    }

    #[test]
    fn kernel_fault_fails() {
        let v = judge_log(&recorded("root-task-fault.log"));
        assert!(matches!(&v, Verdict::Failed { reason, .. } if reason.contains("unhandled fault")), "{v}");
    }

    #[test]
    fn panic_fails() {
        let v = judge_log(&recorded("root-task-panic.log"));
        assert!(matches!(&v, Verdict::Failed { reason, .. } if reason.contains("panicked")), "{v}");
    }

    #[test]
    fn loader_refusal_fails() {
        let v = judge_log(&recorded("loader-refused.log"));
        assert!(matches!(&v, Verdict::Failed { reason, .. } if reason.contains("loader refused")), "{v}");
    }

    #[test]
    fn monitor_refusal_and_bench_error_fail() {
        let v = judge_log("monitor: error: system spec refused: spec version 99 is not the supported version 1\n");
        assert!(matches!(&v, Verdict::Failed { reason, .. } if reason.contains("monitor refused")), "{v}");
        let v = judge_log("bench: error: pp_call to the echo PD was refused\n*** system ready ***\n");
        assert!(matches!(&v, Verdict::Failed { reason, .. } if reason.contains("benchmark")), "{v}");
    }

    #[test]
    fn truncated_log_is_not_a_pass() {
        assert_eq!(judge_log(&recorded("boot-truncated.log")), Verdict::Truncated);
    }

    #[test]
    fn failure_before_ready_wins() {
        let log = "Caught vm fault on data at address 0x0\n*** system ready ***\n";
        assert!(!judge_log(log).passed());
    }

    #[test]
    fn suite_summary_decides() {
        assert!(judge_log(&recorded("suite-pass.log")).passed());
        assert_eq!(judge_log(&recorded("suite-fail.log")), Verdict::SuiteDone { passed: 0, failed: 2 });
        assert!(!judge_log("Running suite kernel: 0 tests\n0 passed, 0 failed\n").passed());
        assert_eq!(parse_summary("test result: ok. 6 passed; 0 failed"), None);
    }

    #[test]
    fn timeout_without_marker() {
        let mut judge = Judge::new();
        assert!(judge.feed("Bootstrapping kernel").is_none());
        assert_eq!(judge.finish(true), Verdict::TimedOut);
    }
}
