//! Symbols `microkit-tool build` fills in (see `monitor_spec::abi::symbol`):
//! the PD's name and the sets of channel ids it was granted, and, in a PD
//! that uses `channel_peers!`, its channels' peers' names. They start out
//! zero, so an image not built by the tool has no name and no rights.

use monitor_spec::abi::{CHANNEL_SLOTS, MAX_NAME_LEN};

use crate::Channel;

#[no_mangle]
#[used]
static microkit_name: [u8; MAX_NAME_LEN] = [0; MAX_NAME_LEN];
#[no_mangle]
#[used]
static microkit_notifications: u64 = 0;
#[no_mangle]
#[used]
static microkit_pps: u64 = 0;
#[no_mangle]
#[used]
static microkit_irqs: u64 = 0;
#[no_mangle]
#[used]
static microkit_children: u64 = 0;
#[no_mangle]
#[used]
static microkit_child_entries: [u64; 64] = [0; 64];

/// Volatile, so the compiler does not fold in the zeros it compiled.
fn read<T: Copy>(value: &'static T) -> T {
    // SAFETY: a read of our own immutable static.
    unsafe { core::ptr::read_volatile(value) }
}

pub fn pd_name() -> &'static str {
    // The tool wrote the name before the PD started; nothing writes it since.
    name_in(&microkit_name).unwrap_or("?")
}

/// A NUL-padded name; `None` if not UTF-8.
fn name_in(bytes: &'static [u8; MAX_NAME_LEN]) -> Option<&'static str> {
    let len = read(bytes).iter().position(|&b| b == 0).unwrap_or(MAX_NAME_LEN);
    core::str::from_utf8(&bytes[..len]).ok()
}

/// The table behind `microkit_channel_peers`: a peer name per channel id.
pub type PeerTable = [[u8; MAX_NAME_LEN]; CHANNEL_SLOTS];

/// The names `system.xml` gives the PDs at the other ends of this PD's
/// channels. Only a PD that calls `channel_peers!` has the table.
#[derive(Debug, Clone, Copy)]
pub struct ChannelPeers(&'static PeerTable);

impl ChannelPeers {
    /// The empty table `channel_peers!` starts from.
    #[doc(hidden)]
    pub const EMPTY: PeerTable = [[0; MAX_NAME_LEN]; CHANNEL_SLOTS];

    #[doc(hidden)]
    pub const fn new(table: &'static PeerTable) -> Self {
        ChannelPeers(table)
    }

    /// The peer's name on `channel`; `None` if the id is no channel (or an IRQ).
    pub fn name(&self, channel: Channel) -> Option<&'static str> {
        name_in(self.0.get(usize::from(channel.index()))?).filter(|name| !name.is_empty())
    }
}

/// Declares `microkit_channel_peers`, which the tool fills from
/// `system.xml`, and returns it as a [`ChannelPeers`]; call it once.
#[macro_export]
macro_rules! channel_peers {
    () => {{
        #[no_mangle]
        #[used]
        static microkit_channel_peers: $crate::PeerTable = $crate::ChannelPeers::EMPTY;
        $crate::ChannelPeers::new(&microkit_channel_peers)
    }};
}

pub(crate) fn notifications() -> u64 {
    read(&microkit_notifications)
}
pub(crate) fn pps() -> u64 {
    read(&microkit_pps)
}
pub(crate) fn irqs() -> u64 {
    read(&microkit_irqs)
}
pub(crate) fn children() -> u64 {
    read(&microkit_children)
}
pub(crate) fn child_entry(id: u8) -> u64 {
    read(&microkit_child_entries).get(usize::from(id)).copied().unwrap_or(0)
}
