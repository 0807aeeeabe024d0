//! What a protection domain sees, shared by the tool, the monitor and the PD
//! runtime: its address-space layout, its capability slots and its badges.
//! These follow Microkit's conventions so its mental model carries over.

/// First address above user space (48-bit VA, non-hypervisor kernel).
pub const USER_TOP: u64 = 0x8000_0000_0000;
pub const PAGE_SIZE: u64 = 0x1000;
pub const LARGE_PAGE_SIZE: u64 = 0x20_0000;
/// The IPC buffer occupies the top user page.
pub const IPC_BUFFER_VADDR: u64 = USER_TOP - PAGE_SIZE;
/// Top of the stack: one unmapped guard page below the IPC buffer.
pub const STACK_TOP: u64 = IPC_BUFFER_VADDR - PAGE_SIZE;

/// Capability slots in every PD's CSpace (Microkit's layout), each with
/// exactly the rights its use needs. What seL4 5.0.0 asks for (checked in
/// its source; it differs from modern seL4, and has no GrantReply right):
///
/// - Recv, NBRecv and the receive half of ReplyRecv need Read on the
///   endpoint or notification; the reply half needs no right. Without
///   Read, a Recv is a cap fault of the receiver.
/// - Send, NBSend and Call need Write. A Call also needs Grant: without
///   it the message is delivered but no reply cap is made, and the caller
///   is left Inactive for good.
/// - Fault delivery looks the fault endpoint up in the faulting thread's
///   own CSpace and needs Write and Grant on it; without them the fault is
///   a double fault, printed by the kernel, and nobody hears of it.
/// - Signal needs Write on the notification; binding one to a TCB needs Read.
/// - TCB, IRQ handler and VSpace caps carry no rights: what their holder
///   can do is decided by which of them it holds at all.
pub mod slot {
    /// The PD's endpoint if it receives PPCs or has children, else its
    /// notification. Read only: the PD receives on it and nothing else.
    pub const INPUT: u64 = 1;
    /// Where the PD's faults go (the monitor's endpoint, or its parent's),
    /// badged. Write and Grant, never Read: a PD that could receive on it
    /// would take other PDs' faults (and their reply caps).
    pub const FAULT_EP: u64 = 2;
    /// Microkit's own-VSpace slot. We leave it empty: no PD needs it, and in
    /// 5.0.0 its cache operations check no rights (an Invalidate over a page
    /// mapped read-only would discard a writer's unwritten lines).
    pub const VSPACE: u64 = 3;
    /// Notification to the peer of channel `ch`: `NOTIFY_BASE + ch`. Write only.
    pub const NOTIFY_BASE: u64 = 10;
    /// Endpoint of the peer of channel `ch` (PPC ends): `PP_BASE + ch`.
    /// Write and Grant (Call with a reply), never Read: a caller that could
    /// receive on it would take the calls other PDs make to that peer.
    pub const PP_BASE: u64 = 74;
    /// IRQ handler delivered as channel `ch`: `IRQ_BASE + ch`.
    pub const IRQ_BASE: u64 = 138;
    /// TCB of child `id`: `CHILD_TCB_BASE + id` (the parent's only). Every
    /// PD runs with maximum controlled priority (MCP) 1, or 0 without debug
    /// syscalls (`PD_DEBUG_SYSCALLS`), and 5.0.0 bounds a new priority or MCP
    /// by the caller's own MCP: through this cap a parent can set its
    /// child's priority or MCP to at most 1, so it can lower the child (to
    /// 0 or 1) or lift one at 0 to 1, but never above that.
    pub const CHILD_TCB_BASE: u64 = 202;
    /// log2 of the PD's CNode size: 512 slots cover every slot above.
    pub const CNODE_BITS: u8 = 9;
}

/// Badges in seL4 5.0.0 hold 28 bits (the `Badge` block of `seL4_CapData`),
/// not a full word, so Microkit's bit 63 (PPC) and bit 62 (child fault) move
/// to the top of those 28 bits, and notification bits stop below them.
pub const BADGE_BITS: u32 = 28;
/// Badge bit marking a protected procedure call; the low bits are the
/// receiver's channel id.
pub const PPC_BADGE: u64 = 1 << 27;
/// Badge bit marking a child's fault; the low bits are the child id.
pub const FAULT_BADGE: u64 = 1 << 26;

/// Highest channel id: ids index 62-entry tables, as in Microkit.
pub const MAX_CHANNEL_ID: u64 = 61;
/// Highest id on which a PD can be notified (a channel whose peer may notify
/// it, or an IRQ): the id is the notification badge bit, below `FAULT_BADGE`.
pub const MAX_NOTIFIED_ID: u64 = 25;
/// Child ids index the 64-entry child TCB table.
pub const MAX_CHILD_ID: u64 = 63;
/// Highest PD priority; 255 belongs to the monitor.
pub const MAX_PRIORITY: u64 = 254;
/// Longest PD name the monitor and runtime keep.
pub const MAX_NAME_LEN: usize = 64;

/// Symbols the tool fills in a PD's image when the PD defines them (the PD
/// runtime does): its name, and bit sets of the channel ids it may use.
pub mod symbol {
    /// `[u8; MAX_NAME_LEN]`, NUL-padded.
    pub const NAME: &str = "microkit_name";
    /// `u64`: ids of channels whose peer this PD may notify.
    pub const NOTIFICATIONS: &str = "microkit_notifications";
    /// `u64`: ids of channels on which this PD may make PPCs.
    pub const PPS: &str = "microkit_pps";
    /// `u64`: ids of channels that are IRQs.
    pub const IRQS: &str = "microkit_irqs";
    /// `u64`: ids of this PD's children.
    pub const CHILDREN: &str = "microkit_children";
    /// `[u64; 64]`: entry address of each child, by id, for restarts.
    pub const CHILD_ENTRIES: &str = "microkit_child_entries";
    /// `[[u8; MAX_NAME_LEN]; CHANNEL_SLOTS]`: the name of the PD at the other
    /// end of each channel id, NUL-padded (all NULs for an id that is no
    /// channel, or an IRQ). Only PDs that must name their peers define it
    /// (a console driver labels each line with its sender).
    pub const CHANNEL_PEERS: &str = "microkit_channel_peers";
}

/// Entries in a per-channel-id table: ids 0..=MAX_CHANNEL_ID.
pub const CHANNEL_SLOTS: usize = MAX_CHANNEL_ID as usize + 1;
