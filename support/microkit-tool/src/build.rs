//! Turns a valid system into the monitor's spec: every PD's program segments
//! (with setvars and runtime symbols patched in), regions (with their
//! prefill bytes), maps, IRQs and
//! channel ends, as `monitor_spec` records.
//!
//! `check` runs the same symbol writes (`patch_program`) on every PD's image,
//! so a system that passes `check` cannot fail here on a symbol.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use monitor_spec::abi::{self, symbol};
use monitor_spec::{End, Irq, Map, PaddrPatch, PdDesc, SegmentDesc, SpecBuilder};

use crate::elf::{find_image, Program, SymbolError};
use crate::error::{Pos, Rule};
use crate::sdf::{Perms, Prefill, ProtectionDomain, System, Trigger};
use crate::{flatten, Options};

/// Why a valid system could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("error: program image '{path}' of PD '{pd}' not found in the search paths")]
    MissingImage { pd: String, path: String },
    #[error("error: prefill file '{path}' of memory region '{mr}' not found in the search paths")]
    MissingPrefill { mr: String, path: String },
    #[error("error: cannot read program image '{path}' of PD '{pd}': {reason}")]
    BadImage { pd: String, path: String, reason: String },
    #[error("error: cannot patch PD '{pd}': {rule} (element '{element}' at line {pos})")]
    Patch { pd: String, element: &'static str, pos: Pos, rule: Rule },
    #[error("error: monitor image: {0}")]
    Monitor(String),
}

/// A symbol write that failed: the element that asked for it, and why.
pub(crate) type PatchFailure = (&'static str, Pos, Rule);

/// The spec bytes for `system`, which must have passed `check`.
pub fn build_spec(system: &System, options: &Options) -> Result<Vec<u8>, BuildError> {
    let pds = flatten(system);
    let pd_index = pd_indices(&pds);
    let mut spec = SpecBuilder::new();
    let mut region_index = HashMap::new();
    for mr in &system.memory_regions {
        let prefill = match &mr.prefill {
            None => &[][..],
            Some(Prefill { bytes: Some(bytes), .. }) => bytes.as_slice(),
            Some(Prefill { path, bytes: None, .. }) => {
                return Err(BuildError::MissingPrefill { mr: mr.name.clone(), path: path.clone() });
            }
        };
        region_index.insert(mr.name.as_str(), spec.add_region(&mr.name, mr.size, mr.page_size, mr.phys_addr, prefill));
    }
    let ends = channel_ends(system, &pd_index);
    // PDs that receive PPCs need an endpoint, as do parents (for their children's faults).
    let callees: HashSet<u32> = ends.values().flatten().filter(|e| e.flags & monitor_spec::END_PP != 0).map(|e| e.peer).collect();

    let mut programs: Vec<Program> = Vec::with_capacity(pds.len());
    for (pd, _) in &pds {
        programs.push(load_program(pd, options)?);
    }
    // Each parent learns its children's entry points.
    let mut child_entries: Vec<[u64; 64]> = vec![[0; 64]; pds.len()];
    for ((pd, parent), program) in pds.iter().zip(&programs) {
        if let (Some(parent), Some(id)) = (parent, pd.id) {
            child_entries[*parent][id as usize % 64] = program.entry;
        }
    }

    let names: Vec<&str> = pds.iter().map(|(pd, _)| pd.name.as_str()).collect();
    for (i, (pd, parent)) in pds.iter().enumerate() {
        let pd_ends = ends.get(pd.name.as_str()).map_or(&[][..], Vec::as_slice);
        let program = &mut programs[i];
        let (paddr_patches, failures) = patch_program(program, pd, pd_ends, &child_entries[i], &names);
        if let Some((element, pos, rule)) = failures.into_iter().next() {
            return Err(BuildError::Patch { pd: pd.name.clone(), element, pos, rule });
        }
        let has_endpoint = !pd.children.is_empty() || callees.contains(&(i as u32));
        let flags = flag(pd.fpu, monitor_spec::PD_FPU)
            | flag(has_endpoint, monitor_spec::PD_ENDPOINT)
            | flag(pd.debug_syscalls, monitor_spec::PD_DEBUG_SYSCALLS);
        let segments = program
            .segments
            .iter()
            .flat_map(|s| s.pieces())
            .map(|p| SegmentDesc { vaddr: p.vaddr, mem_size: p.mem_size, perms: segment_perms(p.flags), bytes: p.bytes })
            .collect();
        let mut maps: Vec<Map> = pd
            .maps
            .iter()
            .map(|m| Map {
                vaddr: m.vaddr,
                region: region_index.get(m.mr.as_str()).copied().unwrap_or_default(),
                perms: map_perms(m.perms),
                cached: u32::from(m.cached),
                _pad: 0,
            })
            .collect();
        maps.sort_unstable_by_key(|m| m.vaddr);
        let irqs = pd
            .irqs
            .iter()
            .map(|irq| Irq {
                // The parser refused any number the board does not have.
                irq: u32::try_from(irq.irq).unwrap_or(u32::MAX),
                id: irq.id as u32,
                trigger: match irq.trigger {
                    Trigger::Level => monitor_spec::TRIGGER_LEVEL,
                    Trigger::Edge => monitor_spec::TRIGGER_EDGE,
                },
                _pad: 0,
            })
            .collect();
        let paddr_patches = paddr_patches
            .into_iter()
            .map(|(vaddr, region)| PaddrPatch { vaddr, region: region_index.get(region).copied().unwrap_or_default(), _pad: 0 })
            .collect();
        spec.add_pd(PdDesc {
            name: &pd.name,
            entry: program.entry,
            stack_size: pd.stack_size,
            parent: parent.map(|p| p as u32),
            child_id: pd.id.unwrap_or_default() as u32,
            priority: pd.priority as u8,
            flags,
            segments,
            maps,
            irqs,
            ends: pd_ends.to_vec(),
            paddr_patches,
        });
    }
    Ok(spec.finish())
}

/// Each PD's index in `flatten` order, by name.
pub(crate) fn pd_indices<'s>(pds: &[(&'s ProtectionDomain, Option<usize>)]) -> HashMap<&'s str, u32> {
    pds.iter().enumerate().map(|(i, (pd, _))| (pd.name.as_str(), i as u32)).collect()
}

