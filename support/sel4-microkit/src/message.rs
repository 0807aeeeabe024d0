//! Protected-call messages: a label and up to `MAX_MESSAGE_WORDS` words.

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
    pub(crate) fn from_sel4(inner: sel4::MessageInfo) -> Self {
        Self { inner }
    }
    pub(crate) fn into_sel4(self) -> sel4::MessageInfo {
        self.inner
    }
}

/// Message word `i` (0 past `MAX_MESSAGE_WORDS`).
pub fn get_mr(i: usize) -> u64 {
    if i >= MAX_MESSAGE_WORDS {
        return 0;
    }
    sel4::with_ipc_buffer(|b| b.msg[i])
}

/// Sets message word `i`; words past `MAX_MESSAGE_WORDS` are not sent, so
/// writing one is refused.
pub fn set_mr(i: usize, value: u64) -> bool {
    if i >= MAX_MESSAGE_WORDS {
        return false;
    }
    sel4::with_ipc_buffer(|b| b.msg[i] = value);
    true
}
