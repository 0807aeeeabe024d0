//! Where tests are declared and found.
//!
//! `test_case!` puts a `TestCase` into the `sel4_test_cases` linker section;
//! the linker's `__start_`/`__stop_` symbols bound the section (the suite's
//! build passes `-z nostart-stop-gc` so the section survives GC).

use crate::{Env, TestResult};

pub struct TestCase {
    pub name: &'static str,
    pub description: &'static str,
    pub body: fn(&mut Env) -> TestResult,
    /// False for tests that must be asked for by exact name (e.g. the
    /// deliberately failing test that proves failures are reported).
    pub in_default_run: bool,
}

/// Declares a test: `test_case!(IPC0001, "one-line description", body_fn);`
/// Add `manual` after the body to keep it out of the default run.
#[macro_export]
macro_rules! test_case {
    ($name:ident, $description:expr, $body:path) => {
        $crate::test_case!(@declare $name, $description, $body, true);
    };
    ($name:ident, $description:expr, $body:path, manual) => {
        $crate::test_case!(@declare $name, $description, $body, false);
    };
    (@declare $name:ident, $description:expr, $body:path, $default:expr) => {
        #[used]
        #[link_section = "sel4_test_cases"]
        static $name: $crate::TestCase = $crate::TestCase {
            name: stringify!($name),
            description: $description,
            body: $body,
            in_default_run: $default,
        };
    };
}

// Only the addresses of these symbols are used.
extern "C" {
    static __start_sel4_test_cases: u8;
    static __stop_sel4_test_cases: u8;
}

/// Every test linked into this program, in link order.
pub fn all() -> &'static [TestCase] {
    // SAFETY: the linker places the section's `TestCase` statics contiguously
    // between these two symbols, each properly aligned (same type, same section).
    unsafe {
        let start = core::ptr::addr_of!(__start_sel4_test_cases).cast::<TestCase>();
        let stop = core::ptr::addr_of!(__stop_sel4_test_cases).cast::<TestCase>();
        let len = (stop as usize - start as usize) / core::mem::size_of::<TestCase>();
        core::slice::from_raw_parts(start, len)
    }
}
