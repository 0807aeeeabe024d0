//! A manifest file's text and the line of a byte offset in it.

use std::ops::Range;

use crate::error::{Error, Loc, Located, Rule};

pub struct Source {
    pub file: String,
    pub text: String,
}

impl Source {
    pub fn loc(&self, span: Range<usize>) -> Loc {
        let end = span.start.min(self.text.len());
        let line = self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1;
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
