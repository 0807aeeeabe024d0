//! The XNU suite's large program: 64 KiB of constants (more than
//! testchild's), so a testchild run in the same slot after it shows
//! whether XNU cleared what it loaded. Exits with a checksum's low byte.
#![no_std]
#![no_main]

use libsystem::Args;

libsystem::entry!(main);

const fn table() -> [u64; 8192] {
    let mut t = [0u64; 8192];
    let mut i = 0;
    while i < t.len() {
        t[i] = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        i += 1;
    }
    t
}

static TABLE: [u64; 8192] = table();

fn main(_: Args) -> i32 {
    let sum = TABLE.iter().fold(0u64, |a, &v| a ^ core::hint::black_box(v));
    (sum & 0x7f) as i32
}
