//! The smallest user program: prints its arguments and exits 0.
#![no_std]
#![no_main]

use libsystem::{bsd, println, Args};

libsystem::entry!(main);

fn main(args: Args) -> i32 {
    println!("hello from pid {}", bsd::getpid());
    for (i, a) in args.iter().enumerate().skip(1) {
        println!("argv[{i}] = {a}");
    }
    0
}
