//! MK0011: keeps the system busy until `timer_late` says the test is over,
//! at the lowest priority, so the monitor does not report the system ready
//! (which ends the harness's reading) while the clients wait for their
//! deadlines (MK0017 uses it too, and MK0018/MK0019 while the disk works). After 5 s of counter time it gives up
//! and says so; the
//! missing verdicts then fail the test.
#![no_std]
#![no_main]

use monitor_spec::abi::slot;
use sel4::cap_type::Notification;
use sel4::Cap;
use sel4_microkit::{debug_println, protection_domain, Channel, Handler};

const LATE: Channel = Channel::new(0);
const PATIENCE_NS: u64 = 5_000_000_000;

protection_domain!(init);

struct Keeper;
impl Handler for Keeper {}

fn init() -> Keeper {
    let hz = generic_timer::frequency();
    let give_up = generic_timer::counter().saturating_add(generic_timer::ns_to_ticks_ceil(PATIENCE_NS, hz));
    // Polled, not waited on: a wait would let the monitor run.
    let input = Cap::<Notification>::from_bits(slot::INPUT);
    while input.poll() & (1 << LATE.index()) == 0 {
        if generic_timer::counter() >= give_up {
            debug_println!("no word from its peer in 5 s");
            break;
        }
    }
    Keeper
}
