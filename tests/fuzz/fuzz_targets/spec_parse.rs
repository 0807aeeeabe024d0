//! The monitor's `Spec::parse` on raw blobs, on resealed blobs (past the
//! checksum), and on specs the writer made from arbitrary records and then
//! damaged: it refuses or accepts, never panics, and what it accepts only
//! hands out records in bounds.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use monitor_spec::*;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let blob = match u.int_in_range(0u8..=2) {
        Ok(0) => u.take_rest().to_vec(),
        Ok(1) => {
            let mut blob = u.take_rest().to_vec();
            seal(&mut blob);
            blob
        }
        _ => match written(&mut u) {
            Ok(blob) => blob,
            Err(_) => return,
        },
    };
    let Ok(spec) = Spec::parse(&blob) else { return };
    // Every record of a spec that parsed reads, and lies in bounds.
    for pd in spec.pds() {
        let pd = pd.expect("a parsed spec's pd reads");
        let _ = spec.name(pd.name);
        for s in spec.segments(&pd) {
            let s = s.expect("its segments read");
            assert!(spec.data(s.data).len() as u64 <= s.mem_size);
            assert!(s.vaddr + s.mem_size <= abi::USER_TOP);
        }
        for m in spec.maps(&pd) {
            assert!(spec.region(m.expect("its maps read").region as usize).is_ok());
        }
        assert!(spec.irqs(&pd).all(|r| r.is_ok()));
        assert!(spec.ends(&pd).all(|r| r.is_ok()));
        assert!(spec.paddr_patches(&pd).all(|r| r.is_ok()));
    }
});

fn pick(u: &mut Unstructured, common: &[u64]) -> Result<u64> {
    if u.ratio(1, 8)? {
        u.arbitrary()
    } else {
        Ok(*u.choose(common)?)
    }
}

/// A spec the writer makes from arbitrary records, then a few bytes changed
/// and the blob resealed.
fn written(u: &mut Unstructured) -> Result<Vec<u8>> {
    let mut b = SpecBuilder::new();
    let regions = u.int_in_range(0..=3)?;
    for r in 0..regions {
        let page_size = pick(u, &[abi::PAGE_SIZE, abi::LARGE_PAGE_SIZE])?;
        let fixed = if u.arbitrary()? { Some(pick(u, &[0x900_0000, 0x5000_0000])?) } else { None };
        let prefill: Vec<u8> = (0..*u.choose(&[0usize, 1, 0x1000, 0x1001])?).map(|i| i as u8).collect();
        b.add_region(&format!("r{r}"), pick(u, &[0x1000, 0x2000, 0x20_0000])?, page_size, fixed, &prefill);
    }
    let bytes: Vec<u8> = (0..u.int_in_range(0..=64)?).map(|i| i as u8).collect();
    let pds = u.int_in_range(1..=4)?;
    for i in 0..pds {
        let segments = (0..u.int_in_range(0..=3)?)
            .map(|k| {
                Ok(SegmentDesc {
                    vaddr: pick(u, &[0x20_0000 + k * 0x1000, 0x20_0000 + k * 0x10])?,
                    mem_size: pick(u, &[0x10, 0x1000])?,
                    perms: *u.choose(&[PERM_READ, PERM_READ | PERM_EXECUTE, 8])?,
                    bytes: &bytes[..u.int_in_range(0..=bytes.len())?],
                })
            })
            .collect::<Result<_>>()?;
        let maps = (0..u.int_in_range(0..=2)?)
            .map(|k| Ok(Map { vaddr: pick(u, &[0x1000_0000 + k * 0x20_0000])?, region: u.int_in_range(0..=3)?, perms: *u.choose(&[PERM_READ, PERM_READ | PERM_WRITE, PERM_WRITE])?, cached: u.int_in_range(0..=1)?, _pad: 0 }))
            .collect::<Result<_>>()?;
        let irqs = (0..u.int_in_range(0..=1)?)
            .map(|_| Ok(Irq { irq: u.arbitrary()?, id: pick(u, &[1, 25])? as u32, trigger: u.int_in_range(0..=2)?, _pad: 0 }))
            .collect::<Result<_>>()?;
        let ends = (0..u.int_in_range(0..=2)?)
            .map(|_| Ok(End { id: pick(u, &[0, 1, 61])? as u32, peer: u.int_in_range(0..=4)?, peer_id: pick(u, &[0, 25])? as u32, flags: u.int_in_range(0..=4)? }))
            .collect::<Result<_>>()?;
        let paddr_patches = (0..u.int_in_range(0..=1)?)
            .map(|_| Ok(PaddrPatch { vaddr: pick(u, &[0x20_0008])?, region: u.int_in_range(0..=3)?, _pad: 0 }))
            .collect::<Result<_>>()?;
        b.add_pd(PdDesc {
            name: &format!("pd{i}"),
            entry: 0x20_0000,
            stack_size: pick(u, &[0x1000, 0x2000])?,
            parent: if i > 0 && u.arbitrary()? { Some(u.int_in_range(0..=i)?) } else { None },
            child_id: u.int_in_range(0..=64)?,
            priority: u.arbitrary()?,
            flags: u.int_in_range(0..=3)?,
            segments,
            maps,
            irqs,
            ends,
            paddr_patches,
        });
    }
    let mut blob = b.finish();
    for _ in 0..u.int_in_range(0..=4)? {
        let at = u.choose_index(blob.len())?;
        blob[at] = u.arbitrary()?;
    }
    seal(&mut blob);
    Ok(blob)
}
