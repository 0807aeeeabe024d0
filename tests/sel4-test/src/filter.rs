//! Test selection: comma-separated patterns where `*` matches any run of
//! characters (`IPC*`, `CNODE0001,RETYPE*`). Tests outside the default run
//! are selected only by a pattern without wildcards that names them exactly.

use crate::TestCase;

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else { return false };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

pub fn selects(filter: Option<&str>, case: &TestCase) -> bool {
    match filter {
        None => case.in_default_run,
        Some(filter) => filter.split(',').map(str::trim).any(|p| {
            if case.in_default_run { glob(p, case.name) } else { p == case.name }
        }),
    }
}
