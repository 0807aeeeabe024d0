//! Copies between a private buffer and memory another PD (or a device) may
//! access at the same time. Every access to the shared side is volatile, so
//! the compiler neither elides nor merges it. Where both sides are 8-byte
//! aligned the copy moves 64 bytes a turn with paired loads and stores
//! (about 12 instructions where a byte loop takes about 320); where only
//! the shared side can be aligned it moves a word per access, eight times
//! fewer than bytes (the runtime bench measured byte-wise copies at about
//! five instructions per byte).
#![no_std]

const WORD: usize = core::mem::size_of::<u64>();
/// Bytes one turn of the block loop moves.
const BLOCK: usize = 64;

/// Copies `len` bytes from `src` to `dst`, either of which another party
/// may access meanwhile (page to page, a task's memory to a message page).
///
/// # Safety
/// `src..src + len` is valid for reads and `dst..dst + len` for writes for
/// the whole call, and the two do not overlap.
pub unsafe fn copy_volatile(dst: *mut u8, src: *const u8, len: usize) {
    if !(dst as usize | src as usize).is_multiple_of(WORD) {
        for i in 0..len {
            // SAFETY: within both ranges the caller vouched for.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
        return;
    }
    let blocks = len / BLOCK;
    // SAFETY: both sides aligned, `blocks * BLOCK <= len`.
    unsafe { copy_blocks(dst, src, blocks) };
    let mut at = blocks * BLOCK;
    while at + WORD <= len {
        // SAFETY: aligned (both starts are, and `at` is a multiple of WORD), within both ranges.
        unsafe { (dst.add(at) as *mut u64).write_volatile((src.add(at) as *const u64).read_volatile()) };
        at += WORD;
    }
    for i in at..len {
        // SAFETY: within both ranges.
        unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
    }
}

/// `blocks` times 64 bytes, both sides 8-byte aligned. Inline assembly is
/// opaque to the compiler, so every access happens as written: it is
/// volatile on both sides.
#[cfg(target_arch = "aarch64")]
unsafe fn copy_blocks(dst: *mut u8, src: *const u8, blocks: usize) {
    if blocks == 0 {
        return;
    }
    // SAFETY: the caller's ranges; eight paired 8-byte accesses per turn, all aligned.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldp {a}, {b}, [{src}]",
            "ldp {c}, {d}, [{src}, #16]",
            "stp {a}, {b}, [{dst}]",
            "stp {c}, {d}, [{dst}, #16]",
            "ldp {a}, {b}, [{src}, #32]",
            "ldp {c}, {d}, [{src}, #48]",
            "add {src}, {src}, #64",
            "stp {a}, {b}, [{dst}, #32]",
            "stp {c}, {d}, [{dst}, #48]",
            "add {dst}, {dst}, #64",
            "subs {n}, {n}, #1",
            "b.ne 2b",
            src = inout(reg) src => _,
            dst = inout(reg) dst => _,
            n = inout(reg) blocks => _,
            a = out(reg) _,
            b = out(reg) _,
            c = out(reg) _,
            d = out(reg) _,
            options(nostack),
        )
    };
}

/// The same with word accesses, for the host's tests.
#[cfg(not(target_arch = "aarch64"))]
unsafe fn copy_blocks(dst: *mut u8, src: *const u8, blocks: usize) {
    for i in 0..blocks * BLOCK / WORD {
        // SAFETY: the caller's ranges, aligned.
        unsafe { (dst as *mut u64).add(i).write_volatile((src as *const u64).add(i).read_volatile()) };
    }
}

/// Writes `src` to `dst..dst + src.len()`.
///
/// # Safety
/// That range is valid for writes for the whole call.
pub unsafe fn copy_to_volatile(dst: *mut u8, src: &[u8]) {
    if (dst as usize | src.as_ptr() as usize).is_multiple_of(WORD) {
        // SAFETY: the caller's range; `src` is ours and does not overlap it.
        return unsafe { copy_volatile(dst, src.as_ptr(), src.len()) };
    }
    let head = dst.align_offset(WORD).min(src.len());
    let (head_bytes, rest) = src.split_at(head);
    let words = rest.chunks_exact(WORD);
    let tail = words.remainder();
    for (i, &b) in head_bytes.iter().enumerate() {
        // SAFETY: within the range the caller vouched for.
        unsafe { dst.add(i).write_volatile(b) };
    }
    // SAFETY: `head` bytes in, `dst` is word-aligned (align_offset said so).
    let word_dst = unsafe { dst.add(head) } as *mut u64;
    if rest.as_ptr().align_offset(WORD) == 0 {
        // Both sides aligned: one load and one store per word.
        for (i, chunk) in words.enumerate() {
            // SAFETY: `chunk` is 8 aligned bytes of `src`; the store is aligned and within the range.
            unsafe { word_dst.add(i).write_volatile((chunk.as_ptr() as *const u64).read()) };
        }
    } else {
        // Targets without unaligned access (aarch64-unknown-none) assemble each word from bytes.
        for (i, chunk) in words.enumerate() {
            let mut word = [0; WORD];
            word.copy_from_slice(chunk);
            // SAFETY: aligned, and within the range.
            unsafe { word_dst.add(i).write_volatile(u64::from_ne_bytes(word)) };
        }
    }
    // SAFETY: the tail starts inside the range (or at its end when empty).
    let tail_dst = unsafe { dst.add(src.len() - tail.len()) };
    for (i, &b) in tail.iter().enumerate() {
        // SAFETY: within the range.
        unsafe { tail_dst.add(i).write_volatile(b) };
    }
}

