//! The XNU personality's boot filesystem reader and program checks on raw
//! bytes, on archives the packer made from arbitrary files, and on those
//! archives damaged: they refuse or accept, never panic, and what they
//! accept lies in bounds.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use xnu_bootfs::{program, BootFs};

/// An archive the packer wrote from arbitrary names and contents.
fn packed(u: &mut Unstructured) -> Result<Vec<u8>> {
    let files: Vec<(String, Vec<u8>)> = u.arbitrary()?;
    Ok(xnu_bootfs::write(&files).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let bytes = match u.int_in_range(0u8..=2) {
        Ok(0) => u.take_rest().to_vec(),
        Ok(1) => match packed(&mut u) {
            Ok(b) => b,
            Err(_) => return,
        },
        _ => {
            let Ok(mut b) = packed(&mut u) else { return };
            // Damage up to eight bytes where the fuzzer says.
            let damage = u.int_in_range(0u8..=8).unwrap_or(0);
            for _ in 0..damage {
                let (Ok(at), Ok(v)) = (u.arbitrary::<usize>(), u.arbitrary::<u8>()) else { break };
                let len = b.len().max(1);
                if let Some(byte) = b.get_mut(at % len) {
                    *byte = v;
                }
            }
            b
        }
    };
    // Any file's bytes, and the whole input, go through the program checks.
    let _ = program::parse(&bytes).map(|p| {
        for s in p.segments() {
            assert!(s.data.len() as u64 <= s.memsz);
        }
    });
    let Ok(fs) = BootFs::parse(&bytes) else { return };
    for f in fs.files() {
        assert!(!f.name.is_empty());
        assert!(fs.find(f.name).is_some());
        let _ = program::parse(f.data);
    }
});
