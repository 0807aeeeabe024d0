//! ATTACK0009 (judge, the child): runs after its parent tried to move it.
//! It must still run in its own address space (its own data reads back)
//! with its own IPC buffer.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{protection_domain, Handler};

/// In this program's data: another address space would not hold it here.
static MINE: [u64; 4] = [0x6d69_6e65_0001, 0x6d69_6e65_0002, 0x6d69_6e65_0003, 0x6d69_6e65_0004];

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    for (i, word) in MINE.iter().enumerate() {
        // SAFETY: a read of our own static, volatile so it really reads memory.
        let read = unsafe { core::ptr::read_volatile(word) };
        ensure(read == 0x6d69_6e65_0001 + i as u64, "our own data reads differently: another address space")?;
    }
    let buffer = sel4::with_ipc_buffer(|b| {
        b.msg[60] = 0x1bc;
        b.msg[60]
    });
    ensure(buffer == 0x1bc, "our IPC buffer is not ours")
}

fn init() -> Judge {
    judge!("ATTACK0009", "a parent cannot move its child into another CSpace or VSpace", check());
    Judge
}
