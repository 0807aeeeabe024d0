//! A client's bytes become lines here, before the serial driver prints
//! them with the client's name. The bytes are untrusted, so:
//!
//! - a line ends at `\n`; `\r` is dropped (so `\r\n` works and no client
//!   can return the cursor over the name in front of its line);
//! - every other byte outside printable ASCII (and tab) shows as `?`, so
//!   no escape sequence reaches the terminal;
//! - a line of [`MAX_LINE`] bytes is broken there, and a `\n` right after
//!   such a break ends nothing (no empty line).
//!
//! The console's input owner (a shell's terminal) cannot wait for whole
//! lines: a prompt and the echo of each typed key must show at once. Its
//! bytes go through a [`Terminal`] instead, under the same rules, plus a
//! backspace that never reaches back into its name.
#![no_std]

/// Longest line the driver prints for a client before breaking it.
pub const MAX_LINE: usize = 160;

#[derive(Debug, Clone)]
pub struct LineBuffer {
    bytes: [u8; MAX_LINE],
    len: usize,
    /// The last line ended by being full, not by a newline.
    broke: bool,
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer { bytes: [0; MAX_LINE], len: 0, broke: false }
    }
}

impl LineBuffer {
    /// Takes one byte; true when that completes a line, which [`line`](Self::line)
    /// then holds until [`clear`](Self::clear). Pushing into a full line
    /// (not cleared) loses the byte and reports the line complete again.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.len == MAX_LINE {
            return true;
        }
        let broke = core::mem::take(&mut self.broke);
        match byte {
            b'\n' => !broke || self.len > 0,
            b'\r' => false,
            _ => {
                let shown = if byte == b'\t' || (0x20..0x7f).contains(&byte) { byte } else { b'?' };
                self.bytes[self.len] = shown;
                self.len += 1;
                self.broke = self.len == MAX_LINE;
                self.broke
            }
        }
    }

    pub fn line(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Empties the buffer after its line was printed (keeps whether it broke).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

/// The input owner's output, printed as it comes. Each of its lines
/// starts with its name; a line another client prints in between first
/// ends the owner's open line, and the owner's next byte starts a new one.
#[derive(Debug, Default, Clone)]
pub struct Terminal {
    /// Bytes shown on the owner's open line after its name.
    column: usize,
    /// The name was printed and the line not ended.
    open: bool,
}

/// Backspace: moves the cursor back one column.
const BACKSPACE: u8 = 0x08;

impl Terminal {
    /// Prints `byte` of the client `name` through `out`.
    pub fn push(&mut self, name: &str, byte: u8, out: &mut impl FnMut(u8)) {
        match byte {
            b'\r' => {}
            b'\n' => {
                self.open_line(name, out);
                self.end(out);
            }
            // Never further back than what this line showed: the name
            // before it stays as printed.
            BACKSPACE => {
                if self.open && self.column > 0 {
                    out(BACKSPACE);
                    self.column -= 1;
                }
            }
            _ => {
                if self.column == MAX_LINE {
                    self.end(out);
                }
                self.open_line(name, out);
                out(if (0x20..0x7f).contains(&byte) { byte } else { b'?' });
                self.column += 1;
            }
        }
    }

    /// Another client's line is about to print: end an open line first.
    pub fn interrupt(&mut self, out: &mut impl FnMut(u8)) {
        if self.open {
            self.end(out);
        }
    }

    fn open_line(&mut self, name: &str, out: &mut impl FnMut(u8)) {
        if !self.open {
            name.bytes().chain(*b": ").for_each(&mut *out);
            self.open = true;
        }
    }

    fn end(&mut self, out: &mut impl FnMut(u8)) {
        out(b'\r');
        out(b'\n');
        self.open = false;
        self.column = 0;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Every line `bytes` completes, and what is left held.
    fn lines(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut buffer = LineBuffer::default();
        let mut done = Vec::new();
        for &b in bytes {
            if buffer.push(b) {
                done.push(buffer.line().to_vec());
                buffer.clear();
            }
        }
        (done, buffer.line().to_vec())
    }

    /// What a terminal prints for `bytes` of client `t`, with `other`
    /// lines of another client printed at the given byte indexes.
    fn terminal(bytes: &[u8], other_at: &[usize]) -> Vec<u8> {
        let mut t = Terminal::default();
        let mut out = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if other_at.contains(&i) {
                t.interrupt(&mut |b| out.push(b));
                out.extend_from_slice(b"o: other\r\n");
            }
            t.push("t", b, &mut |b| out.push(b));
        }
        out
    }

    #[test]
    fn a_terminal_shows_bytes_at_once_under_its_name() {
        assert_eq!(terminal(b"xnu$ ", &[]), b"t: xnu$ ");
        assert_eq!(terminal(b"ab\ncd", &[]), b"t: ab\r\nt: cd");
        assert_eq!(terminal(b"\n", &[]), b"t: \r\n");
        assert_eq!(terminal(b"a\x1b[2J\x7f", &[]), b"t: a?[2J?");
    }

    #[test]
    fn a_terminal_backspace_stops_at_its_name() {
        assert_eq!(terminal(b"ab\x08\x08\x08\x08c", &[]), b"t: ab\x08\x08c");
        assert_eq!(terminal(b"\x08x", &[]), b"t: x");
        // After another client's line, the owner's new line has nothing to rub out.
        assert_eq!(terminal(b"ab\x08", &[2]), b"t: ab\r\no: other\r\n");
    }

    #[test]
    fn another_line_ends_the_terminal_line_first() {
        assert_eq!(terminal(b"xnu$ ls", &[5]), b"t: xnu$ \r\no: other\r\nt: ls");
        // Nothing open: nothing to end.
        assert_eq!(terminal(b"a\nb", &[2]), b"t: a\r\no: other\r\nt: b");
    }

    #[test]
    fn a_long_terminal_line_breaks_at_max_line() {
        let out = terminal(&[b'x'; MAX_LINE + 1], &[]);
        let mut expected = b"t: ".to_vec();
        expected.extend_from_slice(&[b'x'; MAX_LINE]);
        expected.extend_from_slice(b"\r\nt: x");
        assert_eq!(out, expected);
    }

    #[test]
    fn a_newline_ends_a_line_and_the_rest_is_held() {
        assert_eq!(lines(b"one\ntwo\nthr"), (vec![b"one".to_vec(), b"two".to_vec()], b"thr".to_vec()));
        assert_eq!(lines(b"\n"), (vec![Vec::new()], Vec::new()));
    }

    #[test]
    fn carriage_returns_vanish_and_control_bytes_show_as_question_marks() {
        assert_eq!(lines(b"a\r\n").0, vec![b"a".to_vec()]);
        assert_eq!(lines(b"junk\ralpha: x\n").0, vec![b"junkalpha: x".to_vec()]);
        assert_eq!(lines(b"\x1b[2K\x08\x7f\xff\tok\n").0, vec![b"?[2K???\tok".to_vec()]);
    }

    #[test]
    fn a_full_line_not_cleared_stays_complete_and_does_not_overflow() {
        let mut buffer = LineBuffer::default();
        assert!((0..MAX_LINE).map(|_| buffer.push(b'a')).last().unwrap());
        assert!(buffer.push(b'b'));
        assert_eq!(buffer.line(), &[b'a'; MAX_LINE][..]);
    }

    #[test]
    fn a_long_line_breaks_at_max_line_without_an_empty_line_after() {
        let mut input = vec![b'x'; MAX_LINE * 2];
        input.push(b'\n');
        let (done, held) = lines(&input);
        assert_eq!(done, vec![vec![b'x'; MAX_LINE], vec![b'x'; MAX_LINE]]);
        assert!(held.is_empty());
        // One byte more, and it is a line of its own.
        let mut input = vec![b'y'; MAX_LINE + 1];
        input.push(b'\n');
        assert_eq!(lines(&input).0, vec![vec![b'y'; MAX_LINE], b"y".to_vec()]);
        // A newline after a break, then another: the second is an empty line.
        let mut input = vec![b'z'; MAX_LINE];
        input.extend_from_slice(b"\n\n");
        assert_eq!(lines(&input).0, vec![vec![b'z'; MAX_LINE], Vec::new()]);
    }
}
