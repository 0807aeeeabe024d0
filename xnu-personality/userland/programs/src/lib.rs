//! Shared by the programs: small parsing helpers, and the sel4test-style
//! suite runner of the test programs (xnutest, exclavetest).
#![no_std]

use libsystem::println;

/// What a test returns: `Err(why)` fails it.
pub type Outcome = Result<(), &'static str>;
/// A test: its name and its function.
pub type Test = (&'static str, fn() -> Outcome);

/// `return Err(why)` unless `cond`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $why:expr) => {
        if !$cond {
            return Err($why);
        }
    };
}

/// Runs `tests` as suite `name`, printing the lines the harness counts
/// (`Running suite`, `Starting test`, `Test … passed|failed: why`, the
/// summary and `*** suite finished ***`); the number that failed.
pub fn run_suite(name: &str, tests: &[Test]) -> i32 {
    println!("Running suite {name}: {} tests", tests.len());
    let mut failed = 0;
    for (i, (test, run)) in tests.iter().enumerate() {
        println!("Starting test {}: {test}", i + 1);
        match run() {
            Ok(()) => println!("Test {test} passed"),
            Err(why) => {
                failed += 1;
                println!("Test {test} failed: {why}");
            }
        }
    }
    println!("{} passed, {} failed", tests.len() - failed, failed);
    println!("*** suite finished ***");
    failed as i32
}

/// A decimal number (with an optional leading '-').
pub fn parse_i64(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(if neg { -v } else { v })
}
