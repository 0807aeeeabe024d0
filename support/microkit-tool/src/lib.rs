//! Parses and validates Microkit-compatible system descriptions (`system.xml`).
//!
//! [`check`] runs every rule of `SDF.md` and returns the model with all errors,
//! warnings and notes; [`report`] renders the model for humans.

pub mod build;
pub mod elf;
pub mod image;
pub mod error;
pub mod layout;
pub mod platform;
mod prefill;
pub mod report;
pub mod sdf;
mod validate;
mod xml_limits;

use std::collections::HashMap;
use std::path::PathBuf;

pub use error::{Error, Pos, Rule};
pub use sdf::{
    parse_number, Channel, End, Irq, Map, MemoryRegion, Perms, Prefill, ProgramImage, ProtectionDomain, Setvar, System,
    Trigger, Warning,
};
pub use validate::flatten;

use elf::Program;

/// Where program images and prefill files are looked up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Searched in order, before `system_dir`.
    pub search_paths: Vec<PathBuf>,
    /// The system file's directory.
    pub system_dir: PathBuf,
    /// Skip the checks against this board (see `platform`).
    pub any_board: bool,
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
    let (mut system, mut diag) = sdf::parse(file, text);
    let mut notes = Vec::new();
    if diag.errors.iter().all(|e| matches!(e, Error::Rule { .. })) {
        prefill::load(&mut system, options, &mut diag, &mut notes);
        validate::validate(&system, &mut diag);
        if !options.any_board {
            platform::check_board(&system, &mut diag);
        }
        check_images(&system, options, &mut diag, &mut notes);
    }
    diag.errors.sort_by_key(Error::pos);
    Outcome { system, errors: diag.errors, warnings: diag.warnings, notes }
}

/// The error for a system file that is not UTF-8, where its first bad byte is.
pub fn not_utf8(file: &str, bytes: &[u8], valid_up_to: usize) -> Error {
    let valid = &bytes[..valid_up_to.min(bytes.len())];
    let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Error::Unreadable {
        file: file.to_string(),
        pos: Pos { line: clamp(line), col: clamp(col) },
        message: format!("the file is not UTF-8 text: invalid byte {:#04x} at byte offset {valid_up_to}", bytes.get(valid_up_to).copied().unwrap_or(0)),
    }
}

/// The checks that need each PD's ELF. Missing images are noted once, and only
/// the checks that need them are skipped. Every symbol write `build` would
/// make is made here too, on a copy of the image.
fn check_images(system: &System, options: &Options, diag: &mut sdf::Diagnostics, notes: &mut Vec<String>) {
    let regions: HashMap<&str, &MemoryRegion> =
        system.memory_regions.iter().map(|mr| (mr.name.as_str(), mr)).collect();
    let pds = flatten(system);
    let ends = build::channel_ends(system, &build::pd_indices(&pds));
    let names: Vec<&str> = pds.iter().map(|(pd, _)| pd.name.as_str()).collect();
    let mut cache: HashMap<PathBuf, Result<Program, String>> = HashMap::new();
    let mut missing: Vec<&str> = Vec::new();
    for (pd, _) in &pds {
        let Some(image) = &pd.program_image else { continue };
        let Some(path) = elf::find_image(&image.path, &options.search_paths, &options.system_dir) else {
            if !missing.contains(&image.path.as_str()) {
                missing.push(&image.path);
            }
            continue;
        };
        let program = cache.entry(path.clone()).or_insert_with(|| {
            std::fs::read(&path).map_err(|e| e.to_string()).and_then(|bytes| Program::read_pd_image(&bytes))
        });
        let program = match program {
            Ok(program) => program,
            Err(reason) => {
                let rule = Rule::BadElf { image: image.path.clone(), reason: reason.clone() };
                diag.error("program_image", image.pos, rule);
                continue;
            }
        };
        let limit = layout::stack_bottom(pd.stack_size);
        if let Some(seg) = program.segments.last().filter(|s| s.end() > limit) {
            let rule = Rule::ElfAboveStack { start: seg.vaddr, end: seg.end(), limit, image: image.path.clone() };
            diag.error("program_image", image.pos, rule);
        }
        for m in &pd.maps {
            let Some(mr) = regions.get(m.mr.as_str()) else { continue };
            let end = m.vaddr.saturating_add(mr.size);
            if let Some((seg_start, seg_end)) = program.overlapping_pages(m.vaddr, end) {
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
        let pd_ends = ends.get(pd.name.as_str()).map_or(&[][..], Vec::as_slice);
        let (_, failures) = build::patch_program(&mut program.clone(), pd, pd_ends, &[0; 64], &names);
        for (element, pos, rule) in failures {
            diag.error(element, pos, rule);
        }
    }
    if !missing.is_empty() {
        notes.push(format!("note: program images not found ({}): skipping checks that need them", missing.join(", ")));
    }
}
