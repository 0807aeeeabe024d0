//! MK0009: 63 PDs named t00..t62 pass a token around a ring of notifications
//! (channel 0 from the previous PD, channel 1 to the next). Each PD counts
//! its turns in its own word of a region all of them map; after three laps
//! t00 checks that every PD had exactly three turns.
#![no_std]
#![no_main]

use sel4_microkit::{memory_region_symbol, pd_name, protection_domain, Channel, ChannelSet, Handler, MemoryRegion};

const PREVIOUS: Channel = Channel::new(0);
const NEXT: Channel = Channel::new(1);
const PDS: usize = 63;
const LAPS: u64 = 3;

protection_domain!(init);

struct Token {
    /// This PD's place in the ring, from its name.
    index: usize,
    tally: Option<MemoryRegion>,
}

fn init() -> Token {
    let index = pd_name().strip_prefix('t').and_then(|n| n.parse().ok()).filter(|&i: &usize| i < PDS);
    let tally = memory_region_symbol!(tally_vaddr, PDS * 8).ok();
    let Some(index) = index else {
        fail("the PD's name is not t00..t62");
        return Token { index: usize::MAX, tally };
    };
    let token = Token { index, tally };
    if index == 0 {
        token.take_turn();
    }
    token
}

fn fail(why: &str) {
    microkit_examples::report("MK0009", "63 PDs pass a token around a ring", Err(why));
}

impl Token {
    /// Counts this PD's turn and passes the token on.
    fn take_turn(&self) {
        let Some(tally) = &self.tally else { return fail("the tally region is not mapped") };
        let counted = tally.read_u64(self.index * 8).and_then(|n| tally.write_u64(self.index * 8, n + 1));
        if counted.is_err() {
            return fail("the tally word is out of the region's bounds");
        }
        if let Err(e) = NEXT.notify() {
            microkit_examples::report("MK0009", "63 PDs pass a token around a ring", Err(e));
        }
    }

    /// t00's check once the token is back: true when the run is over.
    fn laps_done(&self) -> bool {
        let Some(tally) = &self.tally else { return true };
        let turns = |i: usize| tally.read_u64(i * 8).unwrap_or(u64::MAX);
        if turns(0) < LAPS {
            return false;
        }
        let result = match (0..PDS).find(|&i| turns(i) != LAPS) {
            None => Ok(()),
            Some(_) => Err("a PD did not have exactly three turns"),
        };
        microkit_examples::report("MK0009", "63 PDs pass a token around a ring, three laps", result);
        true
    }
}

impl Handler for Token {
    fn notified(&mut self, channels: ChannelSet) {
        if !channels.contains(PREVIOUS) {
            return fail("notified on a channel other than the previous PD's");
        }
        if self.index == 0 && self.laps_done() {
            return;
        }
        self.take_turn();
    }
}
