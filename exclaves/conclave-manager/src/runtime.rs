//! What a conclave's runtime and its manager agree on. The manager loads
//! the conclave's ELF itself (no tool patches its symbols), so every
//! address, slot and label is fixed here. The conclave is linked at the
//! XNU task layout (`xnu_abi::layout`: text, rodata, data, stack).
//!
//! - Entry: pc = the ELF entry, sp = [`STACK_TOP`], x0 = [`ENTRY_LAUNCH`]
//!   on a launch, [`ENTRY_CRASHED`] after a fault (the runtime then answers
//!   every call with [`CRASHED`] and serves nothing else).
//! - It receives on slot 1 (`monitor_spec::abi::slot::INPUT`); a badge
//!   with bit 27 set is a protected call whose low 6 bits are the channel.
//! - Its host's calls come on [`HOST_CHANNEL`] with a tightbeam message in
//!   the page at [`MESSAGE_PAGE`]; it calls its manager on
//!   [`MANAGER_CHANNEL`] (endpoint slot `PP_BASE + MANAGER_CHANNEL`) with
//!   a label-only message: [`STOP_HOST`] or [`EXIT`].

/// The message page from its host, mapped rw by system.xml (outside the
/// task layout, which ends at 0x1064_0000).
pub const MESSAGE_PAGE: u64 = 0x2000_0000;
/// The top of the task layout's stack region.
pub const STACK_TOP: u64 = 0x1064_0000;
/// The conclave's channel id from its host (XNU).
pub const HOST_CHANNEL: u64 = 0;
/// The conclave's channel id to its manager (pp).
pub const MANAGER_CHANNEL: u64 = 1;
/// Capability slot of its receive endpoint.
pub const INPUT_SLOT: u64 = 1;
/// First endpoint slot of its pp channels (`PP_BASE + channel`).
pub const PP_BASE: u64 = 74;
/// The badge bit of a protected call.
pub const PPC_BADGE: u64 = 1 << 27;

/// x0 at a launch.
pub const ENTRY_LAUNCH: u64 = 0;
/// x0 when the manager restarts it after a fault.
pub const ENTRY_CRASHED: u64 = 1;

/// Label of the call asking the manager to stop the host task.
pub const STOP_HOST: u64 = 1;
/// Label of the call saying the conclave ends itself (it gets no reply).
pub const EXIT: u64 = 2;
/// The manager's reply label: done.
pub const ACK: u64 = 0;
/// The manager's reply label: refused (not running, unknown label).
pub const REFUSED: u64 = 1;

/// The conclave's reply label when the page holds its reply (as
/// `tightbeam_channel::REPLIED`).
pub const REPLIED: u64 = 0;

/// The conclave's reply label for a call that is not a bare call from its
/// host (as `tightbeam_channel::BAD_CALL`).
pub const BAD_CALL: u64 = 1;

/// The reply label a crashed conclave answers its callers with, the same
/// as `tightbeam_channel::CRASHED`.
pub const CRASHED: u64 = 4;
