//! A client's bytes become lines here, before the serial driver prints
//! them with the client's name. The bytes are untrusted, so:
//!
//! - a line ends at `\n`; `\r` is dropped (so `\r\n` works and no client
//!   can return the cursor over the name in front of its line);
//! - every other byte outside printable ASCII (and tab) shows as `?`, so
//!   no escape sequence reaches the terminal;
//! - a line of [`MAX_LINE`] bytes is broken there, and a `\n` right after
//!   such a break ends nothing (no empty line).
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
