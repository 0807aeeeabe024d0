//! One valid system per feature, and at least one invalid case per rule, checking
//! the rule, the element and the line:column of the error.

mod common;

use common::run;
use microkit_tool::{Error, Rule};

const PD: &str = r#"<protection_domain name="a" priority="10"><program_image path="a.elf"/></protection_domain>"#;

/// Asserts `xml` fails with an error matching `want` on `element` at `line:col`.
fn fails(xml: &str, element: &str, line: u32, col: u32, want: fn(&Rule) -> bool) {
    let outcome = run(xml);
    let found = outcome.errors.iter().any(|e| match e {
        Error::Rule { element: el, pos, rule, .. } => {
            el == element && pos.line == line && pos.col == col && want(rule)
        }
        Error::Xml { .. } | Error::Unreadable { .. } => false,
    });
    assert!(found, "expected error on '{element}' at {line}:{col}; got {:#?}", outcome.errors);
}

fn valid(xml: &str) {
    let outcome = run(xml);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
}

#[test]
fn valid_features() {
    valid(&format!("<system>{PD}</system>"));
    valid(r#"<system><!-- c --><memory_region name="m" size="0x200_000" page_size="0x200000" phys_addr="0x4000_0000"/>
        <protection_domain name="a" priority="254" stack_size="0x10000" fpu="false" cpu="0" debug_syscalls="false">
          <program_image path="a.elf"/>
          <map mr="m" vaddr="0x2_000_000" perms="rwx" cached="false" setvar_vaddr="m_vaddr"/>
          <irq irq="33" id="4" trigger="edge"/>
          <setvar symbol="m_paddr" region_paddr="m"/>
          <protection_domain name="child" id="63" setvar_id="child_id" priority="1">
            <program_image path="c.elf"/>
            <protection_domain name="grandchild" id="0"><program_image path="g.elf"/></protection_domain>
          </protection_domain>
        </protection_domain>
        <protection_domain name="b" priority="3"><program_image path="b.elf"/></protection_domain>
        <channel><end pd="b" id="61" pp="true" notify="false"/><end pd="a" id="0" notify="false"/></channel>
        </system>"#);
}

#[test]
fn debug_syscalls_default_to_true() {
    let outcome = run(&format!("<system>{PD}{}</system>", PD.replace("\"a\"", "\"b\" debug_syscalls=\"false\"")));
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    let flags: Vec<bool> = outcome.system.protection_domains.iter().map(|pd| pd.debug_syscalls).collect();
    assert_eq!(flags, [true, false]);
}

#[test]
fn mcs_attributes_and_unmapped_regions_warn() {
    let outcome = run(r#"<system><memory_region name="m" size="4096"/>
        <protection_domain name="a" budget="10" period="20" passive="true"><program_image path="a"/></protection_domain></system>"#);
    assert!(outcome.is_valid());
    let text: Vec<String> = outcome.warnings.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|w| w.contains("budget, period, passive accepted but not enforced")), "{text:?}");
    assert!(text.iter().any(|w| w.contains("'m' is not mapped")), "{text:?}");
}

