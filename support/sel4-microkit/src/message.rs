//! Protected-call messages: a label and up to `MAX_MESSAGE_WORDS` words.
//!
//! Message words live in the PD's IPC buffer, which keeps whatever earlier
//! messages left there. So the runtime tracks two things: how many words the
//! message last received brought (reading past them is an error, not old
//! data), and how many leading words the next message may carry: those of
//! the message last received (a reply may hand a caller its own words back)
//! and those set since. Setting a word past them zeroes the ones between, and
//! a message longer than them gets the rest as zeros, so no word ever goes
//! with what an earlier caller left.
use core::cell::Cell;

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
    /// The word count as the kernel has it (up to 127), unclamped: the hot
    /// paths below clamp only where it matters.
    fn raw_count(&self) -> usize {
        self.inner.length()
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

/// What the runtime knows of the IPC buffer's words.
struct Words {
    /// Words the message being handled brought (or the last reply).
    received: Cell<usize>,
    /// Words `0..clean` may go in the next message: received, set, or zeroed.
    clean: Cell<usize>,
}

// SAFETY: a PD runs one thread, and its events one at a time, so nothing
// touches these cells concurrently.
unsafe impl Sync for Words {}

static WORDS: Words = Words { received: Cell::new(0), clean: Cell::new(0) };

/// Message word `i` of the message being handled, or of the reply a
/// `pp_call` returned.
pub fn get_mr(i: usize) -> Result<u64, MessageError> {
    let received = WORDS.received.get().min(MAX_MESSAGE_WORDS);
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
    let clean = WORDS.clean.get().min(MAX_MESSAGE_WORDS);
    sel4::with_ipc_buffer(|b| {
        if i > clean {
            b.msg[clean..i].fill(0);
        }
        b.msg[i] = value;
    });
    WORDS.clean.set(clean.max(i + 1));
    Ok(())
}

/// Sets message words `0..words.len()` at once (at most
/// `MAX_MESSAGE_WORDS`; the rest are ignored).
pub(crate) fn set_mrs(words: &[u64]) {
    let n = words.len().min(MAX_MESSAGE_WORDS);
    sel4::with_ipc_buffer(|b| b.msg[..n].copy_from_slice(&words[..n]));
    WORDS.clean.set(WORDS.clean.get().max(n));
}

/// A message arrived with `info`: its words are the readable ones, and the
/// ones the next message may carry unless more are set.
#[inline]
pub(crate) fn received(info: MessageInfo) {
    let count = info.raw_count();
    WORDS.received.set(count);
    WORDS.clean.set(count);
}

/// Before `msg` goes: zeroes the words below its count it may not carry.
/// Every send here (a PPC, a reply) is followed at once by a receive, which
/// sets what the next message may carry, so nothing is reset. Inlined: on
/// every PPC and reply, and usually there is nothing to zero.
#[inline]
pub(crate) fn sending(msg: MessageInfo) {
    let count = msg.raw_count();
    let clean = WORDS.clean.get();
    if count > clean {
        zero(clean, count);
    }
}

/// Zeroes words `from..to` (of the words a message can carry).
#[cold]
#[inline(never)]
fn zero(from: usize, to: usize) {
    let (from, to) = (from.min(MAX_MESSAGE_WORDS), to.min(MAX_MESSAGE_WORDS));
    sel4::with_ipc_buffer(|b| b.msg[from..to].fill(0));
}