/// Fills `dst` from `src..src + dst.len()`.
///
/// # Safety
/// That range is valid for reads for the whole call.
pub unsafe fn copy_from_volatile(dst: &mut [u8], src: *const u8) {
    if (dst.as_ptr() as usize | src as usize).is_multiple_of(WORD) {
        // SAFETY: the caller's range; `dst` is ours and does not overlap it.
        return unsafe { copy_volatile(dst.as_mut_ptr(), src, dst.len()) };
    }
    let head = src.align_offset(WORD).min(dst.len());
    let (head_bytes, rest) = dst.split_at_mut(head);
    let rest_aligned = rest.as_ptr().align_offset(WORD) == 0;
    let tail_start = head + rest.len() - rest.len() % WORD;
    let mut words = rest.chunks_exact_mut(WORD);
    for (i, b) in head_bytes.iter_mut().enumerate() {
        // SAFETY: within the range the caller vouched for.
        *b = unsafe { src.add(i).read_volatile() };
    }
    // SAFETY: `head` bytes in, `src` is word-aligned.
    let word_src = unsafe { src.add(head) } as *const u64;
    if rest_aligned {
        for (i, chunk) in words.by_ref().enumerate() {
            // SAFETY: the load is aligned and within the range; `chunk` is 8 aligned bytes of `dst`.
            unsafe { (chunk.as_mut_ptr() as *mut u64).write(word_src.add(i).read_volatile()) };
        }
    } else {
        for (i, chunk) in words.by_ref().enumerate() {
            // SAFETY: aligned, and within the range.
            chunk.copy_from_slice(&unsafe { word_src.add(i).read_volatile() }.to_ne_bytes());
        }
    }
    for (i, b) in words.into_remainder().iter_mut().enumerate() {
        // SAFETY: within the range.
        *b = unsafe { src.add(tail_start + i).read_volatile() };
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use proptest::prelude::*;

    const GUARD: u8 = 0xA5;

    proptest! {
        /// Any alignment of either side and any length (past several blocks):
        /// the bytes land exactly, and nothing around them changes.
        #[test]
        fn volatile_to_volatile_copies_exactly(src_at in 0usize..16, dst_at in 0usize..16, len in 0usize..300, seed in any::<u8>()) {
            let src: Vec<u8> = (0..320u32).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)).collect();
            let mut dst = [GUARD; 320];
            // SAFETY: at + len < 16 + 300 <= 320 on both sides; distinct arrays.
            unsafe { copy_volatile(dst.as_mut_ptr().add(dst_at), src.as_ptr().add(src_at), len) };
            prop_assert_eq!(&dst[dst_at..dst_at + len], &src[src_at..src_at + len]);
            prop_assert!(dst[..dst_at].iter().chain(&dst[dst_at + len..]).all(|&b| b == GUARD));
        }

        /// Any offset and length: the bytes land exactly, and nothing around them changes.
        #[test]
        fn to_volatile_copies_exactly(offset in 0usize..24, data in proptest::collection::vec(any::<u8>(), 0..136)) {
            let mut shared = [GUARD; 160];
            // SAFETY: offset + len < 24 + 136 = 160.
            unsafe { copy_to_volatile(shared.as_mut_ptr().add(offset), &data) };
            prop_assert_eq!(&shared[offset..offset + data.len()], &data[..]);
            prop_assert!(shared[..offset].iter().chain(&shared[offset + data.len()..]).all(|&b| b == GUARD));
        }

        #[test]
        fn from_volatile_copies_exactly(offset in 0usize..24, len in 0usize..136, seed in any::<u8>()) {
            let shared: Vec<u8> = (0..160u32).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect();
            let mut out = std::vec![GUARD; len + 2];
            // SAFETY: offset + len < 24 + 136 = 160.
            unsafe { copy_from_volatile(&mut out[1..len + 1], shared.as_ptr().add(offset)) };
            prop_assert_eq!(&out[1..len + 1], &shared[offset..offset + len]);
            prop_assert_eq!((out[0], out[len + 1]), (GUARD, GUARD));
        }
    }
}