#[test]
fn malformed_xml_reports_parser_position() {
    let outcome = run("<system>\n  <protection_domain name=\"a\">\n</system>");
    match outcome.errors.as_slice() {
        [Error::Xml { pos, .. }] => assert_eq!(pos.line, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn structure_rules() {
    fails("<sys/>", "sys", 1, 1, |r| matches!(r, Rule::Root(_)));
    fails("<system>\n <foo/></system>", "foo", 2, 2, |r| matches!(r, Rule::UnknownElement(_)));
    fails("<system x=\"1\"/>", "system", 1, 1, |r| matches!(r, Rule::UnknownAttribute(_)));
    fails("<system>hi</system>", "system", 1, 1, |r| matches!(r, Rule::Text(_)));
    fails("<system><memory_region size=\"4096\"/></system>", "memory_region", 1, 9, |r| {
        *r == Rule::MissingAttribute("name")
    });
    fails("<system><memory_region name=\"m\" size=\"4k\"/></system>", "memory_region", 1, 9, |r| {
        matches!(r, Rule::BadNumber { attr: "size", .. })
    });
    fails(&format!("<system>{}</system>", PD.replace("priority=\"10\"", "fpu=\"yes\"")), "protection_domain", 1, 9, |r| {
        matches!(r, Rule::BadBool { attr: "fpu", .. })
    });
    // Our extension takes only true or false, as Microkit's booleans do.
    for value in ["no", "0", "False", ""] {
        let xml = format!("<system>\n{}</system>", PD.replace("priority=\"10\"", &format!("debug_syscalls=\"{value}\"")));
        fails(&xml, "protection_domain", 2, 1, |r| matches!(r, Rule::BadBool { attr: "debug_syscalls", .. }));
    }
}

#[test]
fn protection_domain_rules() {
    let pd = |attrs: &str| format!("<system>\n  <protection_domain name=\"a\" {attrs}><program_image path=\"a\"/></protection_domain></system>");
    let at = |xml: &str, want: fn(&Rule) -> bool| fails(xml, "protection_domain", 2, 3, want);
    at(&pd("priority=\"255\""), |r| *r == Rule::Priority(255));
    at(&pd("budget=\"1000\" period=\"100\""), |r| matches!(r, Rule::BudgetGtPeriod { budget: 1000, period: 100 }));
    at(&pd("stack_size=\"0x800\""), |r| matches!(r, Rule::StackSizeRange(_)));
    at(&pd("stack_size=\"0x2000000\""), |r| matches!(r, Rule::StackSizeRange(_)));
    at(&pd("stack_size=\"0x1800\""), |r| matches!(r, Rule::StackSizeAlign(_)));
    at(&pd("cpu=\"1\""), |r| *r == Rule::Cpu(1));
    at(&pd("id=\"1\""), |r| *r == Rule::ChildOnly("id"));
    at("<system>\n  <protection_domain name=\"a\"/></system>", |r| *r == Rule::ProgramImageCount(0));
    at("<system>\n  <protection_domain name=\"a\"><program_image path=\"a\"/><program_image path=\"b\"/></protection_domain></system>", |r| {
        *r == Rule::ProgramImageCount(2)
    });
    fails(&format!("<system>{PD}\n{PD}</system>"), "protection_domain", 2, 1, |r| matches!(r, Rule::DuplicatePdName(_)));
    fails("<system>\n<protection_domain name=\"monitor\"><program_image path=\"a\"/></protection_domain></system>", "protection_domain", 2, 1, |r| {
        *r == Rule::ReservedName
    });
}

#[test]
fn child_rules() {
    let child = |id: &str| format!("<protection_domain name=\"c{id}\" id=\"{id}\"><program_image path=\"c\"/></protection_domain>");
    let xml = format!("<system><protection_domain name=\"p\"><program_image path=\"p\"/>\n{}\n{}</protection_domain></system>", child("64"), child("1"));
    fails(&xml, "protection_domain", 2, 1, |r| *r == Rule::ChildIdRange(64));
    let xml = format!("<system><protection_domain name=\"p\"><program_image path=\"p\"/>\n{}{}</protection_domain></system>", child("1"), child("1").replace("c1\"", "d\""));
    fails(&xml, "protection_domain", 2, 82, |r| matches!(r, Rule::DuplicateChildId { id: 1, .. }));
    let xml = "<system><protection_domain name=\"p\"><program_image path=\"p\"/>\n<protection_domain name=\"c\"><program_image path=\"c\"/></protection_domain></protection_domain></system>";
    fails(xml, "protection_domain", 2, 1, |r| *r == Rule::MissingAttribute("id"));
}

#[test]
fn too_many_pds() {
    let mut xml = String::from("<system>");
    for i in 0..64 {
        xml += &format!("\n<protection_domain name=\"p{i}\"><program_image path=\"p\"/></protection_domain>");
    }
    fails(&(xml + "</system>"), "protection_domain", 65, 1, |r| *r == Rule::TooManyPds(64));
}

#[test]
fn memory_region_rules() {
    let mr = |attrs: &str| format!("<system>\n <memory_region name=\"m\" {attrs}/></system>");
    let at = |xml: &str, want: fn(&Rule) -> bool| fails(xml, "memory_region", 2, 2, want);
    at(&mr("size=\"0x1001\""), |r| matches!(r, Rule::SizeNotMultiple { .. }));
    at(&mr("size=\"0x3000\" page_size=\"0x2000\""), |r| *r == Rule::PageSize(0x2000));
    at(&mr("size=\"0x200000\" page_size=\"0x200000\" phys_addr=\"0x1000\""), |r| matches!(r, Rule::PhysAlign { .. }));
    at(&mr("size=\"0\""), |r| *r == Rule::SizeZero);
    fails("<system><memory_region name=\"m\" size=\"4096\"/>\n<memory_region name=\"m\" size=\"4096\"/></system>", "memory_region", 2, 1, |r| {
        matches!(r, Rule::DuplicateRegionName(_))
    });
    fails("<system><memory_region name=\"a\" size=\"0x2000\" phys_addr=\"0x1000\"/>\n<memory_region name=\"b\" size=\"0x1000\" phys_addr=\"0x2000\"/></system>", "memory_region", 2, 1, |r| {
        matches!(r, Rule::PhysOverlap { .. })
    });
}

fn with_maps(maps: &str) -> String {
    format!("<system><memory_region name=\"m\" size=\"0x2000\"/><memory_region name=\"big\" size=\"0x200000\" page_size=\"0x200000\"/><protection_domain name=\"a\"><program_image path=\"a\"/>\n{maps}</protection_domain></system>")
}

#[test]
fn map_rules() {
    let at = |maps: &str, col: u32, want: fn(&Rule) -> bool| fails(&with_maps(maps), "map", 2, col, want);
    at("<map mr=\"m\" vaddr=\"0x1000\" perms=\"w\"/>", 1, |r| *r == Rule::WriteOnly);
    at("<map mr=\"m\" vaddr=\"0x1000\" perms=\"rr\"/>", 1, |r| matches!(r, Rule::BadPerms(_)));
    at("<map mr=\"m\" vaddr=\"0x1000\" perms=\"\"/>", 1, |r| matches!(r, Rule::BadPerms(_)));
    at("<map mr=\"big\" vaddr=\"0x1000\"/>", 1, |r| matches!(r, Rule::VaddrAlign { .. }));
    at("<map mr=\"nope\" vaddr=\"0x1000\"/>", 1, |r| matches!(r, Rule::UnknownRegion(_)));
    at("<map mr=\"m\" vaddr=\"0x7fff_ffff_c000\"/>", 1, |r| matches!(r, Rule::MapAboveStack { .. }));
    at("<map mr=\"m\" vaddr=\"0x10000\"/><map mr=\"m\" vaddr=\"0x11000\"/>", 30, |r| matches!(r, Rule::MapOverlap { .. }));
    // Maps ending exactly where the next starts do not overlap.
    valid(&with_maps("<map mr=\"m\" vaddr=\"0x10000\"/><map mr=\"m\" vaddr=\"0x12000\"/>"));
    // A map may end exactly at the stack bottom (default stack 0x2000).
    valid(&with_maps("<map mr=\"m\" vaddr=\"0x7fff_ffff_a000\"/>"));
}

fn two_pds(channel: &str) -> String {
    format!("<system><protection_domain name=\"lo\" priority=\"1\"><program_image path=\"a\"/><irq irq=\"7\" id=\"9\"/></protection_domain><protection_domain name=\"hi\" priority=\"2\"><program_image path=\"b\"/></protection_domain>\n{channel}</system>")
}

#[test]
fn channel_rules() {
    let ch = |ends: &str| two_pds(&format!("<channel>{ends}</channel>"));
    fails(&ch("<end pd=\"lo\" id=\"0\"/>"), "channel", 2, 1, |r| *r == Rule::EndCount(1));
    fails(&ch("<end pd=\"lo\" id=\"62\"/><end pd=\"hi\" id=\"0\"/>"), "end", 2, 10, |r| *r == Rule::IdRange(62));
    fails(&ch("<end pd=\"zz\" id=\"0\"/><end pd=\"hi\" id=\"0\"/>"), "end", 2, 10, |r| matches!(r, Rule::UnknownPd(_)));
    fails(&ch("<end pd=\"lo\" id=\"9\"/><end pd=\"hi\" id=\"0\"/>"), "end", 2, 10, |r| matches!(r, Rule::DuplicateId { id: 9, .. }));
    fails(&ch("<end pd=\"lo\" id=\"0\" pp=\"true\"/><end pd=\"hi\" id=\"0\" pp=\"true\"/>"), "channel", 2, 1, |r| *r == Rule::BidirectionalPpc);
    fails(&ch("<end pd=\"hi\" id=\"0\" pp=\"true\"/><end pd=\"lo\" id=\"0\"/>"), "channel", 2, 1, |r| matches!(r, Rule::PpcPriority { .. }));
    valid(&ch("<end pd=\"lo\" id=\"0\" pp=\"true\"/><end pd=\"hi\" id=\"0\"/>"));
    // A channel may come before the PDs it names.
    valid("<system><channel><end pd=\"x\" id=\"0\"/><end pd=\"y\" id=\"0\"/></channel><protection_domain name=\"x\"><program_image path=\"a\"/></protection_domain><protection_domain name=\"y\"><program_image path=\"a\"/></protection_domain></system>");
}

#[test]
fn irq_and_setvar_rules() {
    fails(&two_pds("<protection_domain name=\"c\"><program_image path=\"c\"/><irq irq=\"7\" id=\"0\"/></protection_domain>"), "irq", 2, 54, |r| {
        matches!(r, Rule::DuplicateIrq { irq: 7, .. })
    });
    fails(&two_pds("<protection_domain name=\"c\"><program_image path=\"c\"/><irq irq=\"8\" id=\"0\" trigger=\"rising\"/></protection_domain>"), "irq", 2, 54, |r| {
        matches!(r, Rule::Trigger(_))
    });
    let xml = "<system><memory_region name=\"m\" size=\"4096\"/><protection_domain name=\"a\"><program_image path=\"a\"/>\n<setvar symbol=\"s\" region_paddr=\"m\"/><setvar symbol=\"s\" region_paddr=\"m\"/><setvar symbol=\"t\" region_paddr=\"zz\"/></protection_domain></system>";
    fails(xml, "setvar", 2, 38, |r| matches!(r, Rule::DuplicateSymbol { .. }));
    fails(xml, "setvar", 2, 75, |r| matches!(r, Rule::UnknownRegion(_)));
}

#[test]
fn reports_all_errors_with_display_format() {
    let outcome = run(&with_maps("<map mr=\"m\" vaddr=\"0x1000\" perms=\"w\"/>\n<map mr=\"big\" vaddr=\"0x1000\"/>"));
    assert_eq!(outcome.errors.len(), 2, "{:#?}", outcome.errors);
    assert_eq!(
        outcome.errors[0].to_string(),
        "error: perms must not be 'w' (write-only mappings are not allowed) on element 'map' at system.xml:2:1"
    );
}

#[test]
fn missing_images_are_noted_once_and_bad_images_are_errors() {
    let outcome = run(&format!("<system>{PD}{}</system>", PD.replace("\"a\"", "\"b\"")));
    assert_eq!(outcome.notes, ["note: program images not found (a.elf): skipping checks that need them"]);

    let dir = std::env::temp_dir().join(format!("microkit-tool-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.elf"), b"not an elf").unwrap();
    let options = microkit_tool::Options { search_paths: vec![dir.clone()], system_dir: ".".into(), any_board: false };
    let outcome = microkit_tool::check("system.xml", &format!("<system>{PD}</system>"), &options);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(outcome.errors[0].rule(), Some(Rule::BadElf { .. })), "{:#?}", outcome.errors);
}

#[test]
fn notified_ids_fit_the_badge() {
    // b may notify a, so a's id is a badge bit: 26 is past seL4 5.0.0's 28-bit badge.
    let xml = format!(
        "<system>{PD}{}\n<channel><end pd=\"a\" id=\"26\" notify=\"false\"/><end pd=\"b\" id=\"26\" notify=\"true\"/></channel></system>",
        PD.replace("\"a\"", "\"b\"")
    );
    fails(&xml, "end", 2, 10, |r| matches!(r, Rule::NotifiedIdTooLarge { id: 26, pd } if pd == "a"));
    let irq = PD.replace("<program_image", "<irq irq=\"40\" id=\"30\"/><program_image");
    fails(&format!("<system>{irq}</system>"), "irq", 1, 51, |r| matches!(r, Rule::NotifiedIdTooLarge { id: 30, .. }));
    // Without a notifying peer, a high id is fine (PPCs carry the id in low bits).
    valid(&format!(
        "<system>{PD}{}<channel><end pd=\"a\" id=\"61\" notify=\"false\" pp=\"true\"/><end pd=\"b\" id=\"26\" notify=\"false\"/></channel></system>",
        PD.replace("\"a\"", "\"b\"").replace("\"10\"", "\"20\"")
    ));
}

#[test]
fn full_system_is_valid() {
    let outcome = run(&common::big_system(63));
    assert!(outcome.is_valid(), "{:#?}", outcome.errors.first());
    assert_eq!(outcome.system.channels.len(), 63 * 62 / 2);
}

#[test]
fn report_lists_everything() {
    let outcome = run(&two_pds("<channel><end pd=\"lo\" id=\"0\" pp=\"true\"/><end pd=\"hi\" id=\"0\"/></channel>"));
    let text = microkit_tool::report::report(&outcome.system);
    assert!(text.contains("lo: priority 1"), "{text}");
    assert!(text.contains("irq 7 as channel 9 (level)"), "{text}");
    assert!(text.contains("lo:0 (pp=true, notify=true) <-> hi:0 (pp=false, notify=true)"), "{text}");
}

/// Checks `<system>{PD}\n{region}</system>` with `files` (name, length; byte i
/// is `i as u8`) in a directory of their own on the search path.
fn with_prefill_files(region: &str, files: &[(&str, usize)]) -> microkit_tool::Outcome {
    let dir = std::env::temp_dir().join(format!("microkit-tool-prefill-{}-{:x}", std::process::id(), region.len() << 8 ^ files.len()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, len) in files {
        std::fs::write(dir.join(name), (0..*len).map(|i| i as u8).collect::<Vec<u8>>()).unwrap();
    }
    let options = microkit_tool::Options { search_paths: vec![dir.clone()], system_dir: "no-such-dir".into(), any_board: false };
    let outcome = microkit_tool::check("system.xml", &format!("<system>{PD}\n{region}</system>"), &options);
    std::fs::remove_dir_all(&dir).unwrap();
    outcome
}

fn region(outcome: &microkit_tool::Outcome) -> &microkit_tool::MemoryRegion {
    &outcome.system.memory_regions[0]
}

#[test]
fn prefill_sizes_the_region_from_the_file_rounded_up_to_the_page() {
    let outcome = with_prefill_files(r#"<memory_region name="t" prefill_path="t.bin"/>"#, &[("t.bin", 5000)]);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    assert_eq!(region(&outcome).size, 0x2000);
    let bytes = region(&outcome).prefill.as_ref().and_then(|p| p.bytes.as_ref()).expect("the file was read");
    assert_eq!((bytes.len(), bytes[4999]), (5000, (4999 % 256) as u8));

    let exact = with_prefill_files(r#"<memory_region name="t" prefill_path="t.bin"/>"#, &[("t.bin", 0x1000)]);
    assert_eq!(region(&exact).size, 0x1000);
    let one = with_prefill_files(r#"<memory_region name="t" prefill_path="t.bin"/>"#, &[("t.bin", 1)]);
    assert_eq!(region(&one).size, 0x1000);
    // A size given stands, if the file fits.
    let given = with_prefill_files(r#"<memory_region name="t" size="0x4000" prefill_path="t.bin"/>"#, &[("t.bin", 5000)]);
    assert!(given.is_valid(), "{:#?}", given.errors);
    assert_eq!(region(&given).size, 0x4000);
    let text = microkit_tool::report::report(&given.system);
    assert!(text.contains("t: size 0x4000, page_size 0x1000, placed by the monitor at boot (it prints the address), prefilled from 't.bin' (5000 bytes)"), "{text}");
}

#[test]
fn prefill_file_larger_than_the_size_is_an_error() {
    let outcome = with_prefill_files(r#"<memory_region name="t" size="0x1000" prefill_path="t.bin"/>"#, &[("t.bin", 0x1001)]);
    fails_with(&outcome, "memory_region", 2, 1, |r| matches!(r, Rule::PrefillTooLarge { len: 0x1001, size: 0x1000, .. }));
    assert_eq!(
        outcome.errors[0].to_string(),
        "error: prefill file 't.bin' of memory region 't' is 0x1001 bytes, larger than the region's size 0x1000 on element 'memory_region' at system.xml:2:1"
    );
}

#[test]
fn prefill_file_must_not_be_empty() {
    let outcome = with_prefill_files(r#"<memory_region name="t" prefill_path="t.bin"/>"#, &[("t.bin", 0)]);
    fails_with(&outcome, "memory_region", 2, 1, |r| matches!(r, Rule::PrefillEmpty { mr, path } if mr == "t" && path == "t.bin"));
    assert_eq!(outcome.errors[0].to_string(), "error: prefill file 't.bin' of memory region 't' is empty on element 'memory_region' at system.xml:2:1");
}

#[test]
fn prefill_is_not_for_fixed_regions() {
    let outcome = with_prefill_files(r#"<memory_region name="dev" size="0x1000" phys_addr="0x9000000" prefill_path="t.bin"/>"#, &[("t.bin", 8)]);
    fails_with(&outcome, "memory_region", 2, 1, |r| matches!(r, Rule::PrefillFixed { mr, path } if mr == "dev" && path == "t.bin"));
    assert!(outcome.errors[0].to_string().contains("memory region 'dev' has both prefill_path ('t.bin') and phys_addr"), "{}", outcome.errors[0]);
}

#[test]
fn prefill_uses_small_pages() {
    let outcome = with_prefill_files(r#"<memory_region name="t" page_size="0x200000" prefill_path="t.bin"/>"#, &[("t.bin", 8)]);
    fails_with(&outcome, "memory_region", 2, 1, |r| matches!(r, Rule::PrefillPageSize { page_size: 0x20_0000, .. }));
    assert!(outcome.errors[0].to_string().contains("prefilled regions use 4 KiB pages"), "{}", outcome.errors[0]);
}

#[test]
fn missing_prefill_files_are_noted_and_size_is_then_optional() {
    let outcome = run(&format!("<system>{PD}\n<memory_region name=\"t\" prefill_path=\"t.bin\"/><memory_region name=\"u\" prefill_path=\"t.bin\"/></system>"));
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    assert_eq!(
        outcome.notes,
        [
            "note: prefill files not found (t.bin): skipping checks that need them",
            "note: program images not found (a.elf): skipping checks that need them"
        ]
    );
    assert_eq!(region(&outcome).size, 0x1000);
    let text = microkit_tool::report::report(&outcome.system);
    assert!(text.contains("prefilled from 't.bin' (not found)"), "{text}");
    // Without prefill_path, size is still required.
    fails(&format!("<system>{PD}\n<memory_region name=\"t\"/></system>"), "memory_region", 2, 1, |r| *r == Rule::MissingAttribute("size"));
}

/// Asserts `outcome` has an error matching `want` on `element` at `line:col`.
fn fails_with(outcome: &microkit_tool::Outcome, element: &str, line: u32, col: u32, want: fn(&Rule) -> bool) {
    let found = outcome.errors.iter().any(|e| match e {
        Error::Rule { element: el, pos, rule, .. } => el == element && pos.line == line && pos.col == col && want(rule),
        Error::Xml { .. } | Error::Unreadable { .. } => false,
    });
    assert!(found, "expected error on '{element}' at {line}:{col}; got {:#?}", outcome.errors);
}
