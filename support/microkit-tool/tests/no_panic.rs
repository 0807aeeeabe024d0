//! The parser returns Ok or Err on any input; it never panics.

mod common;

use proptest::prelude::*;

const SEED: &str = r#"<system><memory_region name="m" size="0x2000" phys_addr="0x1000"/><protection_domain name="a" priority="9" stack_size="0x2000"><program_image path="a.elf"/><map mr="m" vaddr="0x1000" perms="rw"/><irq irq="3" id="1"/><setvar symbol="s" region_paddr="m"/><protection_domain name="c" id="2" setvar_id="cid"><program_image path="c"/></protection_domain></protection_domain><channel><end pd="a" id="0" pp="true"/><end pd="c" id="0"/></channel></system>"#;

proptest! {
    #[test]
    fn arbitrary_strings(text in "\\PC*") {
        let _ = common::run(&text);
    }

    #[test]
    fn mutated_documents(at in 0..SEED.len(), cut in 0usize..12, insert in "[<>/=\" a-z0-9_x-]{0,12}") {
        let mut doc = SEED.to_string();
        let at = (0..=at).rev().find(|&i| doc.is_char_boundary(i)).unwrap_or(0);
        let end = (at + cut).min(doc.len());
        doc.replace_range(at..end, &insert);
        let _ = common::run(&doc);
    }
}
