//! Events from an exclave to XNU's tasks (a NOTIFICATION resource): the
//! exclave counts each event of bit `i` (0 to [`EVENTS`] - 1) in
//! little-endian u64 `i` of a page it alone writes and XNU maps read-only,
//! then notifies XNU. XNU compares the counts with the last it saw: a count
//! that moved is that bit's event, however many came in between, and none
//! is lost to a race, since only the exclave writes. The bits' meanings are
//! the exclave's (`crate::indicator::EVENT_INDICATOR`, say).

/// Event bits a source has.
pub const EVENTS: usize = 16;
/// The page's bytes that hold the counts.
pub const COUNTS_BYTES: usize = EVENTS * 8;
