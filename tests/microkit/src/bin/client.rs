//! MK0003 (with `server`): protected calls to a higher-priority server with
//! message words both ways, up to the 64-word limit; PPC misuse is refused,
//! by the library and by the kernel.
#![no_std]
#![no_main]

use sel4_microkit::{get_mr, protection_domain, set_mr, Channel, ChannelError, Handler, MessageInfo};

const SERVER: Channel = Channel::new(1);
const NOT_PP_ID: u8 = 2;
const NOT_PP: Channel = Channel::new(NOT_PP_ID);

protection_domain!(init);

struct Client;
impl Handler for Client {}

fn call(label: u64, words: usize) -> Result<(), &'static str> {
    for i in 0..words {
        set_mr(i, 1000 + i as u64).map_err(|_| "a word below 64 could not be set")?;
    }
    let reply = SERVER.pp_call(MessageInfo::new(label, words)).map_err(|_| "pp_call refused on a pp channel")?;
    // The server answers label + 1 and each word doubled, plus their sum last.
    microkit_examples::ensure(reply.label() == label + 1, "reply label is not label + 1")?;
    microkit_examples::ensure(reply.count() == words + 1, "reply word count is wrong")?;
    for i in 0..words {
        microkit_examples::ensure(get_mr(i) == Ok(2 * (1000 + i as u64)), "a reply word is wrong")?;
    }
    let sum: u64 = (0..words as u64).map(|i| 1000 + i).sum();
    microkit_examples::ensure(get_mr(words) == Ok(sum), "the reply's sum word is wrong")?;
    // Past the reply's words there is nothing to read, whatever the buffer holds.
    microkit_examples::ensure(get_mr(words + 1).is_err(), "a word past the reply was readable")
}

fn run() -> Result<(), &'static str> {
    call(7, 0)?;
    call(8, 4)?;
    call(9, 63)?;
    let misuse = NOT_PP.pp_call(MessageInfo::new(0, 0));
    microkit_examples::ensure(misuse == Err(ChannelError::NotPp(NOT_PP)), "pp_call without pp was not refused")?;
    microkit_examples::kernel_refuses_pp_call(NOT_PP_ID)
}

fn init() -> Client {
    microkit_examples::report("MK0003", "PPCs to a higher-priority server carry 0, 4 and 63 words both ways", run());
    Client
}
