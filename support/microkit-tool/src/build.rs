//! Turns a valid system into the monitor's spec: every PD's program segments
//! (with setvars and runtime symbols patched in), regions, maps, IRQs and
//! channel ends, as `monitor_spec` records.

use std::collections::HashMap;
use std::path::PathBuf;

use monitor_spec::abi::{self, symbol};
use monitor_spec::{End, Irq, Map, PaddrPatch, PdDesc, SegmentDesc, SpecBuilder};

use crate::elf::{find_image, Program};
use crate::sdf::{Perms, ProtectionDomain, System, Trigger};
use crate::{flatten, Options};

/// Why a valid system could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("error: program image '{path}' of PD '{pd}' not found in the search paths")]
    MissingImage { pd: String, path: String },
    #[error("error: cannot read program image '{path}' of PD '{pd}': {reason}")]
    BadImage { pd: String, path: String, reason: String },
    #[error("error: cannot patch PD '{pd}': {reason}")]
    Patch { pd: String, reason: String },
    #[error("error: monitor image: {0}")]
    Monitor(String),
}

/// The spec bytes for `system`, which must have passed `check`.
pub fn build_spec(system: &System, options: &Options) -> Result<Vec<u8>, BuildError> {
    let pds = flatten(system);
    let pd_index: HashMap<&str, u32> = pds.iter().enumerate().map(|(i, (pd, _))| (pd.name.as_str(), i as u32)).collect();
    let mut spec = SpecBuilder::new();
    let mut region_index = HashMap::new();
    for mr in &system.memory_regions {
        region_index.insert(mr.name.as_str(), spec.add_region(&mr.name, mr.size, mr.page_size, mr.phys_addr));
    }

    // Ends per PD, and which PDs receive PPCs (they need an endpoint).
    let mut ends: HashMap<&str, Vec<End>> = HashMap::new();
    let mut callee: Vec<&str> = Vec::new();
    for ch in &system.channels {
        let [a, b] = ch.ends.as_slice() else { continue };
        for (this, peer) in [(a, b), (b, a)] {
            let flags = flag(this.notify, monitor_spec::END_NOTIFY) | flag(this.pp, monitor_spec::END_PP);
            let peer_index = pd_index.get(peer.pd.as_str()).copied().unwrap_or_default();
            ends.entry(&this.pd).or_default().push(End {
                id: this.id as u32,
                peer: peer_index,
                peer_id: peer.id as u32,
                flags,
            });
            if this.pp {
                callee.push(&peer.pd);
            }
        }
    }

    let mut programs: Vec<Program> = Vec::with_capacity(pds.len());
    let mut paddr_patches: Vec<Vec<PaddrPatch>> = Vec::with_capacity(pds.len());
    for (pd, _) in &pds {
        let mut program = load_program(pd, options)?;
        let patch_err = |reason| BuildError::Patch { pd: pd.name.clone(), reason };
        for m in &pd.maps {
            if let Some(sym) = &m.setvar_vaddr {
                program.patch_symbol(sym, &m.vaddr.to_le_bytes()).map_err(patch_err)?;
            }
        }
        for c in &pd.children {
            if let (Some(sym), Some(id)) = (&c.setvar_id, c.id) {
                program.patch_symbol(sym, &id.to_le_bytes()).map_err(patch_err)?;
            }
        }
        let mut patches = Vec::new();
        for s in &pd.setvars {
            let &(vaddr, _) = program.symbols.get(&s.symbol).ok_or_else(|| patch_err(format!("no symbol '{}'", s.symbol)))?;
            let region = region_index.get(s.region_paddr.as_str()).copied().unwrap_or_default();
            patches.push(PaddrPatch { vaddr, region, _pad: 0 });
        }
        patch_runtime_symbols(&mut program, pd, ends.get(pd.name.as_str()).map_or(&[], Vec::as_slice))
            .map_err(patch_err)?;
        programs.push(program);
        paddr_patches.push(patches);
    }

    // Each parent learns its children's entry points (children come later).
    let mut entries: Vec<[u64; 64]> = vec![[0; 64]; pds.len()];
    for ((pd, parent), program) in pds.iter().zip(&programs) {
        if let (Some(parent), Some(id)) = (parent, pd.id) {
            entries[*parent][id as usize & 63] = program.entry;
        }
    }
    for ((program, entries), (pd, _)) in programs.iter_mut().zip(&entries).zip(&pds) {
        if !pd.children.is_empty() && program.symbols.contains_key(symbol::CHILD_ENTRIES) {
            let bytes: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
            program
                .patch_symbol(symbol::CHILD_ENTRIES, &bytes)
                .map_err(|reason| BuildError::Patch { pd: pd.name.clone(), reason })?;
        }
    }

    for (i, ((pd, parent), program)) in pds.iter().zip(&programs).enumerate() {
        let has_endpoint = callee.contains(&pd.name.as_str()) || !pd.children.is_empty();
        let flags = flag(pd.fpu, monitor_spec::PD_FPU) | flag(has_endpoint, monitor_spec::PD_ENDPOINT);
        let segments = program
            .segments
            .iter()
            .map(|s| SegmentDesc { vaddr: s.vaddr, mem_size: s.mem_size, perms: segment_perms(s.flags), bytes: &s.data })
            .collect();
        let maps = pd
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
        let irqs = pd
            .irqs
            .iter()
            .map(|irq| Irq {
                irq: irq.irq as u32,
                id: irq.id as u32,
                trigger: match irq.trigger {
                    Trigger::Level => monitor_spec::TRIGGER_LEVEL,
                    Trigger::Edge => monitor_spec::TRIGGER_EDGE,
                },
                _pad: 0,
            })
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
            ends: ends.get(pd.name.as_str()).cloned().unwrap_or_default(),
            paddr_patches: std::mem::take(&mut paddr_patches[i]),
        });
    }
    Ok(spec.finish())
}

