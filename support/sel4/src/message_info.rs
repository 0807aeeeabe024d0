//! The message tag of every IPC: label, number of message words, extra caps.

use crate::generated::seL4_MessageInfo;
use crate::Word;

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct MessageInfo(seL4_MessageInfo);

impl MessageInfo {
    pub fn new(label: Word, caps_unwrapped: Word, extra_caps: Word, length: Word) -> Self {
        Self(seL4_MessageInfo::new(label, caps_unwrapped, extra_caps, length))
    }

    pub const fn from_word(word: Word) -> Self {
        Self(seL4_MessageInfo([word]))
    }

    pub const fn into_word(self) -> Word {
        self.0 .0[0]
    }

    pub fn label(&self) -> Word {
        self.0.get_label()
    }

    pub fn caps_unwrapped(&self) -> Word {
        self.0.get_caps_unwrapped()
    }

    pub fn extra_caps(&self) -> usize {
        self.0.get_extra_caps() as usize
    }

    /// Number of message words, already limited by the kernel to the maximum.
    pub fn length(&self) -> usize {
        self.0.get_length() as usize
    }
}

impl core::fmt::Debug for MessageInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageInfo")
            .field("label", &self.label())
            .field("caps_unwrapped", &self.caps_unwrapped())
            .field("extra_caps", &self.extra_caps())
            .field("length", &self.length())
            .finish()
    }
}
