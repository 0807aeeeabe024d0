//! The one error type of the crate. Every variant that comes from a file
//! names the file and line so a kernel or config change is easy to locate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A syntax or semantic problem at a known place in an input file.
    #[error("{file}:{line}: {msg}")]
    Syntax {
        file: String,
        line: usize,
        msg: String,
    },

    /// The XML parser rejected a file.
    #[error("{file}:{line}:{col}: malformed XML: {msg}")]
    Xml {
        file: String,
        line: u32,
        col: u32,
        msg: String,
    },

    /// A `#if`/`condition=` expression that could not be evaluated.
    #[error("condition `{expr}`: {msg}")]
    Condition { expr: String, msg: String },

    /// Kernel files that parse but cannot be turned into bindings (name clashes, unsupported forms).
    #[error("{0}")]
    Generate(String),

    /// A method parameter whose type the generator has no rule for.
    #[error("{file}:{line}: unknown type `{ty}` of parameter `{param}` in method `{method}`")]
    UnknownType {
        file: String,
        line: usize,
        ty: String,
        param: String,
        method: String,
    },
}

impl Error {
    pub(crate) fn syntax(file: &str, line: usize, msg: impl Into<String>) -> Self {
        Error::Syntax {
            file: file.to_string(),
            line,
            msg: msg.into(),
        }
    }

    /// Gives a location-less condition error the place it came from.
    pub(crate) fn at(self, file: &str, line: usize) -> Self {
        match self {
            Error::Condition { expr, msg } => {
                Error::syntax(file, line, format!("condition `{expr}`: {msg}"))
            }
            other => other,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
