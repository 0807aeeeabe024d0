//! MK0010 (with `gated`): runs below the gated PD, so it hears the gated PD's
//! notification only once that PD has blocked, here at its DebugHalt. It
//! judges that the system still runs and that the gated PD never got past
//! the call (its flag in the shared region is still 0).
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler};

const GATED: Channel = Channel::new(0);
const NAME: &str = "MK0010";
const DESCRIPTION: &str = "a PD with debug_syscalls=\"false\" makes DebugHalt; the system runs on";

protection_domain!(init);

struct Witness;

fn init() -> Witness {
    Witness
}

impl Handler for Witness {
    fn notified(&mut self, channels: ChannelSet) {
        let verdict = || -> Result<(), &'static str> {
            microkit_examples::ensure(channels.contains(GATED), "notified on a channel other than the gated PD's")?;
            let flag = memory_region_symbol!(flag_vaddr, 0x1000).map_err(|_| "flag region not mapped")?;
            let past = flag.read_u64(0).map_err(|_| "flag read out of bounds")?;
            microkit_examples::ensure(past == 0, "the gated PD got past its DebugHalt")
        };
        microkit_examples::report(NAME, DESCRIPTION, verdict());
    }
}
