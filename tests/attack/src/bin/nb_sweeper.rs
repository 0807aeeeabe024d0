//! ATTACK0013 (attacker): a compromised XNU that tries to reach an exclave
//! it was not granted: a non-blocking send on every slot of its CSpace, which
//! is a signal on a notification cap and a message on an endpoint cap (a
//! send on an empty slot is silently lost, so the sweep runs to the end; a
//! blocking one would stop it at the first). Whatever it reaches, the sentinel sees.
#![no_std]
#![no_main]

use monitor_spec::abi::slot;
use sel4::cap_type::Endpoint;
use sel4::{Cap, MessageInfo};
use sel4_microkit::{debug_println, protection_domain, Handler};

protection_domain!(init);

/// A send on its fault endpoint is a forged fault of its own (ATTACK0007's
/// case), after which the monitor stops it: the sweep leaves it out.
const SKIP: u64 = slot::FAULT_EP;

struct Sweeper;
impl Handler for Sweeper {}

fn init() -> Sweeper {
    for s in (0..1u64 << slot::CNODE_BITS).filter(|&s| s != SKIP) {
        Cap::<Endpoint>::from_bits(s).nb_send(MessageInfo::new(0, 0, 0, 0));
    }
    debug_println!("nb-sweeper: sent on every slot");
    Sweeper
}
