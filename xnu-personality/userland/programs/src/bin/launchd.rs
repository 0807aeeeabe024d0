//! launchd, pid 1: starts the shell, starts it again when it exits, and
//! reaps every task that ends up its child.
#![no_std]
#![no_main]

use libsystem::{bsd, eprintln, println, Args};

libsystem::entry!(main);

fn main(_: Args) -> i32 {
    println!("launchd: starting sh");
    loop {
        let shell = match bsd::posix_spawn("sh", &["sh"], None) {
            Ok(pid) => pid,
            Err(e) => {
                eprintln!("launchd: cannot start sh: errno {}", e.0);
                return 1;
            }
        };
        // Reap until the shell itself ends, then start another.
        loop {
            match bsd::wait4(-1, 0) {
                Ok((pid, _)) if pid == shell => break,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("launchd: wait4: errno {}", e.0);
                    return 1;
                }
            }
        }
        println!("launchd: sh exited; starting another");
    }
}
