//! A sel4test-style test framework for root tasks.
//!
//! A test is one item: `test_case!(IPC0001, "description", body)` where
//! `body: fn(&mut Env) -> TestResult`. The macro places the test in a linker
//! section, so the driver finds every test without a hand-kept list.
//! `run_suite` runs the selected tests one by one, each in its own thread
//! built from a fresh untyped region (see `env`), prints sel4test-style lines
//! and a final `N passed, N failed`.
#![no_std]
// A `Failure` carries its message inline (test threads cannot allocate), so
// `Result<_, Failure>` is large by design.
#![allow(clippy::result_large_err)]

mod check;
mod console;
mod driver;
mod env;
mod filter;
mod registry;
mod thread;

pub use check::{Failure, ResultExt, TestResult};
pub use driver::run_suite;
pub use env::{Env, Frame, Process};
pub use registry::TestCase;
pub use thread::Thread;

#[doc(hidden)]
pub use sel4;
