//! A protection domain's virtual address space on AArch64, as Microkit lays it out.
//!
//! Microkit (tool `Config::user_top`, non-hypervisor AArch64) gives user space
//! `[0, 0x8000_0000_0000)` and puts each PD's stack at the very top of it, so
//! the highest address a map may reach is the stack's bottom. We keep that, and
//! add what our runtime needs at the top (see `../shared/SDF.md`, runtime
//! conventions): the IPC buffer in the top user page, then an unmapped guard page,
//! then the stack growing down. Maps must end at or below the stack's bottom.
//!
//! ```text
//! 0x8000_0000_0000  USER_TOP
//!                   IPC buffer (1 page)
//!                   guard page (unmapped)
//! STACK_TOP         stack (stack_size bytes, grows down)
//! stack bottom      <- highest end address of any map
//! ```

pub use monitor_spec::abi::{
    IPC_BUFFER_VADDR, LARGE_PAGE_SIZE, MAX_CHANNEL_ID, MAX_CHILD_ID, MAX_NOTIFIED_ID, MAX_PRIORITY, PAGE_SIZE, STACK_TOP,
    USER_TOP,
};

/// Default, minimum and maximum stack size (Microkit's values).
pub const STACK_SIZE_DEFAULT: u64 = 0x2000;
pub const STACK_SIZE_MIN: u64 = 0x1000;
pub const STACK_SIZE_MAX: u64 = 0x100_0000;

/// Lowest address of a PD's stack. `stack_size` is at most `STACK_SIZE_MAX`
/// once validated, so this cannot underflow; saturating keeps unvalidated
/// input harmless anyway.
pub fn stack_bottom(stack_size: u64) -> u64 {
    STACK_TOP.saturating_sub(stack_size)
}

/// Protection domains in one system (the monitor tracks them in 64 slots).
pub const MAX_PDS: usize = 63;
/// Name reserved for the monitor.
pub const MONITOR_NAME: &str = "monitor";
/// Microkit's default budget in microseconds (period defaults to the budget).
pub const BUDGET_DEFAULT: u64 = 1000;
/// Limits a `<domains>` element is checked against. Our kernel runs one domain,
/// so a schedule is accepted with a warning and not enforced; these are the
/// upstream tool's test configuration (KernelNumDomains, KernelNumDomainSchedules),
/// so a schedule that upstream refuses is refused here too.
pub const MAX_DOMAINS: u64 = 16;
pub const MAX_DOMAIN_SCHEDULE: u64 = 100;

// The layout's invariants, checked when the crate compiles.
const _: () = assert!(STACK_TOP.is_multiple_of(PAGE_SIZE));
const _: () = assert!(STACK_TOP - STACK_SIZE_MAX > 0);
const _: () = assert!(STACK_TOP < IPC_BUFFER_VADDR && IPC_BUFFER_VADDR < USER_TOP);
