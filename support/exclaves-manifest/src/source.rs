//! A manifest file's text and the line of a byte offset in it.

use std::ops::Range;

use crate::error::{Error, Loc, Located, Rule};

pub struct Source {
    pub file: String,
    pub text: String,
    /// Byte offset of each line's start: a line is a binary search, not a
    /// rescan from the top (which made long manifests quadratic).
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(file: String, text: String) -> Source {
        let starts = text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1);
        let line_starts = std::iter::once(0).chain(starts).collect();
        Source { file, text, line_starts }
    }

    pub fn loc(&self, span: Range<usize>) -> Loc {
        let line = self.line_starts.partition_point(|&start| start <= span.start);
        Loc { file: self.file.clone(), line }
    }

    pub fn located<T: Clone>(&self, spanned: &toml::Spanned<T>) -> Located<T> {
        Located { value: spanned.get_ref().clone(), loc: self.loc(spanned.span()) }
    }

    pub fn error(&self, span: Range<usize>, rule: Rule) -> Error {
        Error { loc: self.loc(span), rule }
    }

    /// Deserializes the whole file; a syntax or shape error keeps toml's
    /// message and gets the line it points at.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        toml::from_str(&self.text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            self.error(e.span().unwrap_or(0..0), Rule::Toml(message))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_their_lines() {
        let s = Source::new("f.toml".to_string(), "a\nbc\n\nd".to_string());
        let lines: Vec<usize> = (0..=7).map(|i| s.loc(i..i).line).collect();
        assert_eq!(lines, [1, 1, 2, 2, 2, 3, 4, 4]);
        assert_eq!(s.loc(99..99).line, 4, "past the end: the last line");
    }
}
