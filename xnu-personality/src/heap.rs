//! XNU's heap: the `xnu_heap` region of `system.xml` (32 MiB on 2 MiB
//! pages), under a linked-list allocator.
use linked_list_allocator::LockedHeap;
use sel4_microkit::memory_region_symbol;

pub const HEAP_BYTES: usize = 32 << 20;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Gives the allocator the heap region; the error names a missing map.
pub fn init() -> Result<(), sel4_microkit::RegionError> {
    let region = memory_region_symbol!(xnu_heap, HEAP_BYTES)?;
    // SAFETY: the region is mapped read-write for XNU's whole life, and
    // nothing else in XNU uses it.
    unsafe { HEAP.lock().init(region.base(), region.size()) };
    Ok(())
}
