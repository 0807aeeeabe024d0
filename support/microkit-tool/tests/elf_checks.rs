//! The checks that need a PD's ELF, against a minimal AArch64 executable built here.

use microkit_tool::{check, Options, Rule};

/// One PT_LOAD segment at [0x400000, 0x403000) (0x100 bytes in the file)
/// and the given absolute symbols `(name, vaddr, size)`.
fn elf_with_symbols(symbols: &[(&str, u64, u64)]) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut name_offsets = Vec::new();
    for (name, _, _) in symbols {
        name_offsets.push(strtab.len() as u32);
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
    }
    let symtab_size = 24 * (symbols.len() as u64 + 1);
    let segment_data = 0x1000u64;
    let symtab_off = segment_data + 0x100;
    let strtab_off = symtab_off + symtab_size;
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
    for v in [segment_data, 0x40_0000, 0x40_0000, 0x100, 0x3000, 0x1000] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    // The segment's file bytes: a recognisable pattern.
    e.resize(segment_data as usize, 0);
    e.extend((0..0x100u32).map(|i| i as u8));
    e.extend_from_slice(&[0; 24]);
    for (&(_, vaddr, size), name) in symbols.iter().zip(&name_offsets) {
        e.extend_from_slice(&name.to_le_bytes());
        e.extend_from_slice(&[0x11, 0]); // GLOBAL OBJECT
        e.extend_from_slice(&0xfff1u16.to_le_bytes()); // SHN_ABS
        e.extend_from_slice(&vaddr.to_le_bytes());
        e.extend_from_slice(&size.to_le_bytes());
    }
    e.extend_from_slice(&strtab);
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
    section(&mut e, 1, 2, symtab_off, symtab_size, 2, 1, 8, 24); // SHT_SYMTAB
    section(&mut e, 9, 3, strtab_off, strtab.len() as u64, 0, 0, 1, 0); // SHT_STRTAB
    section(&mut e, 17, 3, shstrtab_off, shstrtab.len() as u64, 0, 0, 1, 0);
    e
}

/// A PD program with `good` (8 bytes) and `small` (4 bytes).
fn tiny_elf() -> Vec<u8> {
    elf_with_symbols(&[("good", 0x40_0010, 8), ("small", 0x40_0020, 4)])
}

