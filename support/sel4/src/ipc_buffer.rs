//! The IPC buffer: message words beyond the four passed in registers, extra
//! caps, and where received caps go. seL4 5.0.0 on AArch64 keeps each
//! thread's IPC buffer address in TPIDR_EL0 (set by the kernel at boot and by
//! `tcb_set_ipc_buffer`), so this is per thread without any setup.

use crate::generated::consts::{MSG_EXTRA_CAP_BITS, MSG_MAX_LENGTH};
use crate::Word;

pub const MSG_MAX_EXTRA_CAPS: usize = (1 << MSG_EXTRA_CAP_BITS) - 1;

/// Mirrors `seL4_IPCBuffer`.
#[repr(C)]
pub struct IpcBuffer {
    pub tag: Word,
    pub msg: [Word; MSG_MAX_LENGTH as usize],
    pub user_data: Word,
    pub caps_or_badges: [Word; MSG_MAX_EXTRA_CAPS],
    pub receive_cnode: Word,
    pub receive_index: Word,
    pub receive_depth: Word,
}

/// The calling thread's IPC buffer. Syscall wrappers access it through this
/// raw pointer, field by field, so they never hold a reference across a syscall.
///
/// Panics if the thread has no IPC buffer (TPIDR_EL0 is 0): any IPC would fault.
#[inline]
pub(crate) fn ipc_buffer_ptr() -> *mut IpcBuffer {
    let addr: Word;
    // SAFETY: reading TPIDR_EL0 has no side effects.
    unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) addr, options(nomem, nostack, preserves_flags)) };
    assert!(addr != 0, "this thread has no IPC buffer");
    addr as *mut IpcBuffer
}

/// Runs `f` with the calling thread's IPC buffer, for reading or writing
/// message words around a syscall. Do not make syscalls inside `f`: they
/// rewrite the buffer underneath the reference.
pub fn with_ipc_buffer<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
    // SAFETY: the kernel keeps the recorded IPC buffer mapped for this thread
    // and only this thread uses it; see the rule above about syscalls.
    f(unsafe { &mut *ipc_buffer_ptr() })
}
