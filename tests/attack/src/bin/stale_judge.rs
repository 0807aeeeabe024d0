//! ATTACK0006 (judge): calls the leaky server after the secret caller, with
//! one word. The ten words of the reply must carry none of the secret: the
//! server set none, so word 0 comes back as ours and the rest as zeros.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{get_mr, protection_domain, set_mr, Channel, Handler, MessageInfo};

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn check() -> Result<(), &'static str> {
    set_mr(0, 42).map_err(|_| "set_mr refused word 0")?;
    let reply = Channel::new(0).pp_call(MessageInfo::new(0, 1)).map_err(|_| "pp_call refused")?;
    ensure(reply.count() == 10, "the reply does not have the ten words the server claimed")?;
    ensure(get_mr(0) == Ok(42), "the reply's word 0 is not the word we sent")?;
    for i in 1..10 {
        ensure(get_mr(i) == Ok(0), "a reply word the server never set is not zero (stale words leaked)")?;
    }
    ensure(get_mr(10).is_err(), "a word past the reply could be read")
}

fn init() -> Judge {
    judge!("ATTACK0006", "a reply with more words than the server set leaks no earlier caller's words", check());
    Judge
}
