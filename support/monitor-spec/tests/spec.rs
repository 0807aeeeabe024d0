//! The writer and the reader agree, and the reader refuses every damaged blob.

use monitor_spec::*;
use proptest::prelude::*;

/// The bytes region "shared" of `sample` is prefilled with (more than a page).
const PREFILL: [u8; 0x1234] = [0x5a; 0x1234];

fn sample() -> Vec<u8> {
    let mut b = SpecBuilder::new();
    let shared = b.add_region("shared", 0x2000, abi::PAGE_SIZE, None, &PREFILL);
    let uart = b.add_region("uart", 0x1000, abi::PAGE_SIZE, Some(0x900_0000), &[]);
    let code = [0xaa_u8; 100];
    b.add_pd(PdDesc {
        name: "client",
        entry: 0x20_0000,
        stack_size: 0x2000,
        parent: None,
        child_id: 0,
        priority: 10,
        flags: PD_FPU | PD_DEBUG_SYSCALLS,
        segments: vec![SegmentDesc { vaddr: 0x20_0000, mem_size: 0x1000, perms: PERM_READ | PERM_EXECUTE, bytes: &code }],
        maps: vec![Map { vaddr: 0x400_0000, region: shared, perms: PERM_READ | PERM_WRITE, cached: 1, _pad: 0 }],
        irqs: vec![Irq { irq: 33, id: 5, trigger: TRIGGER_LEVEL, _pad: 0 }],
        ends: vec![End { id: 1, peer: 1, peer_id: 2, flags: END_NOTIFY | END_PP }],
        paddr_patches: vec![PaddrPatch { vaddr: 0x20_0008, region: uart, _pad: 0 }],
    });
    b.add_pd(PdDesc {
        name: "server",
        entry: 0x20_0000,
        stack_size: 0x1000,
        parent: Some(0),
        child_id: 3,
        priority: 20,
        flags: PD_ENDPOINT,
        segments: vec![],
        maps: vec![Map { vaddr: 0x400_0000, region: shared, perms: PERM_READ, cached: 1, _pad: 0 }],
        irqs: vec![],
        ends: vec![End { id: 2, peer: 0, peer_id: 1, flags: END_NOTIFY }],
        paddr_patches: vec![],
    });
    b.finish()
}

#[test]
fn round_trip() {
    let blob = sample();
    let spec = Spec::parse(&blob).expect("sample spec parses");
    assert_eq!(spec.pd_count(), 2);
    let client = spec.pd(0).unwrap();
    let server = spec.pd(1).unwrap();
    assert_eq!(spec.name(client.name), "client");
    assert_eq!(spec.name(server.name), "server");
    assert_eq!(server.parent, 0);
    assert_eq!(server.child_id, 3);
    assert_eq!(client.parent, NO_PARENT);
    assert_eq!((client.flags, server.flags), (PD_FPU | PD_DEBUG_SYSCALLS, PD_ENDPOINT));
    let seg: Vec<_> = spec.segments(&client).collect::<Result<_, _>>().unwrap();
    assert_eq!(seg.len(), 1);
    assert_eq!(spec.data(seg[0].data), &[0xaa; 100][..]);
    assert_eq!(spec.maps(&server).next().unwrap().unwrap().perms, PERM_READ);
    assert_eq!(spec.irqs(&client).next().unwrap().unwrap().irq, 33);
    assert_eq!(spec.ends(&client).next().unwrap().unwrap().peer_id, 2);
    let uart = spec.region(1).unwrap();
    assert_eq!(spec.name(uart.name), "uart");
    assert_eq!((uart.flags, uart.phys_addr), (REGION_FIXED, 0x900_0000));
    assert_eq!(spec.paddr_patches(&client).next().unwrap().unwrap().region, 1);
    let shared = spec.region(0).unwrap();
    assert_eq!(spec.data(shared.prefill), &PREFILL[..]);
    assert_eq!(spec.data(uart.prefill), &[] as &[u8]);
}

#[test]
fn refuses_wrong_version_and_magic() {
    let mut blob = sample();
    blob[8] = 1;
    assert_eq!(Spec::parse(&blob).unwrap_err(), SpecError::Version { found: 1 });
    let mut blob = sample();
    blob[0] = b'X';
    assert_eq!(Spec::parse(&blob).unwrap_err(), SpecError::BadMagic);
}

#[test]
fn refuses_truncation_and_flipped_bits() {
    let blob = sample();
    assert!(matches!(Spec::parse(&blob[..blob.len() - 1]), Err(SpecError::TotalSize { .. })));
    assert!(matches!(Spec::parse(&blob[..10]), Err(SpecError::TooShort { .. })));
    let mut flipped = blob.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(Spec::parse(&flipped), Err(SpecError::Checksum { .. })));
}

/// Rewrites a field and re-seals, as a buggy or hostile writer would.
fn reseal(mut blob: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
    blob[at..at + bytes.len()].copy_from_slice(bytes);
    blob[24..32].fill(0);
    let sum = fnv1a(FNV_OFFSET, &blob);
    blob[24..32].copy_from_slice(&sum.to_le_bytes());
    blob
}

