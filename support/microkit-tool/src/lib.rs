//! Parses and validates Microkit-compatible system descriptions (`system.xml`).
//!
//! [`check`] runs every rule of `SDF.md` and returns the model with all errors,
//! warnings and notes; [`report`] renders the model for humans.

pub mod build;
pub mod elf;
pub mod image;
pub mod error;
pub mod layout;
pub mod report;
pub mod sdf;
mod validate;

use std::collections::HashMap;
use std::path::PathBuf;

pub use error::{Error, Pos, Rule};
pub use sdf::{
    parse_number, Channel, End, Irq, Map, MemoryRegion, Perms, ProgramImage, ProtectionDomain, Setvar, System,
    Trigger, Warning,
};
pub use validate::flatten;

use elf::ElfInfo;

/// Where program images are looked up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Searched in order, before `system_dir`.
    pub search_paths: Vec<PathBuf>,
    /// The system file's directory.
    pub system_dir: PathBuf,
}

/// Everything `check` found. The system is valid when `errors` is empty.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub system: System,
    pub errors: Vec<Error>,
    pub warnings: Vec<Warning>,
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Parses and validates `text`; `file` is the name used in messages.
pub fn check(file: &str, text: &str, options: &Options) -> Outcome {
    let (system, mut diag) = sdf::parse(file, text);
    let mut notes = Vec::new();
    if diag.errors.iter().all(|e| matches!(e, Error::Rule { .. })) {
        validate::validate(&system, &mut diag);
        check_images(&system, options, &mut diag, &mut notes);
    }
    diag.errors.sort_by_key(Error::pos);
    Outcome { system, errors: diag.errors, warnings: diag.warnings, notes }
}

/// The checks that need each PD's ELF. Missing images are noted once, and only
/// the checks that need them are skipped.
fn check_images(system: &System, options: &Options, diag: &mut sdf::Diagnostics, notes: &mut Vec<String>) {
    let regions: HashMap<&str, &MemoryRegion> =
        system.memory_regions.iter().map(|mr| (mr.name.as_str(), mr)).collect();
    let mut cache: HashMap<PathBuf, Result<ElfInfo, String>> = HashMap::new();
    let mut missing: Vec<&str> = Vec::new();
    for (pd, _) in flatten(system) {
        let Some(image) = &pd.program_image else { continue };
        let Some(path) = elf::find_image(&image.path, &options.search_paths, &options.system_dir) else {
            if !missing.contains(&image.path.as_str()) {
                missing.push(&image.path);
            }
            continue;
        };
        let info = cache.entry(path.clone()).or_insert_with(|| {
            std::fs::read(&path).map_err(|e| e.to_string()).and_then(|bytes| ElfInfo::read(&bytes))
        });
        let info = match info {
            Ok(info) => info,
            Err(reason) => {
                let rule = Rule::BadElf { image: image.path.clone(), reason: reason.clone() };
                diag.error("program_image", image.pos, rule);
                continue;
            }
        };
        let limit = layout::stack_bottom(pd.stack_size);
        if let Some(&(start, end)) = info.segments.last().filter(|&&(_, end)| end > limit) {
            let rule = Rule::ElfAboveStack { start, end, limit, image: image.path.clone() };
            diag.error("program_image", image.pos, rule);
        }
        for m in &pd.maps {
            let Some(mr) = regions.get(m.mr.as_str()) else { continue };
            let end = m.vaddr.saturating_add(mr.size);
            if let Some((seg_start, seg_end)) = info.overlapping_segment(m.vaddr, end) {
                let rule = Rule::MapElfOverlap {
                    mr: m.mr.clone(),
                    start: m.vaddr,
                    end,
                    seg_start,
                    seg_end,
                    image: image.path.clone(),
                    pd: pd.name.clone(),
                };
                diag.error("map", m.pos, rule);
            }
        }
        let mut symbol = |symbol: &str, element: &str, pos: Pos| {
            let rule = match info.symbols.get(symbol) {
                None => Rule::MissingSymbol { symbol: symbol.to_string(), image: image.path.clone() },
                Some(&8) => return,
                Some(&size) => Rule::SymbolSize { symbol: symbol.to_string(), image: image.path.clone(), size },
            };
            diag.error(element, pos, rule);
        };
        for s in &pd.setvars {
            symbol(&s.symbol, "setvar", s.pos);
        }
        for m in &pd.maps {
            if let Some(sym) = &m.setvar_vaddr {
                symbol(sym, "map", m.pos);
            }
        }
        for c in &pd.children {
            if let Some(sym) = &c.setvar_id {
                symbol(sym, "protection_domain", c.pos);
            }
        }
    }
    if !missing.is_empty() {
        notes.push(format!("note: program images not found ({}): skipping checks that need them", missing.join(", ")));
    }
}
