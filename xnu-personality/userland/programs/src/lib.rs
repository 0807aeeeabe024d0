//! Shared by the programs: small parsing helpers, and the sel4test-style
//! suite runner of the test programs (xnutest, exclavetest, buftest).
#![no_std]

pub mod store;

use libsystem::abi::wait;
use libsystem::{bsd, println};

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
    run_each(name, tests, |_, run| run())
}

/// The same, each test in a task of its own (`program case TEST`, which
/// `run_case` answers), so that what a test leaves in its task (handles, a
/// buffer's mapping) goes with it. The task prints why its test failed.
pub fn run_suite_in_tasks(name: &str, program: &str, tests: &[Test]) -> i32 {
    run_each(name, tests, |test, _| {
        let status = spawn_wait(program, &[program, "case", test])?;
        match (wait::is_exited(status), wait::exit_code(status)) {
            (true, 0) => Ok(()),
            (true, _) => Err("its task failed it (the line above says why)"),
            (false, _) => Err("its task was killed"),
        }
    })
}

/// Runs `program` with `args` (argv, from argv[0]) to its end: its wait status.
pub fn spawn_wait(program: &str, args: &[&str]) -> Result<u32, &'static str> {
    let pid = bsd::posix_spawn(program, args, None).map_err(|_| "a spawn failed")?;
    let (_, status) = bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
    Ok(status)
}

/// In a test's own task: runs test `name` of `tests`; the exit code.
pub fn run_case(tests: &[Test], name: &str) -> i32 {
    match tests.iter().find(|(test, _)| *test == name) {
        Some((_, run)) => match run() {
            Ok(()) => 0,
            Err(why) => {
                println!("{name}: {why}");
                1
            }
        },
        None => {
            println!("no test {name}");
            2
        }
    }
}

fn run_each(name: &str, tests: &[Test], run: impl Fn(&str, fn() -> Outcome) -> Outcome) -> i32 {
    println!("Running suite {name}: {} tests", tests.len());
    let mut failed = 0;
    for (i, (test, f)) in tests.iter().enumerate() {
        println!("Starting test {}: {test}", i + 1);
        match run(test, *f) {
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
