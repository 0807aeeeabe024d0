//! Rules that bring `check` level with the upstream Microkit tool (each case
//! is one that upstream refuses), and the tool's own limits on hostile input.
//! Each asserts the rule, the element and the line:column.

mod common;

use std::time::Instant;

use common::run;
use microkit_tool::{Error, Rule};

const PD: &str = r#"<protection_domain name="a"><program_image path="a.elf"/></protection_domain>"#;

fn fails(xml: &str, element: &str, line: u32, col: u32, want: fn(&Rule) -> bool) {
    let outcome = run(xml);
    let found = outcome.errors.iter().any(|e| match e {
        Error::Rule { element: el, pos, rule, .. } => el == element && pos.line == line && pos.col == col && want(rule),
        _ => false,
    });
    assert!(found, "expected error on '{element}' at {line}:{col}; got {:#?}", outcome.errors);
}

fn valid(xml: &str) {
    let outcome = run(xml);
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
}

#[test]
fn a_system_needs_a_protection_domain() {
    fails("<system>\n</system>", "system", 1, 1, |r| *r == Rule::NoProtectionDomains);
    fails("<system><memory_region name=\"m\" size=\"0x1000\"/></system>", "system", 1, 1, |r| *r == Rule::NoProtectionDomains);
}

#[test]
fn hex_numbers_take_a_lowercase_prefix() {
    fails("<system>\n<memory_region name=\"m\" size=\"0X1000\"/></system>", "memory_region", 2, 1, |r| {
        matches!(r, Rule::BadNumber { attr: "size", .. })
    });
    valid(&format!("<system><memory_region name=\"m\" size=\"0x1_0_0_0\"/>{}</system>", PD.replace("</p", "<map mr=\"m\" vaddr=\"0x1000000\"/></p")));
}

/// A `<domains>` with domains d (id 0) and e, scheduled in turn, then `rest`.
fn domains(body: &str, rest: &str) -> String {
    format!("<system>\n<domains>{body}</domains>\n{rest}</system>")
}

const SCHEDULE: &str = r#"<domain name="d" id="0"/><domain name="e"/><domain_schedule><schedule_entry domain="d" duration="1000 us"/><schedule_entry domain="e" duration="10 ticks"/></domain_schedule>"#;

fn pd_in(domain: &str) -> String {
    format!("<protection_domain name=\"a\" domain=\"{domain}\"><program_image path=\"a.elf\"/></protection_domain>")
}

#[test]
fn a_valid_schedule_is_accepted_with_a_warning() {
    let outcome = run(&domains(SCHEDULE, &pd_in("e")));
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
    assert!(outcome.warnings.iter().any(|w| w.message.contains("not enforced")));
    assert_eq!(outcome.system.domains, Some(vec!["d".to_string(), "e".to_string()]));
}

#[test]
fn protection_domains_and_domains() {
    // A domain named with no schedule, or before the schedule (Microkit reads in order).
    fails(&format!("<system>\n{}</system>", pd_in("d")), "protection_domain", 2, 1, |r| matches!(r, Rule::DomainWithoutSchedule(d) if d == "d"));
    fails(&format!("<system>\n{}<domains>{SCHEDULE}</domains></system>", pd_in("d")), "protection_domain", 2, 1, |r| {
        matches!(r, Rule::DomainWithoutSchedule(_))
    });
    // With a schedule, every PD (children too) names a declared domain.
    fails(&domains(SCHEDULE, PD), "protection_domain", 3, 1, |r| *r == Rule::MissingAttribute("domain"));
    fails(&domains(SCHEDULE, &pd_in("z")), "protection_domain", 3, 1, |r| matches!(r, Rule::UnknownDomain(d) if d == "z"));
    let child = "<protection_domain name=\"c\" id=\"1\"><program_image path=\"c\"/></protection_domain>";
    fails(&domains(SCHEDULE, &pd_in("d").replace("</protection_domain>", &format!("\n{child}</protection_domain>"))), "protection_domain", 4, 1, |r| {
        *r == Rule::MissingAttribute("domain")
    });
    fails(&domains(SCHEDULE, &format!("<domains>{SCHEDULE}</domains>{}", pd_in("d"))), "domains", 3, 1, |r| *r == Rule::DomainsTwice);
}

