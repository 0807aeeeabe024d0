//! Copies between a private buffer and memory another PD (or a device) may
//! access at the same time. Every access to the shared side is volatile, so
//! the compiler neither elides nor merges it; where the shared side is
//! 8-byte aligned the copy moves a word per access instead of a byte, which
//! is eight times fewer accesses (the runtime bench measured byte-wise
//! copies at about five instructions per byte).
#![no_std]

const WORD: usize = core::mem::size_of::<u64>();

/// Writes `src` to `dst..dst + src.len()`.
///
/// # Safety
/// That range is valid for writes for the whole call.
pub unsafe fn copy_to_volatile(dst: *mut u8, src: &[u8]) {
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
        /// Any offset and length: the bytes land exactly, and nothing around them changes.
        #[test]
        fn to_volatile_copies_exactly(offset in 0usize..24, data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut shared = [GUARD; 160];
            // SAFETY: offset + len <= 24 + 100 < 160.
            unsafe { copy_to_volatile(shared.as_mut_ptr().add(offset), &data) };
            prop_assert_eq!(&shared[offset..offset + data.len()], &data[..]);
            prop_assert!(shared[..offset].iter().chain(&shared[offset + data.len()..]).all(|&b| b == GUARD));
        }

        #[test]
        fn from_volatile_copies_exactly(offset in 0usize..24, len in 0usize..100, seed in any::<u8>()) {
            let shared: Vec<u8> = (0..160u32).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)).collect();
            let mut out = std::vec![GUARD; len + 2];
            // SAFETY: offset + len < 160.
            unsafe { copy_from_volatile(&mut out[1..len + 1], shared.as_ptr().add(offset)) };
            prop_assert_eq!(&out[1..len + 1], &shared[offset..offset + len]);
            prop_assert_eq!((out[0], out[len + 1]), (GUARD, GUARD));
        }
    }
}
