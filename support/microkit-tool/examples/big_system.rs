//! Measures how long validating a full system (63 PDs, 62 channels each) takes.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let xml = common::big_system(63);
    let start = std::time::Instant::now();
    let outcome = common::run(&xml);
    let elapsed = start.elapsed();
    println!(
        "63 PDs, {} channels, {} maps: {} errors, validated in {elapsed:?}",
        outcome.system.channels.len(),
        63 * 63,
        outcome.errors.len()
    );
}