#[test]
fn domain_declarations() {
    let at = |body: &str, col: u32, want: fn(&Rule) -> bool| fails(&domains(body, &pd_in("d")), "domain", 2, col, want);
    let schedule = r#"<domain_schedule><schedule_entry domain="d" duration="1 us"/></domain_schedule>"#;
    at(&format!("<domain name=\"d\"/><domain name=\"d\"/>{schedule}"), 28, |r| matches!(r, Rule::DuplicateDomainName(_)));
    at(&format!("<domain name=\"d\" id=\"1\"/><domain name=\"e\" id=\"1\"/>{schedule}"), 35, |r| {
        matches!(r, Rule::DuplicateDomainId { id: 1, other } if other == "d")
    });
    at(&format!("<domain name=\"d\" id=\"16\"/>{schedule}"), 10, |r| *r == Rule::DomainIdRange(16));
    at(&format!("<domain id=\"1\"/><domain name=\"d\"/>{schedule}"), 10, |r| *r == Rule::MissingAttribute("name"));
    at(&format!("<domain name=\"d\" x=\"1\"/>{schedule}"), 10, |r| matches!(r, Rule::UnknownAttribute(_)));
    let many: String = (0..17).map(|i| format!("<domain name=\"d{i}\"/>")).collect();
    let schedule0 = schedule.replace("\"d\"", "\"d0\"");
    fails(&domains(&format!("{many}{schedule0}"), &pd_in("d0")), "domains", 2, 1, |r| *r == Rule::TooManyDomains);
    fails(&domains("<domain name=\"d\"/><foo/>", &pd_in("d")), "foo", 2, 28, |r| matches!(r, Rule::UnknownElement(_)));
    fails(&domains("<domain name=\"d\"/>", &pd_in("d")), "domains", 2, 1, |r| *r == Rule::DomainScheduleCount(0));
    fails(&domains(&format!("<domain name=\"d\"/>{schedule}{schedule}"), &pd_in("d")), "domains", 2, 1, |r| {
        *r == Rule::DomainScheduleCount(2)
    });
}

#[test]
fn schedule_entries() {
    let with = |attrs: &str, entries: &str| {
        domains(&format!("<domain name=\"d\"/><domain_schedule {attrs}>{entries}</domain_schedule>"), &pd_in("d"))
    };
    let entry = |attrs: &str| with("", &format!("<schedule_entry {attrs}/>"));
    let at = |xml: &str, want: fn(&Rule) -> bool| fails(xml, "schedule_entry", 2, 46, want);
    at(&entry("domain=\"z\" duration=\"1 us\""), |r| matches!(r, Rule::UnknownDomain(_)));
    at(&entry("duration=\"1 us\""), |r| *r == Rule::MissingAttribute("domain"));
    at(&entry("domain=\"d\""), |r| *r == Rule::MissingAttribute("duration"));
    at(&entry("domain=\"d\" duration=\"1000\""), |r| matches!(r, Rule::DurationFormat(_)));
    at(&entry("domain=\"d\" duration=\"0 us\""), |r| matches!(r, Rule::DurationZero(_)));
    at(&entry("domain=\"d\" duration=\"10 kilometres\""), |r| matches!(r, Rule::DurationUnit(_)));
    at(&entry("domain=\"d\" duration=\"x us\""), |r| matches!(r, Rule::BadNumber { attr: "duration", .. }));
    let one = "<schedule_entry domain=\"d\" duration=\"1 us\"/>";
    let schedule = |xml: &str, want: fn(&Rule) -> bool| fails(xml, "domain_schedule", 2, 28, want);
    schedule(&with("", ""), |r| matches!(r, Rule::ScheduleStartIndex { index: 0, len: 0 }));
    schedule(&with("start_index=\"1\"", one), |r| matches!(r, Rule::ScheduleStartIndex { index: 1, len: 1 }));
    schedule(&with("index_shift=\"99\"", one), |r| matches!(r, Rule::ScheduleIndexShift { shift: 99, len: 1 }));
    schedule(&with("start_index=\"zz\"", one), |r| matches!(r, Rule::BadNumber { attr: "start_index", .. }));
    schedule(&with("x=\"1\"", one), |r| matches!(r, Rule::UnknownAttribute(_)));
    schedule(&with("", &format!("{}<schedule_end_marker/>", one.repeat(99))), |r| *r == Rule::TooManyScheduleEntries);
    fails(&with("", &format!("{one}<schedule_end_marker x=\"1\"/>")), "schedule_end_marker", 2, 90, |r| matches!(r, Rule::UnknownAttribute(_)));
    valid(&with("start_index=\"1\" index_shift=\"97\"", &format!("{one}{one}")));
}

