//! Test outcomes and the assertions that produce them. A failure carries a
//! message and the file:line of the check that failed. Messages live in a
//! fixed buffer: test threads never touch the heap (its lock is not safe
//! across threads of different priorities).

use core::fmt::{self, Write};
use core::panic::Location;

pub type Message = heapless::String<256>;

#[derive(Debug, Clone)]
pub struct Failure {
    pub message: Message,
    pub location: &'static Location<'static>,
}

pub type TestResult = Result<(), Failure>;

impl Failure {
    #[track_caller]
    pub fn new(args: fmt::Arguments<'_>) -> Self {
        let mut message = Message::new();
        // A message longer than the buffer is cut short, not lost.
        let _ = message.write_fmt(args);
        Failure { message, location: Location::caller() }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.message, self.location.file(), self.location.line())
    }
}

/// Turns an invocation error into a test failure that says what was attempted.
pub trait ResultExt<T> {
    fn or_fail(self, what: &str) -> Result<T, Failure>;
}

impl<T> ResultExt<T> for sel4::Result<T> {
    #[track_caller]
    fn or_fail(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format_args!("{what}: {e:?}")))
    }
}

/// Fails the test unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err($crate::Failure::new(format_args!("check failed: {}", stringify!($cond))));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::Failure::new(format_args!($($arg)+)));
        }
    };
}

/// Fails the test unless the two values are equal; prints both.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err($crate::Failure::new(format_args!(
                "expected {} == {}, got {:?} != {:?}",
                stringify!($left), stringify!($right), left, right
            )));
        }
    }};
}

/// Fails the test unless the invocation failed with exactly `err`.
#[macro_export]
macro_rules! check_err {
    ($result:expr, $err:expr $(,)?) => {{
        match $result {
            Err(e) if e == $err => {}
            other => {
                return Err($crate::Failure::new(format_args!(
                    "expected {} to fail with {:?}, got {:?}",
                    stringify!($result), $err, other.map(|_| ())
                )))
            }
        }
    }};
}
