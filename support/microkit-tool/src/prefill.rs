//! `prefill_path`: finds and reads each prefilled region's file, and sizes the
//! region from it when no `size` was given. Runs before `validate`, so every
//! check after it sees the region's real size.

use crate::elf::find_image;
use crate::error::Rule;
use crate::sdf::{Diagnostics, System};
use crate::Options;

/// Reads every prefill file into its region. Files not found are noted once
/// (as missing program images are); their regions keep the size given, or
/// one page, which no later check can find fault with that the real size
/// would not.
pub(crate) fn load(system: &mut System, options: &Options, diag: &mut Diagnostics, notes: &mut Vec<String>) {
    let mut missing: Vec<String> = Vec::new();
    for mr in &mut system.memory_regions {
        let Some(prefill) = &mut mr.prefill else { continue };
        let (name, path) = (mr.name.clone(), prefill.path.clone());
        let Some(found) = find_image(&prefill.path, &options.search_paths, &options.system_dir) else {
            if !missing.contains(&path) {
                missing.push(path);
            }
            continue;
        };
        let bytes = match std::fs::read(&found) {
            Ok(bytes) => bytes,
            Err(e) => {
                diag.error("memory_region", mr.pos, Rule::PrefillUnreadable { mr: name, path, reason: e.to_string() });
                continue;
            }
        };
        let len = bytes.len() as u64;
        if len == 0 {
            diag.error("memory_region", mr.pos, Rule::PrefillEmpty { mr: name, path });
            continue;
        }
        if prefill.sizes_region {
            match len.div_ceil(mr.page_size).checked_mul(mr.page_size) {
                Some(size) => mr.size = size,
                None => {
                    diag.error("memory_region", mr.pos, Rule::PrefillTooLarge { mr: name, path, len, size: u64::MAX });
                    continue;
                }
            }
        } else if len > mr.size {
            diag.error("memory_region", mr.pos, Rule::PrefillTooLarge { mr: name, path, len, size: mr.size });
            continue;
        }
        prefill.bytes = Some(bytes);
    }
    if !missing.is_empty() {
        notes.push(format!("note: prefill files not found ({}): skipping checks that need them", missing.join(", ")));
    }
}
