//! Protected-call messages: a label and up to `MAX_MESSAGE_WORDS` words.
//!
//! Message words live in the PD's IPC buffer, which keeps whatever the last
//! message left there. So the runtime tracks two things: how many words the
//! message being handled brought (reading past them is an error, not old
//! data), and which words were set since the last message (a message sends
//! exactly those: any word below its count that was not set goes as zero,
//! never as what an earlier caller sent).

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Words a protected call carries each way (Microkit's limit).
pub const MAX_MESSAGE_WORDS: usize = 64;

/// A PPC's label and word count (the kernel's message info, without caps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageInfo {
    inner: sel4::MessageInfo,
}

impl MessageInfo {
    /// `count` above `MAX_MESSAGE_WORDS` is cut to it.
    pub fn new(label: u64, count: usize) -> Self {
        let count = count.min(MAX_MESSAGE_WORDS) as u64;
        Self { inner: sel4::MessageInfo::new(label, 0, 0, count) }
    }
    pub fn label(&self) -> u64 {
        self.inner.label()
    }
    /// Words that came with the message, at most `MAX_MESSAGE_WORDS` whatever
    /// the sender claimed.
    pub fn count(&self) -> usize {
        self.inner.length().min(MAX_MESSAGE_WORDS)
    }
    /// The fault a child's fault message reports (in `Handler::fault`).
    pub fn fault(&self) -> sel4::Fault {
        sel4::Fault::decode(self.inner)
    }
    pub(crate) fn from_sel4(inner: sel4::MessageInfo) -> Self {
        Self { inner }
    }
    pub(crate) fn into_sel4(self) -> sel4::MessageInfo {
        self.inner
    }
}

/// A message word that cannot be read or set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageError {
    /// Word `index` is past the `received` words the message brought.
    NotReceived { index: usize, received: usize },
    /// Word `index` is past `MAX_MESSAGE_WORDS`.
    TooFar { index: usize },
}

/// Words the message being handled brought (or the last reply).
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Bit `i`: word `i` was set since the last message went or came.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Message word `i` of the message being handled, or of the reply a
/// `pp_call` returned.
pub fn get_mr(i: usize) -> Result<u64, MessageError> {
    let received = RECEIVED.load(Ordering::Relaxed);
    if i >= received {
        return Err(MessageError::NotReceived { index: i, received });
    }
    Ok(sel4::with_ipc_buffer(|b| b.msg[i]))
}

/// Sets message word `i` of the next message this PD sends (a call or a reply).
pub fn set_mr(i: usize, value: u64) -> Result<(), MessageError> {
    if i >= MAX_MESSAGE_WORDS {
        return Err(MessageError::TooFar { index: i });
    }
    sel4::with_ipc_buffer(|b| b.msg[i] = value);
    WRITTEN.fetch_or(1 << i, Ordering::Relaxed);
    Ok(())
}

/// A message arrived with `info`: its words are the readable ones, and none
/// is set for the next message yet.
pub(crate) fn received(info: MessageInfo) {
    RECEIVED.store(info.count(), Ordering::Relaxed);
    WRITTEN.store(0, Ordering::Relaxed);
}

/// Before `msg` goes: zeroes every word below its count that was not set.
pub(crate) fn sending(msg: MessageInfo) {
    let count = msg.count();
    let wanted = if count == MAX_MESSAGE_WORDS { u64::MAX } else { (1 << count) - 1 };
    let mut stale = wanted & !WRITTEN.swap(0, Ordering::Relaxed);
    if stale != 0 {
        sel4::with_ipc_buffer(|b| {
            while stale != 0 {
                b.msg[stale.trailing_zeros() as usize] = 0;
                stale &= stale - 1;
            }
        });
    }
}
