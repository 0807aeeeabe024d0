//! launchd, pid 1: boots the exclaves (EXCLAVECORE, then EXCLAVEKIT),
//! starts the shell, starts it again when it exits, and reaps every task
//! that ends up its child.
#![no_std]
#![no_main]

use libsystem::{bsd, eprintln, exclaves, mach, println, Args};

libsystem::entry!(main);

fn main(_: Args) -> i32 {
    use libsystem::abi::exclaves::{STAGE_EXCLAVECORE, STAGE_EXCLAVEKIT};
    // A check at every boot that exclaves calls made before EXCLAVECORE
    // wait for it: while we sleep, one child looks echo up and another calls
    // hello at its id (the fast call, which XNU sends back as the trap);
    // then we boot.
    let early = bsd::posix_spawn("testchild", &["testchild", "exlookup", "echo"], None);
    let early_call = bsd::posix_spawn("testchild", &["testchild", "exhello", "1"], None);
    let _ = mach::sleep_ms(1);
    match exclaves::boot(STAGE_EXCLAVECORE).and_then(|()| exclaves::boot(STAGE_EXCLAVEKIT)) {
        Ok(()) => println!("launchd: exclaves booted (EXCLAVECORE, EXCLAVEKIT)"),
        Err(e) => eprintln!("launchd: exclaves boot failed: kern_return {:#x}", e.0),
    }
    // Exit 0 is echo's id: the lookup waited for the table (without the
    // wait it would have been KERN_NOT_SUPPORTED, 100 + 46).
    match early.map(|pid| bsd::wait4(pid as i64, 0)) {
        Ok(Ok((_, status))) if status == libsystem::abi::wait::exited(0) => {
            println!("launchd: a lookup made before EXCLAVECORE waited for it")
        }
        _ => eprintln!("launchd: a lookup made before EXCLAVECORE did not wait for it"),
    }
    match early_call.map(|pid| bsd::wait4(pid as i64, 0)) {
        Ok(Ok((_, status))) if status == libsystem::abi::wait::exited(0) => {
            println!("launchd: an ENDPOINT_CALL made before EXCLAVECORE waited for it")
        }
        _ => eprintln!("launchd: an ENDPOINT_CALL made before EXCLAVECORE did not wait for it"),
    }
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
