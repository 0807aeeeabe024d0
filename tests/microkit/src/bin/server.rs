//! MK0003 (with `client`): answers label + 1, each word doubled, then the
//! sum. A word past those received must not read (whatever an earlier call
//! left in the buffer): if it does, the reply's label says so.
#![no_std]
#![no_main]

use sel4_microkit::{get_mr, protection_domain, set_mr, Channel, Handler, MessageInfo, MAX_MESSAGE_WORDS};

protection_domain!(init);

struct Server;

fn init() -> Server {
    Server
}

impl Handler for Server {
    fn protected(&mut self, _channel: Channel, msg: MessageInfo) -> MessageInfo {
        let words = msg.count().min(MAX_MESSAGE_WORDS - 1);
        let mut sum = 0u64;
        for i in 0..words {
            // Below the received count every word reads; a failure shows as a wrong reply.
            let w = get_mr(i).unwrap_or(u64::MAX);
            sum = sum.wrapping_add(w);
            let _ = set_mr(i, w.wrapping_mul(2));
        }
        let _ = set_mr(words, sum);
        if get_mr(msg.count()).is_ok() {
            return MessageInfo::new(u64::MAX, 0);
        }
        MessageInfo::new(msg.label() + 1, words + 1)
    }
}
