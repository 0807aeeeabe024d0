//! Shared-memory stand-in for the tests: a zeroed, 64-byte-aligned heap
//! block, touched only through raw pointers while rings use it.

#![allow(dead_code)]

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;

use sel4_shared_ring_buffer::{Descriptor, SharedRegion, HEADER_SIZE};

pub struct Mem {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the block is plain heap memory; tests coordinate access themselves.
unsafe impl Send for Mem {}
unsafe impl Sync for Mem {}

impl Mem {
    pub fn new(len: usize) -> Self {
        let layout = Layout::from_size_align(len, 64).unwrap();
        let ptr = NonNull::new(unsafe { alloc_zeroed(layout) }).expect("allocation failed");
        Self { ptr, layout }
    }

    pub fn len(&self) -> usize {
        self.layout.size()
    }

    pub fn ptr(&self, offset: usize) -> *mut u8 {
        assert!(offset <= self.len());
        unsafe { self.ptr.as_ptr().add(offset) }
    }

    /// A region over `offset..offset + len`. Tests must not make two
    /// regions over the same bytes on the same side.
    pub fn region(&self, offset: usize, len: usize) -> SharedRegion {
        assert!(offset + len <= self.len());
        unsafe { SharedRegion::new(NonNull::new(self.ptr(offset)).unwrap(), len).unwrap() }
    }

    pub fn read_u32(&self, offset: usize) -> u32 {
        assert!(offset + 4 <= self.len());
        unsafe { self.ptr(offset).cast::<u32>().read_volatile() }
    }

    /// Play the hostile peer: overwrite shared bytes behind the ring's back.
    pub fn write_u32(&self, offset: usize, value: u32) {
        assert!(offset + 4 <= self.len());
        unsafe { self.ptr(offset).cast::<u32>().write_volatile(value) }
    }

    pub fn write_u8(&self, offset: usize, value: u8) {
        assert!(offset < self.len());
        unsafe { self.ptr(offset).write_volatile(value) }
    }

    pub fn read_u8(&self, offset: usize) -> u8 {
        assert!(offset < self.len());
        unsafe { self.ptr(offset).read_volatile() }
    }

    /// The descriptor in `slot` of a ring starting at `ring_offset`.
    pub fn read_slot(&self, ring_offset: usize, slot: usize) -> Descriptor {
        let at = ring_offset + HEADER_SIZE + slot * 24;
        assert!(at + 24 <= self.len());
        unsafe { self.ptr(at).cast::<Descriptor>().read_volatile() }
    }

    pub fn write_slot(&self, ring_offset: usize, slot: usize, d: Descriptor) {
        let at = ring_offset + HEADER_SIZE + slot * 24;
        assert!(at + 24 <= self.len());
        unsafe { self.ptr(at).cast::<Descriptor>().write_volatile(d) }
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// Offsets of the two indices within a ring region.
pub const WRITE_INDEX: usize = 0;
pub const READ_INDEX: usize = 64;