fn run_with_elf(pd_body: &str) -> microkit_tool::Outcome {
    let dir = std::env::temp_dir().join(format!("microkit-tool-elf-{}-{}", std::process::id(), pd_body.len()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pd.elf"), tiny_elf()).unwrap();
    let xml = format!(
        "<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\"><program_image path=\"pd.elf\"/>\n{pd_body}</protection_domain></system>"
    );
    let outcome = check("system.xml", &xml, &Options { search_paths: vec![], system_dir: dir.clone(), any_board: false });
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
               </protection_domain><protection_domain name=\"b\" debug_syscalls=\"false\">\
               <program_image path=\"pd.elf\"/></protection_domain></system>";
    let options = Options { search_paths: vec![], system_dir: dir.clone(), any_board: false };
    let outcome = check("system.xml", xml, &options);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    let built = build_spec(&outcome.system, &options);
    let elsewhere = Options { search_paths: vec![], system_dir: std::env::temp_dir().join("no-such-dir"), any_board: false };
    let missing = build_spec(&outcome.system, &elsewhere);
    std::fs::remove_dir_all(&dir).unwrap();

    let blob = built.expect("build_spec");
    let spec = monitor_spec::Spec::parse(&blob).expect("the monitor accepts the spec");
    let pd = spec.pd(0).unwrap();
    assert_eq!((spec.name(pd.name), pd.priority, pd.entry), ("a", 7, 0x40_0000));
    let segment = spec.segments(&pd).next().unwrap().unwrap();
    let bytes = spec.data(segment.data);
    // `setvar_vaddr="good"` wrote the map's vaddr over the symbol at 0x400010.
    assert_eq!(bytes[0x10..0x18], 0x40_3000u64.to_le_bytes());
    let map = spec.maps(&pd).next().unwrap().unwrap();
    assert_eq!((map.vaddr, map.perms), (0x40_3000, monitor_spec::PERM_READ));
    // debug_syscalls: true unless the system says false.
    let no_debug = spec.pd(1).unwrap();
    assert_ne!(pd.flags & monitor_spec::PD_DEBUG_SYSCALLS, 0);
    assert_eq!(no_debug.flags & monitor_spec::PD_DEBUG_SYSCALLS, 0);

    assert!(matches!(missing, Err(BuildError::MissingImage { ref pd, .. }) if pd == "a"), "{missing:?}");
    // The image writer needs the monitor's spec-location symbol.
    let refused = microkit_tool::image::root_task_image(&tiny_elf(), &blob);
    assert!(matches!(refused, Err(BuildError::Monitor(ref m)) if m.contains("MONITOR_SPEC_LOCATION")), "{refused:?}");
}

#[test]
fn build_embeds_the_prefill_bytes() {
    use microkit_tool::build::{build_spec, BuildError};
    let dir = std::env::temp_dir().join(format!("microkit-tool-build-prefill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pd.elf"), tiny_elf()).unwrap();
    let table: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("table.bin"), &table).unwrap();
    let xml = "<system><memory_region name=\"m\" size=\"0x1000\"/><memory_region name=\"t\" prefill_path=\"table.bin\"/>\
               <protection_domain name=\"a\"><program_image path=\"pd.elf\"/>\
               <map mr=\"t\" vaddr=\"0x404000\" perms=\"r\"/></protection_domain></system>";
    let options = Options { search_paths: vec![dir.clone()], system_dir: "no-such-dir".into(), any_board: false };
    let outcome = check("system.xml", xml, &options);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    let built = build_spec(&outcome.system, &options);
    std::fs::remove_dir_all(&dir).unwrap();

    let blob = built.expect("build_spec");
    let spec = monitor_spec::Spec::parse(&blob).expect("the monitor accepts the spec");
    let (plain, prefilled) = (spec.region(0).unwrap(), spec.region(1).unwrap());
    assert_eq!(spec.data(plain.prefill), &[] as &[u8]);
    assert_eq!((prefilled.size, spec.data(prefilled.prefill)), (0x2000, table.as_slice()));

    // `check` only notes a missing file; `build` refuses it.
    let mut system = outcome.system;
    system.memory_regions[1].prefill.as_mut().unwrap().bytes = None;
    let missing = build_spec(&system, &options);
    assert!(matches!(missing, Err(BuildError::MissingPrefill { ref mr, ref path }) if mr == "t" && path == "table.bin"), "{missing:?}");
}

#[test]
fn image_appends_the_spec_after_a_guard_page_and_says_where() {
    use microkit_tool::elf::Program;
    let monitor = elf_with_symbols(&[("MONITOR_SPEC_LOCATION", 0x40_0030, 16)]);
    let spec = b"a spec of 27 bytes, any bytes";
    let image = microkit_tool::image::root_task_image(&monitor, spec).expect("image");
    let read = Program::read(&image).expect("the image is an ELF the tool itself can read");
    assert_eq!(read.entry, 0x40_0000);
    let [code, blob] = read.segments.as_slice() else { panic!("segments: {:#?}", read.segments) };
    // The monitor's segment keeps its place, size and flags.
    assert_eq!((code.vaddr, code.mem_size, code.flags), (0x40_0000, 0x3000, 5));
    // The spec follows the monitor's last page (0x403000) after one guard page, read-only.
    assert_eq!((blob.vaddr, blob.mem_size, blob.flags), (0x40_4000, spec.len() as u64, object::elf::PF_R));
    assert_eq!(blob.data, spec);
    // The symbol now holds [vaddr, len]; the bytes around it are untouched.
    assert_eq!(code.data[0x30..0x38], 0x40_4000u64.to_le_bytes());
    assert_eq!(code.data[0x38..0x40], (spec.len() as u64).to_le_bytes());
    assert!(code.data[..0x30].iter().enumerate().all(|(i, &b)| b == i as u8));
    assert!(code.data[0x40..].iter().enumerate().all(|(i, &b)| b == (0x40 + i) as u8));
}

mod generated_elfs {
    //! ELFs the tool must refuse, or handle without blowing up, written with `system_gen::elf`.

    use microkit_tool::build::build_spec;
    use microkit_tool::{check, Options, Outcome, Rule};
    use system_gen::elf::{Elf, Segment, Symbol};

    fn code(vaddr: u64, mem_size: u64) -> Segment {
        Segment { vaddr, mem_size, flags: 5, data: vec![0xaa; 0x40] }
    }

    fn sym(name: &str, vaddr: u64, size: u64) -> Symbol {
        Symbol { name: name.into(), vaddr, size }
    }

    fn elf(segments: Vec<Segment>, symbols: Vec<Symbol>) -> Elf {
        Elf { entry: 0x40_0000, segments, symbols, symbol_table: true }
    }

    /// Checks (and, when valid, builds) a PD whose image is `image`, with `body` inside it.
    fn run(image: &Elf, body: &str) -> (Outcome, Option<Vec<u8>>) {
        let dir = std::env::temp_dir().join(format!("microkit-tool-gen-elf-{}-{:x}", std::process::id(), body.len() ^ image.segments.len() << 8 ^ image.symbols.len() << 16));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pd.elf"), image.to_bytes()).unwrap();
        let xml = format!("<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\"><program_image path=\"pd.elf\"/>\n{body}</protection_domain></system>");
        let options = Options { search_paths: vec![dir.clone()], ..Default::default() };
        let outcome = check("system.xml", &xml, &options);
        let spec = outcome.is_valid().then(|| build_spec(&outcome.system, &options).expect("a checked system builds"));
        std::fs::remove_dir_all(&dir).unwrap();
        (outcome, spec)
    }

    fn rules(outcome: &Outcome) -> Vec<Rule> {
        outcome.errors.iter().filter_map(|e| e.rule().cloned()).collect()
    }

    fn bad_elf(image: Elf) -> String {
        match rules(&run(&image, "").0).as_slice() {
            [Rule::BadElf { reason, .. }] => reason.clone(),
            other => panic!("{other:#?}"),
        }
    }

    #[test]
    fn malformed_programs_are_refused() {
        assert!(bad_elf(elf(vec![], vec![])).contains("no loadable segment"));
        assert!(bad_elf(Elf { symbol_table: false, ..elf(vec![code(0x40_0000, 0x1000)], vec![]) }).contains("no symbol table"));
        let overlapping = elf(vec![code(0x40_0000, 0x2000), code(0x40_1000, 0x1000)], vec![]);
        assert!(bad_elf(overlapping).contains("overlap"));
        let too_high = elf(vec![code(0x7fff_ffff_f000, 0x2000)], vec![]);
        assert!(bad_elf(too_high).contains("above user space"));
    }

    #[test]
    fn a_map_inside_a_later_segment_is_seen() {
        // Sorted by start, the first segment's end no longer hides the second.
        let image = elf(vec![code(0x40_0000, 0x1000), code(0x80_0000, 0x10_0000)], vec![]);
        let (outcome, _) = run(&image, "<map mr=\"m\" vaddr=\"0x810000\"/>");
        assert!(matches!(rules(&outcome).as_slice(), [Rule::MapElfOverlap { seg_start: 0x80_0000, .. }]), "{:#?}", outcome.errors);
    }

    #[test]
    fn setvar_symbols_must_be_one_aligned_word_inside_a_segment() {
        let symbols = vec![sym("twice", 0x40_0010, 8), sym("twice", 0x40_0018, 8), sym("outside", 0x50_0000, 8), sym("odd", 0x40_0024, 8)];
        let image = elf(vec![code(0x40_0000, 0x1000)], symbols);
        let body = "<setvar symbol=\"twice\" region_paddr=\"m\"/><setvar symbol=\"outside\" region_paddr=\"m\"/><setvar symbol=\"odd\" region_paddr=\"m\"/>";
        let found = rules(&run(&image, body).0);
        assert!(matches!(found.as_slice(), [
            Rule::DuplicateElfSymbol { symbol: a, .. },
            Rule::SymbolOutsideSegments { symbol: b, .. },
            Rule::SymbolUnaligned { symbol: c, vaddr: 0x40_0024, .. },
        ] if a == "twice" && b == "outside" && c == "odd"), "{found:#?}");
        // An unaligned setvar_vaddr is fine: the tool writes it, not the monitor.
        let image = elf(vec![code(0x40_0000, 0x1000)], vec![sym("odd", 0x40_0024, 8)]);
        assert!(run(&image, "<map mr=\"m\" vaddr=\"0x1000000\" setvar_vaddr=\"odd\"/>").0.is_valid());
    }

    #[test]
    fn runtime_symbols_are_checked_like_setvars() {
        let image = elf(vec![code(0x40_0000, 0x1000)], vec![sym("microkit_pps", 0x40_0010, 4), sym("microkit_irqs", 0x40_2000, 8)]);
        let found = rules(&run(&image, "").0);
        assert!(matches!(found.as_slice(), [Rule::SymbolSize { size: 4, expected: 8, .. }, Rule::SymbolOutsideSegments { .. }]), "{found:#?}");
    }

    #[test]
    fn a_symbol_deep_in_a_large_bss_costs_only_its_bytes() {
        // 16 GiB of .bss with the PD's name at its far end.
        let bss = Segment { vaddr: 0x100_0000, mem_size: 0x4_0000_0000, flags: 6, data: vec![1; 16] };
        let image = elf(vec![code(0x40_0000, 0x1000), bss], vec![sym("microkit_name", 0x4_00ff_ff00, 64)]);
        let (outcome, spec) = run(&image, "");
        assert!(outcome.is_valid(), "{:#?}", outcome.errors);
        let spec = spec.unwrap();
        assert!(spec.len() < 0x10000, "spec is {} bytes", spec.len());
        let parsed = monitor_spec::Spec::parse(&spec).expect("the monitor accepts it");
        let pd = parsed.pd(0).unwrap();
        let segments: Vec<_> = parsed.segments(&pd).collect::<Result<_, _>>().unwrap();
        let name = segments.iter().find(|s| s.vaddr == 0x4_00ff_ff00).expect("a piece holds the name");
        assert_eq!((name.mem_size, &parsed.data(name.data)[..2]), (64, &b"a\0"[..]));
        let total: u64 = segments.iter().map(|s| s.mem_size).sum();
        assert_eq!(total, 0x1000 + 0x4_0000_0000, "the pieces cover the segments exactly");
    }

    /// Builds `xml` whose PDs all run `pd.elf`, `image`; returns the spec.
    fn build_with(image: &Elf, xml: &str, tag: &str) -> Result<Vec<u8>, String> {
        let dir = std::env::temp_dir().join(format!("microkit-tool-peers-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pd.elf"), image.to_bytes()).unwrap();
        let options = Options { search_paths: vec![dir.clone()], ..Default::default() };
        let outcome = check("system.xml", xml, &options);
        let spec = outcome.is_valid().then(|| build_spec(&outcome.system, &options).expect("a checked system builds"));
        std::fs::remove_dir_all(&dir).unwrap();
        spec.ok_or_else(|| format!("{:#?}", outcome.errors))
    }

    const PEERS: u64 = 62 * 64;

    #[test]
    fn channel_peers_name_the_pd_at_the_other_end_of_each_id() {
        let data = Segment { vaddr: 0x41_0000, mem_size: 0x1000, flags: 6, data: vec![0xaa; 0x1000] };
        let image = elf(vec![code(0x40_0000, 0x1000), data], vec![sym("microkit_channel_peers", 0x41_0000, PEERS)]);
        let long = "p".repeat(64);
        let xml = format!(
            "<system><protection_domain name=\"driver\" priority=\"9\"><program_image path=\"pd.elf\"/><irq irq=\"33\" id=\"5\"/></protection_domain>\
             <protection_domain name=\"b\"><program_image path=\"pd.elf\"/></protection_domain>\
             <protection_domain name=\"{long}\"><program_image path=\"pd.elf\"/></protection_domain>\
             <channel><end pd=\"driver\" id=\"3\"/><end pd=\"b\" id=\"0\"/></channel>\
             <channel><end pd=\"{long}\" id=\"1\" notify=\"false\"/><end pd=\"driver\" id=\"61\"/></channel></system>"
        );
        let spec = build_with(&image, &xml, "names").unwrap_or_else(|errors| panic!("{errors}"));
        let parsed = monitor_spec::Spec::parse(&spec).expect("the monitor accepts it");
        let table = |index: usize| -> Vec<u8> {
            let pd = parsed.pd(index).unwrap();
            let segments: Vec<_> = parsed.segments(&pd).collect::<Result<_, _>>().unwrap();
            let piece = segments.iter().find(|s| s.vaddr == 0x41_0000).expect("the data segment");
            parsed.data(piece.data)[..PEERS as usize].to_vec()
        };
        let driver = table(0);
        let entry = |t: &[u8], id: usize| t[id * 64..(id + 1) * 64].to_vec();
        let padded = |name: &[u8]| [name, &vec![0; 64 - name.len()]].concat();
        assert_eq!(entry(&driver, 3), padded(b"b"));
        // A name of 64 bytes (the longest the monitor takes) fills the entry, with no NUL.
        assert_eq!(entry(&driver, 61), long.as_bytes().to_vec());
        // An IRQ and an unused id have no peer: all NUL, whatever the image held.
        assert_eq!(entry(&driver, 5), vec![0; 64]);
        assert!((0..62).filter(|&id| id != 3 && id != 61).all(|id| entry(&driver, id) == vec![0; 64]));
        // Each PD sees its own ends: b's channel 0 leads to the driver.
        assert_eq!(entry(&table(1), 0), padded(b"driver"));
        assert_eq!(entry(&table(2), 1), padded(b"driver"));
        // The bytes after the table are the image's.
        let pd = parsed.pd(0).unwrap();
        let segments: Vec<_> = parsed.segments(&pd).collect::<Result<_, _>>().unwrap();
        let piece = segments.iter().find(|s| s.vaddr == 0x41_0000).unwrap();
        assert!(parsed.data(piece.data)[PEERS as usize..].iter().all(|&b| b == 0xaa));
    }

    #[test]
    fn a_channel_peers_table_of_the_wrong_size_is_refused() {
        let image = elf(vec![code(0x40_0000, 0x2000)], vec![sym("microkit_channel_peers", 0x40_0000, 62 * 32)]);
        let found = rules(&run(&image, "").0);
        assert!(
            matches!(found.as_slice(), [Rule::SymbolSize { symbol, size: 1984, expected: 3968, .. }] if symbol == "microkit_channel_peers"),
            "{found:#?}"
        );
    }

    #[test]
    fn a_monitor_near_the_top_leaves_no_room_and_says_so() {
        let monitor = elf(vec![code(0x7fff_ffff_d000, 0x2000)], vec![sym("MONITOR_SPEC_LOCATION", 0x7fff_ffff_d010, 16)]);
        let refused = microkit_tool::image::root_task_image(&monitor.to_bytes(), &[0; 64]);
        assert!(matches!(refused, Err(microkit_tool::build::BuildError::Monitor(ref m)) if m.contains("no room")), "{refused:?}");
    }
}
