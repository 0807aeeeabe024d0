//! The last crash of a conclave, and its encoding into the crash page
//! XNU maps read-only ([`tightbeam::conclave::crash_page`]): the fault's
//! words as [`CrashInfo`]'s wire form, the registers, then stack words.
use tightbeam::conclave::{crash_page, CrashInfo};
use tightbeam::{Payload, PAYLOAD_MAX};

/// Stack words the page holds after the registers.
pub const STACK_WORDS: usize = (crash_page::BYTES - crash_page::STACK_AT) / 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashRecord {
    /// The seL4 fault label.
    pub fault: u32,
    pub pc: u64,
    /// The faulting data address, 0 for none.
    pub addr: u64,
    /// `seL4_UserContext` in its order; a kernel with fewer registers
    /// leaves the tail zero.
    pub registers: [u64; crash_page::REGISTERS],
    /// Words from sp upwards, `stack_len` of them.
    pub stack: [u64; STACK_WORDS],
    pub stack_len: usize,
}

impl CrashRecord {
    pub const fn empty() -> Self {
        CrashRecord { fault: 0, pc: 0, addr: 0, registers: [0; crash_page::REGISTERS], stack: [0; STACK_WORDS], stack_len: 0 }
    }

    /// Bytes of the page [`CrashRecord::encode`] writes.
    pub fn page_bytes(&self) -> usize {
        crash_page::STACK_AT + 8 * self.stack_len.min(STACK_WORDS)
    }

    /// The reply to crash info.
    pub fn info(&self) -> CrashInfo {
        CrashInfo { fault: self.fault, pc: self.pc, addr: self.addr, len: self.page_bytes() as u32 }
    }

    /// Writes the whole page: the record, zeros after it (so no word of an
    /// earlier crash remains).
    pub fn encode(&self, page: &mut [u8; crash_page::BYTES]) {
        page.fill(0);
        let mut info = [0u8; PAYLOAD_MAX];
        // CrashInfo's wire form (24 bytes) always fits a payload.
        let n = self.info().encode(&mut info).unwrap_or(0).min(crash_page::REGISTERS_AT);
        page[..n].copy_from_slice(&info[..n]);
        let words = self.registers.iter().chain(self.stack[..self.stack_len.min(STACK_WORDS)].iter());
        for (chunk, word) in page[crash_page::REGISTERS_AT..].chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(page: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(page[at..at + 8].try_into().unwrap())
    }

    fn record(stack_len: usize) -> CrashRecord {
        let mut r = CrashRecord::empty();
        r.fault = 6;
        r.pc = 0x1000_0040;
        r.addr = 8;
        for (i, w) in r.registers.iter_mut().enumerate() {
            *w = 0x100 + i as u64;
        }
        for (i, w) in r.stack.iter_mut().enumerate() {
            *w = 0x5000 + i as u64;
        }
        r.stack_len = stack_len;
        r
    }

    #[test]
    fn the_page_starts_with_the_crash_info_wire_form() {
        let r = record(4);
        let mut page = [0xaa; crash_page::BYTES];
        r.encode(&mut page);
        let info = CrashInfo::decode(&page[..24]).unwrap();
        assert_eq!(info, CrashInfo { fault: 6, pc: 0x1000_0040, addr: 8, len: (crash_page::STACK_AT + 32) as u32 });
        assert!(page[24..crash_page::REGISTERS_AT].iter().all(|&b| b == 0));
    }

    #[test]
    fn registers_then_stack_words_follow_and_the_rest_is_zero() {
        let r = record(3);
        let mut page = [0xaa; crash_page::BYTES];
        r.encode(&mut page);
        for i in 0..crash_page::REGISTERS {
            assert_eq!(word(&page, crash_page::REGISTERS_AT + 8 * i), 0x100 + i as u64);
        }
        for i in 0..3 {
            assert_eq!(word(&page, crash_page::STACK_AT + 8 * i), 0x5000 + i as u64);
        }
        assert!(page[r.page_bytes()..].iter().all(|&b| b == 0), "stale bytes past the record");
    }

    #[test]
    fn a_full_stack_fills_the_page_exactly() {
        let r = record(STACK_WORDS + 10);
        assert_eq!(r.page_bytes(), crash_page::BYTES);
        let mut page = [0; crash_page::BYTES];
        r.encode(&mut page);
        assert_eq!(word(&page, crash_page::BYTES - 8), 0x5000 + STACK_WORDS as u64 - 1);
    }
}