#[test]
fn irq_numbers_must_exist_on_the_board() {
    let irq = |n: &str| format!("<system><protection_domain name=\"a\"><program_image path=\"a\"/>\n<irq irq=\"{n}\" id=\"1\"/></protection_domain></system>");
    fails(&irq("160"), "irq", 2, 1, |r| matches!(r, Rule::IrqRange { irq: 160, max: 159 }));
    // Once truncated to 32 bits by a cast, this was IRQ 33.
    fails(&irq("4294967329"), "irq", 2, 1, |r| matches!(r, Rule::IrqRange { irq: 4294967329, .. }));
    fails(&irq("27"), "irq", 2, 1, |r| *r == Rule::IrqReserved(27));
    // The physical timer's PPI is the timer driver's to take.
    valid(&irq("30"));
    valid(&irq("159"));
    // `check --any-board` skips the board (for systems written for another).
    let any = microkit_tool::Options { any_board: true, ..Default::default() };
    assert!(microkit_tool::check("system.xml", &irq("290"), &any).is_valid());
}

#[test]
fn fixed_regions_must_exist_on_the_board() {
    let mr = |attrs: &str| format!("<system>{PD}\n<memory_region name=\"m\" {attrs}/></system>");
    fails(&mr("size=\"0x1000\" phys_addr=\"0x1000\""), "memory_region", 2, 1, |r| matches!(r, Rule::PhysNotOnBoard { start: 0x1000, .. }));
    // The UART's window is one page.
    fails(&mr("size=\"0x2000\" phys_addr=\"0x9000000\""), "memory_region", 2, 1, |r| matches!(r, Rule::PhysNotOnBoard { .. }));
    // RAM ends at 0x8000_0000.
    fails(&mr("size=\"0x2000\" phys_addr=\"0x7fff_f000\""), "memory_region", 2, 1, |r| matches!(r, Rule::PhysNotOnBoard { .. }));
    let outcome = run(&mr("size=\"0x1000\" phys_addr=\"0x9000000\""));
    assert!(outcome.is_valid(), "{:#?}", outcome.errors);
}

#[test]
fn namespaces_are_named() {
    fails("<system xmlns=\"urn:x\"/>", "system", 1, 1, |r| matches!(r, Rule::Namespace { element, namespace } if element == "system" && namespace == "urn:x"));
    fails(&format!("<system xmlns:x=\"urn:x\">{PD}\n<x:memory_region name=\"m\" size=\"0x1000\"/></system>"), "memory_region", 2, 1, |r| {
        matches!(r, Rule::Namespace { .. })
    });
}

fn unreadable(outcome: &microkit_tool::Outcome) -> Option<(u32, u32, String)> {
    outcome.errors.iter().find_map(|e| match e {
        Error::Unreadable { pos, message, .. } => Some((pos.line, pos.col, message.clone())),
        _ => None,
    })
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let n = 100_000;
    let xml = format!("<system>\n{}{}</system>", "<a>".repeat(n), "</a>".repeat(n));
    let (line, col, message) = unreadable(&run(&xml)).expect("refused");
    assert_eq!((line, col), (2, 3 * 255 + 1));
    assert!(message.contains("nested more than 256"), "{message}");
}

#[test]
fn many_attributes_are_refused_before_parsing() {
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"1\"")).collect();
    let start = Instant::now();
    let (line, col, message) = unreadable(&run(&format!("<system>\n  <memory_region{attrs}/></system>"))).expect("refused");
    assert_eq!((line, col), (2, 3));
    assert!(message.contains("more than 64 attributes"), "{message}");
    assert!(start.elapsed().as_secs() < 2, "took {:?}", start.elapsed());
}

#[test]
fn a_big_system_on_one_line_is_checked_in_linear_time() {
    // 100 000 maps on one line: every column is counted from the line's start
    // unless positions are kept incrementally.
    let maps: String = (0..100_000u64).map(|i| format!("<map mr=\"m\" vaddr=\"{:#x}\"/>", 0x1000_0000 + i * 0x1000)).collect();
    let xml = format!("<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\"><program_image path=\"a\"/>{maps}<map mr=\"m\" vaddr=\"0x1001\"/></protection_domain></system>");
    let start = Instant::now();
    let outcome = run(&xml);
    let elapsed = start.elapsed();
    let col = xml.find("<map mr=\"m\" vaddr=\"0x1001\"").unwrap() as u32 + 1;
    assert!(outcome.errors.iter().any(|e| e.pos().col == col && matches!(e.rule(), Some(Rule::VaddrAlign { .. }))), "{:#?}", outcome.errors.first());
    assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
}

#[test]
fn non_utf8_is_refused_with_its_position() {
    let bytes = b"<system>\n  \xff</system>";
    let e = microkit_tool::not_utf8("s.xml", bytes, 11);
    assert_eq!(e.to_string(), "error: the file is not UTF-8 text: invalid byte 0xff at byte offset 11 at s.xml:2:3");
}
