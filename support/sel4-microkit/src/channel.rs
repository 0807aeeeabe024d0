//! Channels: the PD's end of a `<channel>` or an `<irq>`, by its id.

use core::fmt;

use monitor_spec::abi::{slot, MAX_CHANNEL_ID};
use sel4::cap_type::{Endpoint, IrqHandler, Notification};
use sel4::Cap;

use crate::message::{self, MessageInfo};
use crate::symbols;

/// One of this PD's channel ids (0..=61).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Channel(pub(crate) u8);

/// Misuse of a channel: `system.xml` did not grant what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelError {
    /// No such id in this PD's namespace.
    BadId(u64),
    NotNotify(Channel),
    NotPp(Channel),
    NotIrq(Channel),
    /// The kernel refused (the capability is missing or of the wrong type).
    Kernel(Channel, sel4::Error),
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pd = crate::pd_name();
        match *self {
            ChannelError::BadId(id) => write!(f, "{pd}: channel id {id} is out of range (0..=61)"),
            ChannelError::NotNotify(c) => write!(f, "{pd}: channel {} may not notify its peer (no notify end in system.xml)", c.0),
            ChannelError::NotPp(c) => write!(f, "{pd}: channel {} may not make protected calls (its end lacks pp=\"true\")", c.0),
            ChannelError::NotIrq(c) => write!(f, "{pd}: channel {} is not an IRQ of this PD", c.0),
            ChannelError::Kernel(c, e) => write!(f, "{pd}: channel {}: the kernel refused: {e:?}", c.0),
        }
    }
}

impl Channel {
    pub const fn new(id: u8) -> Self {
        assert!(id as u64 <= MAX_CHANNEL_ID, "channel ids are 0..=61");
        Channel(id)
    }

    /// Checked construction from a number another party supplied.
    pub fn try_new(id: u64) -> Result<Self, ChannelError> {
        if id <= MAX_CHANNEL_ID {
            Ok(Channel(id as u8))
        } else {
            Err(ChannelError::BadId(id))
        }
    }

    pub fn index(self) -> u8 {
        self.0
    }

    fn granted(self, set: u64) -> bool {
        set & (1 << self.0) != 0
    }

    /// Whether `system.xml` lets this end notify its peer.
    pub fn may_notify(self) -> bool {
        self.granted(symbols::notifications())
    }

    /// Signals the peer; it sees this in `notified` on its own id.
    pub fn notify(self) -> Result<(), ChannelError> {
        if !self.may_notify() {
            return Err(ChannelError::NotNotify(self));
        }
        Cap::<Notification>::from_bits(slot::NOTIFY_BASE + u64::from(self.0)).signal();
        Ok(())
    }

    /// A protected procedure call: the message words set with `set_mr` go to
    /// the peer's `protected` (any word below the count not set goes as 0),
    /// and its reply comes back, its words read with `get_mr`.
    #[inline]
    pub fn pp_call(self, msg: MessageInfo) -> Result<MessageInfo, ChannelError> {
        if !self.granted(symbols::pps()) {
            return Err(ChannelError::NotPp(self));
        }
        let ep = Cap::<Endpoint>::from_bits(slot::PP_BASE + u64::from(self.0));
        message::sending(msg);
        let reply = MessageInfo::from_sel4(ep.call(msg.into_sel4()));
        message::received(reply);
        Ok(reply)
    }

    /// Re-enables the IRQ delivered on this channel.
    pub fn irq_ack(self) -> Result<(), ChannelError> {
        if !self.granted(symbols::irqs()) {
            return Err(ChannelError::NotIrq(self));
        }
        Cap::<IrqHandler>::from_bits(slot::IRQ_BASE + u64::from(self.0))
            .irq_handler_ack()
            .map_err(|e| ChannelError::Kernel(self, e))
    }
}

/// The channels a notification named: signals that arrived before the PD ran
/// coalesce into one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSet(pub(crate) u64);

impl ChannelSet {
    pub fn contains(&self, channel: Channel) -> bool {
        self.0 & (1 << channel.0) != 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Channel> {
        let bits = self.0;
        (0..=MAX_CHANNEL_ID as u8).filter(move |&i| bits & (1 << i) != 0).map(Channel)
    }

    pub fn bits(&self) -> u64 {
        self.0
    }
}
