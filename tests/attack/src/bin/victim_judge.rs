//! ATTACK0007 (judge): runs after the forger. It reports that it ran; that
//! no fault of its own was reported, only the forger's, is for the harness
//! to see in the monitor's sealed lines.
#![no_std]
#![no_main]

use attack_pds::judge;
use sel4_microkit::{protection_domain, Handler};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn init() -> Judge {
    judge!("ATTACK0007", "a forged fault message is taken as the forger's own fault, and nobody else's", Ok::<(), &str>(()));
    Judge
}