#[test]
fn refuses_bad_records_even_with_a_good_checksum() {
    let blob = sample();
    let pds = Spec::parse(&blob).unwrap().header().pds.offset as usize;
    // Pd layout: name(16) entry(8) stack(8) parent(4) child_id(4) priority(1) ...
    let priority = pds + 40;
    let bad = reseal(blob.clone(), priority, &[255]);
    assert!(matches!(Spec::parse(&bad), Err(SpecError::BadValue { what: "pd priority", index: 0, .. })));
    // A flag no monitor knows.
    let bad = reseal(blob.clone(), priority + 1, &[1 << 3]);
    assert!(matches!(Spec::parse(&bad), Err(SpecError::BadValue { what: "pd flags", index: 0, .. })));
    // A child before its parent.
    let parent_of_server = pds + 88 + 32;
    let bad = reseal(blob.clone(), parent_of_server, &1u32.to_le_bytes());
    assert!(matches!(Spec::parse(&bad), Err(SpecError::BadIndex { index: 1, .. })));
    // A segment run past the table's end.
    let segments_of_client = pds + 48;
    let bad = reseal(blob.clone(), segments_of_client, &5u32.to_le_bytes());
    assert!(matches!(Spec::parse(&bad), Err(SpecError::BadIndex { what: "segments of pd", .. })));
    // A table offset past the blob.
    let bad = reseal(blob, 32, &u64::MAX.to_le_bytes());
    assert!(matches!(Spec::parse(&bad), Err(SpecError::OutOfBounds { what: "pd table", .. })));
}

#[test]
fn refuses_a_prefill_outside_the_data_area_or_longer_than_its_region() {
    let blob = sample();
    let header = *Spec::parse(&blob).unwrap().header();
    // Region layout: name(16) size(8) page_size(8) phys_addr(8) prefill(16) ...
    let prefill = header.regions.offset as usize + 40;
    let past_data = header.data.offset + header.data.len;
    let bad = reseal(blob.clone(), prefill, &past_data.to_le_bytes());
    assert_eq!(Spec::parse(&bad).unwrap_err(), SpecError::OutOfBounds { what: "prefill of region", index: 0 });
    let bad = reseal(blob.clone(), prefill + 8, &(header.data.len + 1).to_le_bytes());
    assert_eq!(Spec::parse(&bad).unwrap_err(), SpecError::OutOfBounds { what: "prefill of region", index: 0 });
    // Region 1 ("uart", one page) given the whole data area, which is longer than a page.
    let uart_prefill = prefill + 64;
    let whole = [header.data.offset.to_le_bytes(), header.data.len.to_le_bytes()].concat();
    assert!(header.data.len > 0x1000);
    let flags = header.regions.offset as usize + 64 + 56;
    let unfixed = reseal(blob.clone(), flags, &0u32.to_le_bytes());
    let bad = reseal(unfixed, uart_prefill, &whole);
    assert!(
        matches!(Spec::parse(&bad), Err(SpecError::BadValue { what: "prefill length (longer than the region) of region", index: 1, .. })),
        "{:?}",
        Spec::parse(&bad)
    );
    // A fixed region ("uart") is never prefilled, nor one of 2 MiB pages.
    let bad = reseal(blob.clone(), uart_prefill, &whole[..8]);
    let bad = reseal(bad, uart_prefill + 8, &1u64.to_le_bytes());
    assert!(matches!(Spec::parse(&bad), Err(SpecError::BadValue { what: "prefill (of a fixed or large-page region) of region", index: 1, .. })));
    let page_size = header.regions.offset as usize + 24;
    let size = page_size - 8;
    let large = reseal(blob.clone(), page_size, &abi::LARGE_PAGE_SIZE.to_le_bytes());
    let large = reseal(large, size, &abi::LARGE_PAGE_SIZE.to_le_bytes());
    assert!(matches!(Spec::parse(&large), Err(SpecError::BadValue { what: "prefill (of a fixed or large-page region) of region", index: 0, .. })));
}

proptest! {
    /// Any sealed blob with arbitrary bytes somewhere either parses or gives an
    /// error; every record it hands out is in bounds.
    #[test]
    fn never_panics(at in 0usize..600, bytes in proptest::collection::vec(any::<u8>(), 1..16)) {
        let blob = sample();
        let at = at % blob.len();
        let end = (at + bytes.len()).min(blob.len());
        let blob = reseal(blob, at, &bytes[..end - at]);
        if let Ok(spec) = Spec::parse(&blob) {
            // Every record of a spec that parsed can be read: none is skipped.
            for pd in spec.pds() {
                let pd = pd.expect("a parsed spec's pd reads");
                let _ = spec.name(pd.name);
                for s in spec.segments(&pd) {
                    let s = s.expect("its segments read");
                    prop_assert!(spec.data(s.data).len() as u64 <= s.mem_size);
                }
                for m in spec.maps(&pd) {
                    prop_assert!(spec.region(m.expect("its maps read").region as usize).is_ok());
                }
                prop_assert!(spec.irqs(&pd).all(|r| r.is_ok()));
                prop_assert!(spec.ends(&pd).all(|r| r.is_ok()));
                prop_assert!(spec.paddr_patches(&pd).all(|r| r.is_ok()));
            }
        }
    }
}

