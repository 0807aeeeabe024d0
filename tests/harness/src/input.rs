//! Typing into the guest's serial console: `--send-after MARKER TEXT` steps,
//! run in order. A step types its TEXT once its MARKER appears after the
//! previous step's (the first step: anywhere). A line still being written
//! counts as it grows, so a shell's prompt, which no newline ends, can be a
//! marker; what one step matched is never matched again.
//!
//! TEXT takes the escapes `\n`, `\r`, `\t`, `\\` and `\xNN`. The harness
//! types one byte every [`KEY_INTERVAL`] (`--type-interval MS` to change
//! it), as a fast typist would, so input arrives over many interrupts.
//! QEMU's PL011 takes a byte only when its FIFO has room, so no pace
//! overflows the FIFO; a fast one can overflow what the guest buffers.

use std::time::Duration;

/// Time between two typed bytes, by default.
pub const KEY_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub marker: String,
    pub text: Vec<u8>,
}

impl Step {
    /// A step from its two arguments; TEXT's escapes are decoded.
    pub fn parse(marker: &str, text: &str) -> Result<Step, String> {
        if marker.is_empty() {
            return Err("--send-after needs a non-empty MARKER".into());
        }
        Ok(Step { marker: marker.to_string(), text: unescape(text)? })
    }
}

/// Decodes `\n`, `\r`, `\t`, `\\` and `\xNN`; any other backslash is an error.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let decoded = match bytes.next() {
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'\\') => b'\\',
            Some(b'x') => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                std::str::from_utf8(&hex)
                    .ok()
                    .filter(|h| h.len() == 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("'\\x' needs two hex digits in '{text}'"))?
            }
            Some(other) => return Err(format!("unknown escape '\\{}' in '{text}'", other as char)),
            None => return Err(format!("'{text}' ends in a lone backslash")),
        };
        out.push(decoded);
    }
    Ok(out)
}

/// The steps still to type.
#[derive(Debug, Clone, Default)]
pub struct Script {
    steps: Vec<Step>,
    next: usize,
    /// Bytes of the line being written that a step already matched.
    used: usize,
}

impl Script {
    pub fn new(steps: Vec<Step>) -> Self {
        Script { steps, next: 0, used: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// What the next step waits for, or `None` once all are typed.
    pub fn waiting_for(&self) -> Option<&str> {
        self.steps.get(self.next).map(|s| s.marker.as_str())
    }

    /// Feeds one whole guest line; returns the text to type if it releases
    /// the next step. One line releases at most one step.
    pub fn feed(&mut self, line: &str) -> Option<&[u8]> {
        let released = self.matches(line);
        self.used = 0;
        released.map(|i| self.steps[i].text.as_slice())
    }

    /// Feeds the line being written so far (it grows until its newline,
    /// which `feed` then gets whole).
    pub fn feed_partial(&mut self, line: &str) -> Option<&[u8]> {
        self.matches(line).map(|i| self.steps[i].text.as_slice())
    }

    /// The step `line` releases, past what earlier steps used of it.
    fn matches(&mut self, line: &str) -> Option<usize> {
        let rest = line.get(self.used..)?;
        let step = self.steps.get(self.next)?;
        let at = rest.find(step.marker.as_str())?;
        self.used += at + step.marker.len();
        self.next += 1;
        Some(self.next - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_and_bad_ones_are_refused() {
        assert_eq!(unescape(r"hi\n").unwrap(), b"hi\n");
        assert_eq!(unescape(r"a\r\tb\\c\x1b\x7F").unwrap(), b"a\r\tb\\c\x1b\x7f");
        assert_eq!(unescape("plain").unwrap(), b"plain");
        assert!(unescape(r"\q").unwrap_err().contains(r"\q"));
        assert!(unescape(r"end\").unwrap_err().contains("lone backslash"));
        assert!(unescape(r"\x4").unwrap_err().contains("two hex digits"));
        assert!(unescape(r"\xzz").unwrap_err().contains("two hex digits"));
    }

    #[test]
    fn steps_run_in_order_each_on_a_later_line() {
        let steps = vec![Step::parse("ready", r"one\n").unwrap(), Step::parse("got: one", r"two\n").unwrap()];
        let mut script = Script::new(steps);
        assert_eq!(script.waiting_for(), Some("ready"));
        // The second step's marker does not count before the first step ran.
        assert_eq!(script.feed("got: one"), None);
        assert_eq!(script.feed("echo: ready for input"), Some(&b"one\n"[..]));
        assert_eq!(script.waiting_for(), Some("got: one"));
        assert_eq!(script.feed("echo: ready for input"), None);
        assert_eq!(script.feed("echo: got: one"), Some(&b"two\n"[..]));
        assert_eq!(script.waiting_for(), None);
        assert_eq!(script.feed("echo: got: one"), None);
    }

    #[test]
    fn one_line_releases_one_step() {
        let mut script = Script::new(vec![Step::parse("x", "1").unwrap(), Step::parse("x", "2").unwrap()]);
        assert_eq!(script.feed("x"), Some(&b"1"[..]));
        assert_eq!(script.waiting_for(), Some("x"));
        assert_eq!(script.feed("x again"), Some(&b"2"[..]));
    }

    #[test]
    fn a_prompt_counts_before_its_line_ends_and_only_once() {
        let steps = vec![Step::parse("$ ", r"help\n").unwrap(), Step::parse("$ ", r"ps\n").unwrap()];
        let mut script = Script::new(steps);
        assert_eq!(script.feed_partial("xnu: xnu"), None);
        assert_eq!(script.feed_partial("xnu: xnu$ "), Some(&b"help\n"[..]));
        // The echo completes the prompt's line: the prompt it holds was used.
        assert_eq!(script.feed_partial("xnu: xnu$ he"), None);
        assert_eq!(script.feed("xnu: xnu$ help"), None);
        assert_eq!(script.feed("xnu: builtins: ..."), None);
        assert_eq!(script.feed_partial("xnu: xnu$ "), Some(&b"ps\n"[..]));
        assert_eq!(script.waiting_for(), None);
    }

    #[test]
    fn an_empty_marker_is_refused() {
        assert!(Step::parse("", "x").is_err());
    }
}
