//! ATTACK0002 (judge): calls the server after the thief tried to take its
//! calls; every reply must be the server's own (label + 1, words doubled,
//! their sum last), so the server still receives and answers its real caller.
#![no_std]
#![no_main]

use attack_pds::{ensure, judge};
use sel4_microkit::{get_mr, protection_domain, set_mr, Channel, Handler, MessageInfo};

const SERVER: Channel = Channel::new(0);

protection_domain!(init);

struct Judge;
impl Handler for Judge {}

fn call(label: u64, words: usize) -> Result<(), &'static str> {
    for i in 0..words {
        set_mr(i, 7000 + i as u64).map_err(|_| "set_mr refused a word below 64")?;
    }
    let reply = SERVER.pp_call(MessageInfo::new(label, words)).map_err(|_| "pp_call refused")?;
    ensure(reply.label() == label + 1 && reply.count() == words + 1, "the reply is not the server's")?;
    for i in 0..words {
        ensure(get_mr(i) == Ok(2 * (7000 + i as u64)), "a reply word is not the server's")?;
    }
    Ok(())
}

fn init() -> Judge {
    let result = call(1, 3).and_then(|()| call(2, 20));
    judge!("ATTACK0002", "a caller cannot receive on its PPC cap; the server still answers its real caller", result);
    Judge
}