/// One PD with these segments (vaddr, mem_size), maps (vaddr) of a
/// two-page region, and `setvar region_paddr` words.
fn layout(segments: &[(u64, u64)], maps: &[u64], patches: &[u64]) -> Result<(), SpecError> {
    let mut b = SpecBuilder::new();
    let region = b.add_region("r", 0x2000, abi::PAGE_SIZE, None, &[]);
    b.add_pd(PdDesc {
        name: "pd",
        entry: 0x20_0000,
        stack_size: 0x2000,
        parent: None,
        child_id: 0,
        priority: 1,
        flags: 0,
        segments: segments.iter().map(|&(vaddr, mem_size)| SegmentDesc { vaddr, mem_size, perms: PERM_READ, bytes: &[] }).collect(),
        maps: maps.iter().map(|&vaddr| Map { vaddr, region, perms: PERM_READ, cached: 1, _pad: 0 }).collect(),
        irqs: vec![],
        ends: vec![],
        paddr_patches: patches.iter().map(|&vaddr| PaddrPatch { vaddr, region, _pad: 0 }).collect(),
    });
    Spec::parse(&b.finish()).map(|_| ())
}

#[test]
fn refuses_layouts_the_monitor_cannot_build() {
    let what = |r: Result<(), SpecError>| match r {
        Err(SpecError::BadValue { what, .. }) => what,
        other => panic!("{other:?}"),
    };
    // Pieces of one segment may share a page; maps sit on other pages.
    assert_eq!(layout(&[(0x20_0000, 0x10), (0x20_0010, 0x1000)], &[0x40_0000, 0x40_2000], &[0x20_0008]), Ok(()));
    assert!(what(layout(&[(0x20_0000, 0x20), (0x20_0010, 0x10)], &[], &[])).contains("overlapping"));
    assert!(what(layout(&[(0x30_0000, 0x10), (0x20_0000, 0x10)], &[], &[])).contains("unsorted"));
    let stack_bottom = abi::STACK_TOP - 0x2000;
    assert!(what(layout(&[(stack_bottom - 0x10, 0x20)], &[], &[])).starts_with("segment of pd"));
    assert!(what(layout(&[], &[0x40_0000, 0x40_1000], &[])).contains("overlapping"));
    assert!(what(layout(&[], &[stack_bottom - 0x1000], &[])).starts_with("map of pd"));
    assert!(what(layout(&[(0x20_0000, 0x10)], &[0x20_0000], &[])).contains("over a program segment"));
    // The region's two pages reach the segment's page.
    assert!(what(layout(&[(0x20_2008, 0x10)], &[0x20_1000], &[])).contains("over a program segment"));
    assert!(what(layout(&[(0x20_0000, 0x10)], &[], &[0x20_000c])).contains("paddr patch"));
    assert!(what(layout(&[(0x20_0000, 0x10)], &[], &[0x20_0010])).contains("paddr patch"));
}

/// A spec with one PD whose segments are `pieces` (vaddr, size) and a
/// `setvar region_paddr` word at `patch`.
fn patched(pieces: &[(u64, u64)], patch: u64) -> Vec<u8> {
    let mut b = SpecBuilder::new();
    let region = b.add_region("r", 0x1000, abi::PAGE_SIZE, None, &[]);
    b.add_pd(PdDesc {
        name: "p",
        entry: 0x20_0000,
        stack_size: 0x1000,
        parent: None,
        child_id: 0,
        priority: 1,
        flags: 0,
        segments: pieces.iter().map(|&(vaddr, mem_size)| SegmentDesc { vaddr, mem_size, perms: PERM_READ, bytes: &[] }).collect(),
        maps: vec![],
        irqs: vec![],
        ends: vec![],
        paddr_patches: vec![PaddrPatch { vaddr: patch, region, _pad: 0 }],
    });
    b.finish()
}

#[test]
fn a_paddr_patch_may_span_pieces_of_one_segment_but_not_a_gap() {
    // The tool splits a segment around a write it made at 0x20_0041: a word
    // at 0x20_0040 spans two pieces (found by the tool's property test).
    let split = [(0x20_0000, 0x41), (0x20_0041, 8), (0x20_0049, 0xb7)];
    assert!(Spec::parse(&patched(&split, 0x20_0040)).is_ok());
    assert!(Spec::parse(&patched(&split, 0x20_00f8)).is_ok());
    // Past the last piece, or across a gap between segments, it is refused.
    assert!(Spec::parse(&patched(&split, 0x20_0100)).is_err());
    let gap = [(0x20_0000, 0x44), (0x20_0048, 0x100)];
    assert!(Spec::parse(&patched(&gap, 0x20_0040)).is_err());
}
