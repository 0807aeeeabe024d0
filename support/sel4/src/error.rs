//! Errors returned by invocations: the kernel's `seL4_Error`, generated from
//! `errors.h`. `Error::NoError` never appears inside an `Err`.

use crate::Word;

pub use crate::generated::ErrorCode as Error;

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// Interprets the label of an invocation's reply.
    pub(crate) fn check(label: Word) -> Result<()> {
        match Error::from_word(label) {
            Some(Error::NoError) => Ok(()),
            Some(err) => Err(err),
            // The kernel only sends seL4_Error values; anything else means the
            // bindings and the kernel disagree, which `make` prevents.
            None => Err(Error::IllegalOperation),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}