/// The channel ends each PD holds, by PD name.
pub(crate) fn channel_ends<'s>(system: &'s System, pd_index: &HashMap<&str, u32>) -> HashMap<&'s str, Vec<End>> {
    let mut ends: HashMap<&str, Vec<End>> = HashMap::new();
    for ch in &system.channels {
        let [a, b] = ch.ends.as_slice() else { continue };
        for (this, peer) in [(a, b), (b, a)] {
            let flags = flag(this.notify, monitor_spec::END_NOTIFY) | flag(this.pp, monitor_spec::END_PP);
            ends.entry(&this.pd).or_default().push(End {
                id: this.id as u32,
                peer: pd_index.get(peer.pd.as_str()).copied().unwrap_or_default(),
                peer_id: peer.id as u32,
                flags,
            });
        }
    }
    ends
}

/// Writes every symbol `system.xml` and the runtime ask for into `program`:
/// `setvar_vaddr`, children's `setvar_id`, and the runtime's `microkit_*`
/// symbols where the image defines them. `names` are all PDs' names, by the
/// index an `End` names its peer with. Returns the `setvar region_paddr`
/// words the monitor fills at boot, as (vaddr, region name), and every write
/// that could not be made.
pub(crate) fn patch_program<'s>(
    program: &mut Program,
    pd: &'s ProtectionDomain,
    ends: &[End],
    child_entries: &[u64; 64],
    names: &[&str],
) -> (Vec<(u64, &'s str)>, Vec<PatchFailure>) {
    let mut failures = Vec::new();
    let failure = |element, pos, symbol: &str, e| (element, pos, symbol_rule(symbol, pd, e));

    for m in &pd.maps {
        if let Some(sym) = &m.setvar_vaddr {
            if let Err(e) = program.patch_symbol(sym, &m.vaddr.to_le_bytes()) {
                failures.push(failure("map", m.pos, sym, e));
            }
        }
    }
    for c in &pd.children {
        if let (Some(sym), Some(id)) = (&c.setvar_id, c.id) {
            if let Err(e) = program.patch_symbol(sym, &id.to_le_bytes()) {
                failures.push(failure("protection_domain", c.pos, sym, e));
            }
        }
    }
    let mut paddr_patches = Vec::new();
    for s in &pd.setvars {
        // The monitor writes one aligned word (so it never spans two pages).
        let checked = program.symbol(&s.symbol).and_then(|found| match found.size {
            8 => Ok(found),
            size => Err(SymbolError::Size { size, expected: 8 }),
        });
        match checked {
            Ok(found) if found.vaddr % 8 != 0 => failures.push((
                "setvar",
                s.pos,
                Rule::SymbolUnaligned { symbol: s.symbol.clone(), image: image_name(pd), vaddr: found.vaddr },
            )),
            Ok(found) => paddr_patches.push((found.vaddr, s.region_paddr.as_str())),
            Err(e) => failures.push(failure("setvar", s.pos, &s.symbol, e)),
        }
    }
    for (sym, value) in runtime_values(pd, ends, child_entries, names, program) {
        if program.has_symbol(sym) {
            let written = if sym == symbol::NAME { program.patch_prefix(sym, &value) } else { program.patch_symbol(sym, &value) };
            if let Err(e) = written {
                failures.push(failure("protection_domain", pd.pos, sym, e));
            }
        }
    }
    (paddr_patches, failures)
}

/// The runtime's symbols and their values: the PD's name (NUL-terminated,
/// cut to fit the image's array), which channel ids it may notify, call, or
/// acknowledge as IRQs, its children, their entry points, and its channels'
/// peers' names.
fn runtime_values(
    pd: &ProtectionDomain,
    ends: &[End],
    child_entries: &[u64; 64],
    names: &[&str],
    program: &Program,
) -> Vec<(&'static str, Vec<u8>)> {
    let bits = |ids: &mut dyn Iterator<Item = u64>| ids.fold(0u64, |acc, id| acc | 1 << (id % 64));
    let ids_with = |flag| ends.iter().filter(move |e: &&End| e.flags & flag != 0).map(|e| u64::from(e.id));
    let name_room = program.symbol(symbol::NAME).map_or(0, |s| s.size).min(abi::MAX_NAME_LEN as u64 + 1) as usize;
    let len = pd.name.len().min(name_room.saturating_sub(1));
    let mut name = pd.name.as_bytes()[..len].to_vec();
    name.resize(name_room, 0);
    let mut values = vec![
        (symbol::NAME, name),
        (symbol::NOTIFICATIONS, bits(&mut ids_with(monitor_spec::END_NOTIFY)).to_le_bytes().to_vec()),
        (symbol::PPS, bits(&mut ids_with(monitor_spec::END_PP)).to_le_bytes().to_vec()),
        (symbol::IRQS, bits(&mut pd.irqs.iter().map(|i| i.id)).to_le_bytes().to_vec()),
        (symbol::CHILDREN, bits(&mut pd.children.iter().filter_map(|c| c.id)).to_le_bytes().to_vec()),
    ];
    if !pd.children.is_empty() {
        values.push((symbol::CHILD_ENTRIES, child_entries.iter().flat_map(|e| e.to_le_bytes()).collect()));
    }
    values.push((symbol::CHANNEL_PEERS, channel_peers(ends, names)));
    values
}

/// One `MAX_NAME_LEN`-byte entry per channel id: the peer's name,
/// NUL-padded (a name of exactly that length has no NUL; a longer one is
/// cut, as `microkit_name` is).
fn channel_peers(ends: &[End], names: &[&str]) -> Vec<u8> {
    let mut table = vec![0u8; abi::CHANNEL_SLOTS * abi::MAX_NAME_LEN];
    for end in ends {
        let (Some(name), Some(entry)) = (names.get(end.peer as usize), table.chunks_mut(abi::MAX_NAME_LEN).nth(end.id as usize)) else {
            continue;
        };
        let len = name.len().min(abi::MAX_NAME_LEN);
        entry[..len].copy_from_slice(&name.as_bytes()[..len]);
    }
    table
}

fn image_name(pd: &ProtectionDomain) -> String {
    pd.program_image.as_ref().map(|p| p.path.clone()).unwrap_or_default()
}

fn symbol_rule(symbol: &str, pd: &ProtectionDomain, e: SymbolError) -> Rule {
    let (symbol, image) = (symbol.to_string(), image_name(pd));
    match e {
        SymbolError::Missing => Rule::MissingSymbol { symbol, image },
        SymbolError::Duplicate => Rule::DuplicateElfSymbol { symbol, image },
        SymbolError::Size { size, expected } => Rule::SymbolSize { symbol, image, size, expected },
        SymbolError::OutsideSegments => Rule::SymbolOutsideSegments { symbol, image },
    }
}

fn load_program(pd: &ProtectionDomain, options: &Options) -> Result<Program, BuildError> {
    let path = image_name(pd);
    let found: Option<PathBuf> = find_image(&path, &options.search_paths, &options.system_dir);
    let found = found.ok_or_else(|| BuildError::MissingImage { pd: pd.name.clone(), path: path.clone() })?;
    let bad = |reason: String| BuildError::BadImage { pd: pd.name.clone(), path: path.clone(), reason };
    let bytes = std::fs::read(&found).map_err(|e| bad(e.to_string()))?;
    Program::read_pd_image(&bytes).map_err(bad)
}

fn segment_perms(flags: u32) -> u32 {
    flag(flags & object::elf::PF_R != 0, monitor_spec::PERM_READ)
        | flag(flags & object::elf::PF_W != 0, monitor_spec::PERM_WRITE)
        | flag(flags & object::elf::PF_X != 0, monitor_spec::PERM_EXECUTE)
}

fn map_perms(p: Perms) -> u32 {
    flag(p.read, monitor_spec::PERM_READ) | flag(p.write, monitor_spec::PERM_WRITE) | flag(p.execute, monitor_spec::PERM_EXECUTE)
}

/// `bit` if `set`, else no bits.
fn flag<T: Default>(set: bool, bit: T) -> T {
    if set {
        bit
    } else {
        T::default()
    }
}
