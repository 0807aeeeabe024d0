//! The checks that need a PD's ELF, against a minimal AArch64 executable built here.

use microkit_tool::{check, Options, Rule};

/// One PT_LOAD segment at [0x400000, 0x403000) and two absolute symbols:
/// `good` (8 bytes) and `small` (4 bytes).
fn tiny_elf() -> Vec<u8> {
    let strtab = b"\0good\0small\0";
    let symtab_off = 64 + 56;
    let strtab_off = symtab_off + 3 * 24;
    let shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0";
    let shstrtab_off = strtab_off + strtab.len() as u64;
    let shoff = (shstrtab_off + shstrtab.len() as u64).next_multiple_of(8);
    let mut e = Vec::new();
    e.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    e.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&0x40_0000u64.to_le_bytes()); // entry
    e.extend_from_slice(&64u64.to_le_bytes()); // phoff
    e.extend_from_slice(&shoff.to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    for v in [64u16, 56, 1, 64, 4, 3] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    e.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    e.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for v in [0u64, 0x40_0000, 0x40_0000, 0x100, 0x3000, 0x1000] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    e.extend_from_slice(&[0; 24]);
    for (name, size) in [(1u32, 8u64), (6, 4)] {
        e.extend_from_slice(&name.to_le_bytes());
        e.extend_from_slice(&[0x11, 0]); // GLOBAL OBJECT
        e.extend_from_slice(&0xfff1u16.to_le_bytes()); // SHN_ABS
        e.extend_from_slice(&0x40_0010u64.to_le_bytes());
        e.extend_from_slice(&size.to_le_bytes());
    }
    e.extend_from_slice(strtab);
    e.extend_from_slice(shstrtab);
    e.resize(shoff as usize, 0);
    e.extend_from_slice(&[0; 64]);
    let section = |e: &mut Vec<u8>, name: u32, kind: u32, off: u64, size: u64, link: u32, info: u32, align: u64, entsize: u64| {
        e.extend_from_slice(&name.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        for v in [0u64, 0, off, size] {
            e.extend_from_slice(&v.to_le_bytes());
        }
        e.extend_from_slice(&link.to_le_bytes());
        e.extend_from_slice(&info.to_le_bytes());
        e.extend_from_slice(&align.to_le_bytes());
        e.extend_from_slice(&entsize.to_le_bytes());
    };
    section(&mut e, 1, 2, symtab_off, 72, 2, 1, 8, 24); // SHT_SYMTAB
    section(&mut e, 9, 3, strtab_off, strtab.len() as u64, 0, 0, 1, 0); // SHT_STRTAB
    section(&mut e, 17, 3, shstrtab_off, shstrtab.len() as u64, 0, 0, 1, 0);
    e
}

fn run_with_elf(pd_body: &str) -> microkit_tool::Outcome {
    let dir = std::env::temp_dir().join(format!("microkit-tool-elf-{}-{}", std::process::id(), pd_body.len()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pd.elf"), tiny_elf()).unwrap();
    let xml = format!(
        "<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\"><program_image path=\"pd.elf\"/>\n{pd_body}</protection_domain></system>"
    );
    let outcome = check("system.xml", &xml, &Options { search_paths: vec![], system_dir: dir.clone() });
    std::fs::remove_dir_all(&dir).unwrap();
    outcome
}

#[test]
fn good_symbols_and_maps_pass() {
    let outcome = run_with_elf("<map mr=\"m\" vaddr=\"0x403000\" setvar_vaddr=\"good\"/>");
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    assert!(outcome.notes.is_empty());
}

#[test]
fn map_over_a_segment_is_an_error() {
    let outcome = run_with_elf("<map mr=\"m\" vaddr=\"0x402000\"/>");
    assert!(matches!(outcome.errors.as_slice(), [e] if matches!(e.rule(), Some(Rule::MapElfOverlap { .. }))), "{:#?}", outcome.errors);
}

#[test]
fn symbols_must_exist_and_be_8_bytes() {
    let outcome = run_with_elf("<setvar symbol=\"small\" region_paddr=\"m\"/><setvar symbol=\"none\" region_paddr=\"m\"/>");
    let rules: Vec<_> = outcome.errors.iter().filter_map(|e| e.rule()).collect();
    assert!(matches!(rules.as_slice(), [Rule::SymbolSize { size: 4, .. }, Rule::MissingSymbol { .. }]), "{rules:#?}");
}

#[test]
fn build_patches_the_program_and_writes_a_spec_the_monitor_accepts() {
    use microkit_tool::build::{build_spec, BuildError};
    let dir = std::env::temp_dir().join(format!("microkit-tool-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pd.elf"), tiny_elf()).unwrap();
    let xml = "<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\" priority=\"7\">\
               <program_image path=\"pd.elf\"/><map mr=\"m\" vaddr=\"0x403000\" perms=\"r\" setvar_vaddr=\"good\"/>\
               </protection_domain></system>";
    let options = Options { search_paths: vec![], system_dir: dir.clone() };
    let outcome = check("system.xml", xml, &options);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    let built = build_spec(&outcome.system, &options);
    let elsewhere = Options { search_paths: vec![], system_dir: std::env::temp_dir().join("no-such-dir") };
    let missing = build_spec(&outcome.system, &elsewhere);
    std::fs::remove_dir_all(&dir).unwrap();

    let blob = built.expect("build_spec");
    let spec = monitor_spec::Spec::parse(&blob).expect("the monitor accepts the spec");
    let pd = spec.pd(0).unwrap();
    assert_eq!((spec.name(pd.name), pd.priority, pd.entry), ("a", 7, 0x40_0000));
    let segment = spec.segments(&pd).next().unwrap();
    let bytes = spec.data(segment.data);
    // `setvar_vaddr="good"` wrote the map's vaddr over the symbol at 0x400010.
    assert_eq!(bytes[0x10..0x18], 0x40_3000u64.to_le_bytes());
    let map = spec.maps(&pd).next().unwrap();
    assert_eq!((map.vaddr, map.perms), (0x40_3000, monitor_spec::PERM_READ));

    assert!(matches!(missing, Err(BuildError::MissingImage { ref pd, .. }) if pd == "a"), "{missing:?}");
    // The image writer needs the monitor's spec-location symbol.
    let refused = microkit_tool::image::root_task_image(&tiny_elf(), &blob);
    assert!(matches!(refused, Err(BuildError::Monitor(ref m)) if m.contains("MONITOR_SPEC_LOCATION")), "{refused:?}");
}
