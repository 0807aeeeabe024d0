//! Generates a system description and the PD programs it names from
//! arbitrary bytes. Most choices are among values the tool accepts, with a
//! few of each kind it must refuse (overlaps, unknown names, bad sizes,
//! symbols in the wrong place), so a fuzzer or property test reaches both
//! `check`'s refusals and `build`.

pub mod elf;

use std::fmt::Write as _;
use std::path::Path;

use arbitrary::{Result, Unstructured};

use elf::{Elf, Segment, Symbol};

/// A generated system: its `system.xml` text and its program images by file name.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub xml: String,
    pub images: Vec<(String, Vec<u8>)>,
}

impl Generated {
    /// Writes every image into `dir`.
    pub fn write_images(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in &self.images {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }
}

const RUNTIME_SYMBOLS: [&str; 6] = [
    "microkit_name",
    "microkit_notifications",
    "microkit_pps",
    "microkit_irqs",
    "microkit_children",
    "microkit_channel_peers",
];
const REGION_SIZES: [(u64, u64); 4] = [(0x1000, 0x1000), (0x2000, 0x1000), (0x20_0000, 0x20_0000), (0x3000, 0x1000)];

/// Mostly `common`, sometimes anything.
fn mostly(u: &mut Unstructured, common: &[u64]) -> Result<u64> {
    if u.ratio(1, 40)? {
        u.arbitrary()
    } else {
        Ok(*u.choose(common)?)
    }
}

struct Pd {
    name: String,
    children: Vec<Pd>,
    xml_body: String,
}

pub fn generate(u: &mut Unstructured) -> Result<Generated> {
    let mut out = Generated::default();
    let regions = u.int_in_range(0..=3)?;
    let mut xml = String::from("<system>\n");
    for r in 0..regions {
        let (size, page_size) = *u.choose(&REGION_SIZES)?;
        let size = if u.ratio(1, 40)? { size + 1 } else { size };
        let _ = write!(xml, "  <memory_region name=\"m{r}\" size=\"{size:#x}\" page_size=\"{page_size:#x}\"");
        match u.int_in_range(0..=5)? {
            0 => {
                let _ = write!(xml, " phys_addr=\"{:#x}\"", 0x5000_0000 + r as u64 * 0x20_0000);
            }
            1 if size == 0x1000 => xml.push_str(" phys_addr=\"0x9000000\""),
            _ => {}
        }
        xml.push_str("/>\n");
    }
    let top = u.int_in_range(1..=4)?;
    let mut names = Vec::new();
    for i in 0..top {
        let pd = protection_domain(u, &format!("p{i}"), None, regions, &mut out)?;
        collect_names(&pd, &mut names);
        write_pd(&mut xml, &pd, 1);
    }
    let channels = u.int_in_range(0..=4)?;
    let mut next_id = vec![0u64; names.len()];
    for _ in 0..channels {
        let a = u.choose_index(names.len())?;
        let b = u.choose_index(names.len())?;
        let mut end = |k: usize, u: &mut Unstructured| -> Result<String> {
            let id = if u.ratio(1, 40)? { u.int_in_range(0..=63)? } else { next_id[k] };
            next_id[k] += 1;
            Ok(format!("<end pd=\"{}\" id=\"{id}\" pp=\"{}\" notify=\"{}\"/>", names[k], u.ratio(1, 8)?, u.ratio(2, 3)?))
        };
        let (ea, eb) = (end(a, u)?, end(b, u)?);
        let _ = writeln!(xml, "  <channel>{ea}{eb}</channel>");
    }
    xml.push_str("</system>\n");
    out.xml = xml;
    Ok(out)
}

fn collect_names(pd: &Pd, names: &mut Vec<String>) {
    names.push(pd.name.clone());
    for c in &pd.children {
        collect_names(c, names);
    }
}

fn write_pd(xml: &mut String, pd: &Pd, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(xml, "{indent}{}", pd.xml_body.trim_end_matches("</protection_domain>"));
    for c in &pd.children {
        write_pd(xml, c, depth + 1);
    }
    let _ = writeln!(xml, "{indent}</protection_domain>");
}

/// One PD (and perhaps a child), its image added to `out`.
fn protection_domain(u: &mut Unstructured, name: &str, child_id: Option<u64>, regions: usize, out: &mut Generated) -> Result<Pd> {
    let priority = mostly(u, &[10, 20, 30, 100, 200, 254])? % 300;
    let stack_size = mostly(u, &[0x1000, 0x2000, 0x10000])?;
    let image = format!("{name}.elf");
    let mut body = format!("<protection_domain name=\"{name}\" priority=\"{priority}\" stack_size=\"{stack_size:#x}\"");
    if let Some(id) = child_id {
        let _ = write!(body, " id=\"{id}\"");
    }
    if u.ratio(1, 4)? {
        body.push_str(" debug_syscalls=\"false\"");
    }
    let _ = write!(body, ">\n    <program_image path=\"{image}\"/>\n");

    let mut elf = program(u)?;
    let mut setvar_symbols = Vec::new();
    for k in 0..u.int_in_range(0..=2)? {
        let symbol = format!("sv{k}");
        add_symbol(u, &mut elf, &symbol, 8)?;
        setvar_symbols.push(symbol);
    }
    let maps = if regions > 0 { u.int_in_range(0..=2)? } else { 0 };
    for _ in 0..maps {
        let mr = if u.ratio(1, 40)? { "nope".into() } else { format!("m{}", u.choose_index(regions)?) };
        let slot: u64 = u.int_in_range(0..=7)?;
        let vaddr = if u.ratio(1, 40)? { elf.segments[0].vaddr } else { 0x1000_0000 + slot * 0x40_0000 };
        let perms = if u.ratio(1, 40)? { "w" } else { *u.choose(&["r", "rw", "rx"])? };
        let _ = write!(body, "    <map mr=\"{mr}\" vaddr=\"{vaddr:#x}\" perms=\"{perms}\"");
        if let Some(symbol) = setvar_symbols.pop().filter(|_| u.ratio(1, 2).unwrap_or(false)) {
            let _ = write!(body, " setvar_vaddr=\"{symbol}\"");
        }
        body.push_str("/>\n");
    }
    for symbol in setvar_symbols.into_iter().filter(|_| regions > 0) {
        let region = if u.ratio(1, 40)? { "nope".into() } else { format!("m{}", u.choose_index(regions)?) };
        let _ = writeln!(body, "    <setvar symbol=\"{symbol}\" region_paddr=\"{region}\"/>");
    }
    if u.ratio(1, 4)? {
        let irq = 32 + u64::from(u.int_in_range(0u8..=12)?);
        let _ = writeln!(body, "    <irq irq=\"{irq}\" id=\"{}\"/>", 20 + u64::from(u.int_in_range(0u8..=3)?));
    }

    let mut children = Vec::new();
    if child_id.is_none() && u.ratio(1, 4)? {
        let id = mostly(u, &[0, 1, 7])?;
        children.push(protection_domain(u, &format!("{name}c{id}"), Some(id), regions, out)?);
        add_symbol(u, &mut elf, "microkit_child_entries", 512)?;
    }
    out.images.push((image, elf.to_bytes()));
    body.push_str("</protection_domain>");
    Ok(Pd { name: name.to_string(), children, xml_body: body })
}

/// A program: a few segments (code, data with `.bss`), the runtime's symbols.
fn program(u: &mut Unstructured) -> Result<Elf> {
    let mut elf = Elf { entry: 0x20_0000, symbol_table: !u.ratio(1, 60)?, ..Elf::default() };
    let mut vaddr = 0x20_0000;
    for _ in 0..u.int_in_range(1..=3)? {
        let mem_size = mostly(u, &[0x100, 0x1000, 0x5000, 0x10_0000])? % (1 << 40);
        let data_len = (u.int_in_range(0usize..=300)? as u64).min(mem_size) as usize;
        let data = (0..data_len).map(|i| i as u8).collect();
        let flags = *u.choose(&[5, 6, 4, 7])?;
        elf.segments.push(Segment { vaddr, mem_size, flags, data });
        // The next segment usually starts a page later, sometimes on the
        // same page, and now and then anywhere (overlapping, or too high).
        let end = vaddr.saturating_add(mem_size);
        vaddr = match u.int_in_range(0..=59)? {
            0 => u.arbitrary::<u64>()? & !7,
            1..=5 => end.saturating_add(15) & !15,
            _ => (end.saturating_add(0x1fff)) & !0xfff,
        };
    }
    for name in RUNTIME_SYMBOLS {
        if u.ratio(3, 4)? {
            let size = match name {
                "microkit_name" => mostly(u, &[64, 16])? % 0x3000,
                "microkit_channel_peers" => mostly(u, &[62 * 64])? % 0x2000,
                _ => mostly(u, &[8])? % 16,
            };
            add_symbol(u, &mut elf, name, size)?;
        }
    }
    Ok(elf)
}

/// Adds `name` (`size` bytes), usually inside a segment and aligned, and now
/// and then a second time.
fn add_symbol(u: &mut Unstructured, elf: &mut Elf, name: &str, size: u64) -> Result<()> {
    // A segment it fits in, if there is one.
    let fitting: Vec<&Segment> = elf.segments.iter().filter(|s| s.mem_size >= size).collect();
    let seg = if fitting.is_empty() { &elf.segments[0] } else { fitting[u.choose_index(fitting.len())?] };
    let room = seg.mem_size.saturating_sub(size).max(1);
    let offset = match u.int_in_range(0..=79)? {
        0 => room + 8,
        1 => u.int_in_range(0..=room)?,
        _ => u.int_in_range(0..=room)? & !7,
    };
    let vaddr = seg.vaddr.wrapping_add(offset);
    elf.symbols.push(Symbol { name: name.to_string(), vaddr, size });
    if u.ratio(1, 150)? {
        elf.symbols.push(Symbol { name: name.to_string(), vaddr, size });
    }
    Ok(())
}

/// A monitor-like program: code and data, and the spec-location symbol.
pub fn monitor(u: &mut Unstructured) -> Result<Vec<u8>> {
    let mut elf = program(u)?;
    elf.symbol_table = true;
    add_symbol(u, &mut elf, "MONITOR_SPEC_LOCATION", 16)?;
    Ok(elf.to_bytes())
}
