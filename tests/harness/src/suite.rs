//! Per-test results of a sel4test-style suite, read from its log lines
//! (`Starting test N: NAME`, `Test NAME passed`, `Test NAME failed: why`),
//! and their JUnit XML form.

use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    /// Started but never finished: the run ended (timeout, crash) inside it.
    Unfinished(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Default)]
pub struct SuiteLog {
    records: Vec<TestRecord>,
    running: Option<String>,
}

impl SuiteLog {
    pub fn feed(&mut self, line: &str) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Starting test ") {
            if let Some((_, name)) = rest.split_once(": ") {
                self.running = Some(name.to_string());
            }
        } else if let Some(rest) = line.strip_prefix("Test ") {
            let (name, outcome) = if let Some(name) = rest.strip_suffix(" passed") {
                (name, Outcome::Passed)
            } else if let Some((name, why)) = rest.split_once(" failed: ") {
                (name, Outcome::Failed(why.to_string()))
            } else {
                return;
            };
            if !name.contains(' ') {
                self.running = None;
                self.records.push(TestRecord { name: name.to_string(), outcome });
            }
        }
    }

    /// The records, with the test that was running when the log ended (if
    /// any) marked unfinished for `why`.
    pub fn finish(mut self, why: &str) -> Vec<TestRecord> {
        if let Some(name) = self.running.take() {
            self.records.push(TestRecord { name, outcome: Outcome::Unfinished(why.to_string()) });
        }
        self.records
    }
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c if c.is_control() && c != '\n' && c != '\t' => String::new(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML for one suite. `run_error` names a failure of the whole run
/// (timeout, kernel fault, missing summary) even when every record passed.
pub fn junit(suite: &str, records: &[TestRecord], run_error: Option<&str>) -> String {
    let failures = records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_))).count();
    let errors = records.iter().filter(|r| matches!(r.outcome, Outcome::Unfinished(_))).count()
        + usize::from(run_error.is_some());
    let tests = records.len() + usize::from(run_error.is_some());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">",
        escape(suite)
    );
    for r in records {
        let name = escape(&r.name);
        match &r.outcome {
            Outcome::Passed => {
                let _ = writeln!(xml, "  <testcase classname=\"{}\" name=\"{name}\"/>", escape(suite));
            }
            Outcome::Failed(why) | Outcome::Unfinished(why) => {
                let tag = if matches!(r.outcome, Outcome::Failed(_)) { "failure" } else { "error" };
                let _ = writeln!(xml, "  <testcase classname=\"{}\" name=\"{name}\">", escape(suite));
                let _ = writeln!(xml, "    <{tag} message=\"{}\"/>", escape(why));
                let _ = writeln!(xml, "  </testcase>");
            }
        }
    }
    if let Some(why) = run_error {
        let _ = writeln!(xml, "  <testcase classname=\"{}\" name=\"run\">", escape(suite));
        let _ = writeln!(xml, "    <error message=\"{}\"/>", escape(why));
        let _ = writeln!(xml, "  </testcase>");
    }
    xml.push_str("</testsuite>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(log: &str, why: &str) -> Vec<TestRecord> {
        let mut s = SuiteLog::default();
        log.lines().for_each(|l| s.feed(l));
        s.finish(why)
    }

    #[test]
    fn reads_pass_and_fail_lines() {
        let log = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/logs/suite-fail.log")).unwrap();
        let r = records(&log, "timeout");
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|t| matches!(&t.outcome, Outcome::Failed(why) if !why.is_empty())), "{r:?}");
    }

    #[test]
    fn crash_mid_test_is_unfinished() {
        let r = records("Starting test 1: IPC0001\nTest IPC0001 passed\nStarting test 2: IPC0002\n", "timed out");
        assert_eq!(r[0].outcome, Outcome::Passed);
        assert_eq!(r[1], TestRecord { name: "IPC0002".into(), outcome: Outcome::Unfinished("timed out".into()) });
    }

    #[test]
    fn junit_counts_and_escapes() {
        let r = vec![
            TestRecord { name: "A0001".into(), outcome: Outcome::Passed },
            TestRecord { name: "A0002".into(), outcome: Outcome::Failed("x < y & \"z\"".into()) },
            TestRecord { name: "A0003".into(), outcome: Outcome::Unfinished("timeout".into()) },
        ];
        let xml = junit("kernel", &r, None);
        assert!(xml.contains("tests=\"3\" failures=\"1\" errors=\"1\""), "{xml}");
        assert!(xml.contains("message=\"x &lt; y &amp; &quot;z&quot;\""), "{xml}");
        let xml = junit("kernel", &r[..1], Some("kernel fault"));
        assert!(xml.contains("tests=\"2\" failures=\"0\" errors=\"1\""), "{xml}");
    }
}
