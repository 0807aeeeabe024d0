//! The seL4 system calls. AArch64 convention (libsel4's `syscalls.h`): x7 holds
//! the (negative) syscall number, x0 the capability (in) or badge (out), x1 the
//! message info, x2..x5 the first four message words; the rest of the message
//! lives in the IPC buffer. These wrappers move the first four words between
//! the IPC buffer and registers, so callers only ever use the IPC buffer.

use core::arch::asm;
use core::ptr::addr_of_mut;

use crate::cap::cap_type::{Endpoint, Notification};
use crate::generated::syscall;
use crate::ipc_buffer::ipc_buffer_ptr;
use crate::{Cap, MessageInfo, Word};

/// The badge of the capability a message or signal arrived through.
pub type Badge = Word;

/// Number of message words that travel in registers.
const REGISTER_MRS: usize = 4;

#[inline]
fn load_mrs() -> [Word; REGISTER_MRS] {
    let buf = ipc_buffer_ptr();
    // SAFETY: `buf` is this thread's mapped IPC buffer; plain reads.
    unsafe { core::array::from_fn(|i| addr_of_mut!((*buf).msg[i]).read()) }
}

#[inline]
fn store_mrs(mrs: [Word; REGISTER_MRS]) {
    let buf = ipc_buffer_ptr();
    for (i, mr) in mrs.into_iter().enumerate() {
        // SAFETY: as in `load_mrs`.
        unsafe { addr_of_mut!((*buf).msg[i]).write(mr) };
    }
}

/// A send-only syscall carrying a message (Send, NBSend, Reply).
#[inline]
fn sys_send(sys: i64, dest: Word, info: MessageInfo) {
    let [mr0, mr1, mr2, mr3] = load_mrs();
    // SAFETY: the kernel reads only the registers named here and the IPC buffer.
    unsafe {
        asm!("svc #0",
            in("x7") sys, in("x0") dest, in("x1") info.into_word(),
            in("x2") mr0, in("x3") mr1, in("x4") mr2, in("x5") mr3,
            options(nostack));
    }
}

/// A receive-only syscall (Recv, NBRecv).
#[inline]
fn sys_recv(sys: i64, src: Word) -> (MessageInfo, Badge) {
    let (badge, info, mr0, mr1, mr2, mr3): (Word, Word, Word, Word, Word, Word);
    // SAFETY: the kernel writes only the registers named here and the IPC buffer.
    unsafe {
        asm!("svc #0",
            in("x7") sys, inout("x0") src => badge, out("x1") info,
            out("x2") mr0, out("x3") mr1, out("x4") mr2, out("x5") mr3,
            options(nostack));
    }
    store_mrs([mr0, mr1, mr2, mr3]);
    (MessageInfo::from_word(info), badge)
}

/// A send-then-receive syscall (Call, ReplyRecv).
#[inline]
fn sys_send_recv(sys: i64, dest: Word, info: MessageInfo) -> (MessageInfo, Badge) {
    let [mut mr0, mut mr1, mut mr2, mut mr3] = load_mrs();
    let (badge, out_info): (Word, Word);
    // SAFETY: as in `sys_send` and `sys_recv`.
    unsafe {
        asm!("svc #0",
            in("x7") sys, inout("x0") dest => badge, inout("x1") info.into_word() => out_info,
            inout("x2") mr0, inout("x3") mr1, inout("x4") mr2, inout("x5") mr3,
            options(nostack));
    }
    store_mrs([mr0, mr1, mr2, mr3]);
    (MessageInfo::from_word(out_info), badge)
}

impl Cap<Endpoint> {
    /// Blocking send of the message in the IPC buffer.
    #[inline]
    pub fn send(self, info: MessageInfo) {
        sys_send(syscall::SEND, self.bits(), info)
    }

    /// Send only if a receiver is waiting; otherwise the message is dropped.
    #[inline]
    pub fn nb_send(self, info: MessageInfo) {
        sys_send(syscall::NB_SEND, self.bits(), info)
    }

    /// Send and wait for the reply, which replaces the message in the IPC buffer.
    #[inline]
    pub fn call(self, info: MessageInfo) -> MessageInfo {
        sys_send_recv(syscall::CALL, self.bits(), info).0
    }

    #[inline]
    pub fn recv(self) -> (MessageInfo, Badge) {
        sys_recv(syscall::RECV, self.bits())
    }

    /// Receive if a sender is waiting; otherwise return at once (length 0, badge 0).
    #[inline]
    pub fn nb_recv(self) -> (MessageInfo, Badge) {
        sys_recv(syscall::NB_RECV, self.bits())
    }

    /// Reply to the last caller, then wait on this endpoint.
    #[inline]
    pub fn reply_recv(self, info: MessageInfo) -> (MessageInfo, Badge) {
        sys_send_recv(syscall::REPLY_RECV, self.bits(), info)
    }
}

impl Cap<Notification> {
    pub fn signal(self) {
        sys_send(syscall::SEND, self.bits(), MessageInfo::new(0, 0, 0, 0))
    }

    /// Blocks until signalled; returns the OR of the badges signalled since the last wait.
    pub fn wait(self) -> Badge {
        sys_recv(syscall::RECV, self.bits()).1
    }

    /// Returns the pending badges (0 if none) without blocking.
    pub fn poll(self) -> Badge {
        sys_recv(syscall::NB_RECV, self.bits()).1
    }
}

/// Reply to the thread that last called this thread.
pub fn reply(info: MessageInfo) {
    sys_send(syscall::REPLY, 0, info)
}

/// Give up the rest of this time slice.
pub fn r#yield() {
    // SAFETY: Yield takes and returns nothing.
    unsafe { asm!("svc #0", in("x7") syscall::YIELD, options(nostack)) }
}