fn load_program(pd: &ProtectionDomain, options: &Options) -> Result<Program, BuildError> {
    let path = pd.program_image.as_ref().map(|p| p.path.clone()).unwrap_or_default();
    let found: Option<PathBuf> = find_image(&path, &options.search_paths, &options.system_dir);
    let found = found.ok_or_else(|| BuildError::MissingImage { pd: pd.name.clone(), path: path.clone() })?;
    let bad = |reason: String| BuildError::BadImage { pd: pd.name.clone(), path: path.clone(), reason };
    let bytes = std::fs::read(&found).map_err(|e| bad(e.to_string()))?;
    Program::read(&bytes).map_err(bad)
}

/// Fills the PD runtime's symbols when the image defines them: its name and
/// which channel ids it may notify, call, or acknowledge as IRQs.
fn patch_runtime_symbols(program: &mut Program, pd: &ProtectionDomain, ends: &[End]) -> Result<(), String> {
    let bits = |ids: &mut dyn Iterator<Item = u64>| ids.fold(0u64, |acc, id| acc | 1 << id);
    let notifications = bits(&mut ends.iter().filter(|e| e.flags & monitor_spec::END_NOTIFY != 0).map(|e| u64::from(e.id)));
    let pps = bits(&mut ends.iter().filter(|e| e.flags & monitor_spec::END_PP != 0).map(|e| u64::from(e.id)));
    let irqs = bits(&mut pd.irqs.iter().map(|i| i.id));
    let children = bits(&mut pd.children.iter().filter_map(|c| c.id));
    // C runtimes declare a shorter name array; fill whatever size is there,
    // keeping a terminating NUL.
    let name_size = program.symbols.get(symbol::NAME).map_or(0, |&(_, size)| size).min(abi::PAGE_SIZE) as usize;
    let mut name = vec![0u8; name_size];
    let len = pd.name.len().min(name_size.saturating_sub(1)).min(abi::MAX_NAME_LEN);
    name[..len].copy_from_slice(&pd.name.as_bytes()[..len]);
    let values: [(&str, &[u8]); 5] = [
        (symbol::NAME, &name),
        (symbol::NOTIFICATIONS, &notifications.to_le_bytes()),
        (symbol::PPS, &pps.to_le_bytes()),
        (symbol::IRQS, &irqs.to_le_bytes()),
        (symbol::CHILDREN, &children.to_le_bytes()),
    ];
    for (sym, value) in values {
        if program.symbols.contains_key(sym) {
            program.patch_symbol(sym, value)?;
        }
    }
    Ok(())
}

fn segment_perms(flags: u32) -> u32 {
    let mut perms = 0;
    if flags & object::elf::PF_R != 0 {
        perms |= monitor_spec::PERM_READ;
    }
    if flags & object::elf::PF_W != 0 {
        perms |= monitor_spec::PERM_WRITE;
    }
    if flags & object::elf::PF_X != 0 {
        perms |= monitor_spec::PERM_EXECUTE;
    }
    perms
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
