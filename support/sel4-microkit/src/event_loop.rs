//! The event loop: one receive on the PD's input capability per event, and a
//! reply folded into the next receive (ReplyRecv), so a PPC costs the callee
//! one syscall each way. Events run one at a time, never nested.

use monitor_spec::abi::{slot, FAULT_BADGE, PPC_BADGE};
use sel4::cap_type::Endpoint;
use sel4::Cap;

use crate::channel::{Channel, ChannelSet};
use crate::child::Child;
use crate::message::{self, MessageInfo};
use sel4::debug_println as sel4_debug_println;

/// What a PD does with its events. Every method has a default that reports
/// the unexpected event, so a PD implements only what it uses.
pub trait Handler {
    /// Signals on the channels in `channels` (and IRQs on their ids).
    fn notified(&mut self, channels: ChannelSet) {
        sel4_debug_println!("{}: unexpected notification {:#x}", crate::pd_name(), channels.bits());
    }

    /// A protected call on `channel`; the returned message is the reply.
    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        sel4_debug_println!("{}: unexpected PPC on channel {} (label {})", crate::pd_name(), channel.index(), msg.label());
        MessageInfo::new(0, 0)
    }

    /// A child faulted (or sent a message on its fault endpoint, which it
    /// can: such a message decodes as what it claims, or as
    /// `Fault::Malformed`). `Some(reply)` answers it, `None` leaves the
    /// child waiting until it is resumed or restarted.
    fn fault(&mut self, child: Child, fault: sel4::Fault) -> Option<MessageInfo> {
        sel4_debug_println!("{}: child {} faulted: {fault}", crate::pd_name(), child.id());
        None
    }
}

/// Runs `handler` forever.
pub fn run<H: Handler>(mut handler: H) -> ! {
    // The input cap is an endpoint or a notification; Recv works on both.
    let input = Cap::<Endpoint>::from_bits(slot::INPUT);
    let mut reply: Option<MessageInfo> = None;
    loop {
        let (info, badge) = match reply.take() {
            Some(msg) => {
                message::sending(msg);
                input.reply_recv(msg.into_sel4())
            }
            None => input.recv(),
        };
        let info = MessageInfo::from_sel4(info);
        message::received(info);
        let low = badge & 0x3f;
        if badge & PPC_BADGE != 0 {
            // The monitor minted the badge with one of our ids (0..=61).
            reply = Some(handler.protected(Channel(low as u8), info));
        } else if badge & FAULT_BADGE != 0 {
            reply = handler.fault(Child(low as u8), info.fault());
        } else {
            handler.notified(ChannelSet(badge));
        }
    }
}
