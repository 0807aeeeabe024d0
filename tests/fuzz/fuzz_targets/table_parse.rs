//! The exclaves resource table's `Table::parse` (what XNU reads at boot) on
//! raw blobs, on resealed blobs (past the checksum), and on tables the writer
//! made from arbitrary resources and then damaged: it refuses or accepts,
//! never panics, and what it accepts looks up every resource it lists.
#![no_main]

use arbitrary::{Result, Unstructured};
use exclaves_table::*;
use libfuzzer_sys::fuzz_target;

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
            Ok(Some(blob)) => blob,
            _ => return,
        },
    };
    let Ok(table) = Table::parse(&blob) else { return };
    for d in table.domains() {
        assert_eq!(table.domain(d.name()).map(|x| x.name()), Some(d.name()));
        for r in d.resources() {
            assert_eq!(r.domain, d.name());
            assert_eq!(table.lookup(d.name(), r.name, r.kind), r.connected.then_some(r));
            if r.kind == ResourceType::Service {
                assert!(r.id < MAX_SERVICE_ID);
            }
        }
    }
    for (program, e) in table.entitled_programs() {
        assert_eq!(table.entitlements(program), Some(e));
    }
});

/// A table the writer makes from arbitrary resources (if it accepts them),
/// then a few bytes changed and the blob resealed.
fn written(u: &mut Unstructured) -> Result<Option<Vec<u8>>> {
    let mut b = TableBuilder::new();
    let domains = ["kernel", "darwin", "conclave.a"];
    let names = ["echo", "hello", "mic", "conclave.a", ""];
    for _ in 0..u.int_in_range(0..=8)? {
        let kind = *u.choose(&ResourceType::ALL)?;
        let backing = match kind {
            ResourceType::Sensor => Backing::Sensor(*u.choose(&SensorKind::ALL)?),
            ResourceType::SharedMemory | ResourceType::ArbitratedAudioMemory => Backing::Memory {
                vaddr: *u.choose(&[0x600_0000, 0x600_0010, u64::MAX & !0xfff])?,
                size: *u.choose(&[0x1000, 0x2000, 0, 0x800])?,
                perms: *u.choose(&[BufferPerms::OUTBOUND, BufferPerms::INBOUND])?,
            },
            _ => Backing::Channel(u.int_in_range(0..=63)?),
        };
        let id = *u.choose(&[0, 1, 2, 191, 192, u64::MAX])?;
        b.add_resource(u.choose(&domains)?, u.choose(&names)?, kind, id, backing, u.arbitrary()?);
    }
    b.add_entitlement(u.choose(&["launchd", "sh"])?, Entitlements(u.int_in_range(0..=63)?));
    let Ok(mut blob) = b.finish() else { return Ok(None) };
    for _ in 0..u.int_in_range(0..=4)? {
        let at = u.choose_index(blob.len())?;
        blob[at] = u.arbitrary()?;
    }
    seal(&mut blob);
    Ok(Some(blob))
}
