//! ATTACK0019 (attacker): a compromised XNU asks the key service for its
//! device secret in every way the interface allows: every service and
//! method number with a payload, identities it is not allowed (the storage
//! exclave's among them) or malformed, headers out of protocol, calls with
//! labels and words. After each answer it lets the judge read its page.
#![no_std]
#![no_main]

use attack_pds::keys_probe::{probes, Probe, DONE, LOOK};
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MessageInfo};
use tightbeam_channel::{CALL_LABEL, PAGE_BYTES};

protection_domain!(init);

const KEYS: Channel = Channel::new(0);
const JUDGE: Channel = Channel::new(1);

struct Asker;
impl Handler for Asker {}

fn init() -> Asker {
    let Ok(page) = memory_region_symbol!(keys_page, PAGE_BYTES) else {
        sel4_microkit::debug_println!("no keys page: nothing asked");
        return Asker;
    };
    for probe in probes() {
        let (label, words) = match probe {
            Probe::Message(m) => {
                let _ = page.write(0, &m);
                (CALL_LABEL, 0)
            }
            Probe::Call { label, words } => (label, words),
        };
        for i in 0..words {
            let _ = sel4_microkit::set_mr(i, 0x5ec2_e700 + i as u64);
        }
        let _ = KEYS.pp_call(MessageInfo::new(label, words));
        let _ = JUDGE.pp_call(MessageInfo::new(LOOK, 0));
    }
    let _ = JUDGE.pp_call(MessageInfo::new(DONE, 0));
    Asker
}
