//! Rules that relate elements to each other. Every pass is a hash lookup or a
//! sort, so a full 63-PD system stays linear-ish (n log n) in its size.

use std::collections::{HashMap, HashSet};

use crate::error::{Pos, Rule};
use crate::layout;
use crate::sdf::{Diagnostics, MemoryRegion, ProtectionDomain, System};

/// All PDs, parents before children, with their parent's index.
pub fn flatten(system: &System) -> Vec<(&ProtectionDomain, Option<usize>)> {
    let mut out = Vec::new();
    let mut stack: Vec<(&ProtectionDomain, Option<usize>)> =
        system.protection_domains.iter().rev().map(|pd| (pd, None)).collect();
    while let Some((pd, parent)) = stack.pop() {
        let index = out.len();
        out.push((pd, parent));
        stack.extend(pd.children.iter().rev().map(|c| (c, Some(index))));
    }
    out
}

pub(crate) fn validate(system: &System, diag: &mut Diagnostics) {
    let pds = flatten(system);
    let pd = "protection_domain";

    let mut names: HashMap<&str, &ProtectionDomain> = HashMap::new();
    for (p, _) in &pds {
        if p.name == layout::MONITOR_NAME {
            diag.error(pd, p.pos, Rule::ReservedName);
        } else if names.insert(&p.name, p).is_some() {
            diag.error(pd, p.pos, Rule::DuplicatePdName(p.name.clone()));
        }
        if !p.mcs_attributes.is_empty() {
            diag.warn(
                pd,
                p.pos,
                format!(
                    "{} accepted but not enforced: the kernel is not MCS, so '{}' runs without a budget, \
                     period or passive scheduling context",
                    p.mcs_attributes.join(", "),
                    p.name
                ),
            );
        }
        let mut child_ids: HashMap<u64, ()> = HashMap::new();
        for c in &p.children {
            if let Some(id) = c.id {
                if child_ids.insert(id, ()).is_some() {
                    diag.error(pd, c.pos, Rule::DuplicateChildId { id, parent: p.name.clone() });
                }
            }
        }
    }
    // The parser stops descending past the limit; this catches wide systems.
    if let Some((p, _)) = pds.get(layout::MAX_PDS) {
        diag.error(pd, p.pos, Rule::TooManyPds(pds.len()));
    }

    let mut regions: HashMap<&str, &MemoryRegion> = HashMap::new();
    for mr in &system.memory_regions {
        if regions.insert(&mr.name, mr).is_some() {
            diag.error("memory_region", mr.pos, Rule::DuplicateRegionName(mr.name.clone()));
        }
    }
    check_fixed_regions(system, diag);

    let mut mapped: HashSet<&str> = HashSet::new();
    let mut irq_numbers: HashMap<u64, &str> = HashMap::new();
    let mut ids: HashSet<(&str, u64)> = HashSet::new();
    for (p, _) in &pds {
        check_maps(p, &regions, &mut mapped, diag);
        for irq in &p.irqs {
            if let Some(owner) = irq_numbers.insert(irq.irq, &p.name) {
                diag.error("irq", irq.pos, Rule::DuplicateIrq { irq: irq.irq, pd: owner.to_string() });
            }
            if irq.id > layout::MAX_NOTIFIED_ID {
                diag.error("irq", irq.pos, Rule::NotifiedIdTooLarge { id: irq.id, pd: p.name.clone() });
            }
            if !ids.insert((&p.name, irq.id)) {
                diag.error("irq", irq.pos, Rule::DuplicateId { id: irq.id, pd: p.name.clone() });
            }
        }
        let mut patched: Vec<(&str, &str, Pos)> = Vec::new();
        for s in &p.setvars {
            if !regions.contains_key(s.region_paddr.as_str()) {
                diag.error("setvar", s.pos, Rule::UnknownRegion(s.region_paddr.clone()));
            }
            patched.push((&s.symbol, "setvar", s.pos));
        }
        patched.extend(p.maps.iter().filter_map(|m| Some((m.setvar_vaddr.as_deref()?, "map", m.pos))));
        patched.extend(p.children.iter().filter_map(|c| Some((c.setvar_id.as_deref()?, pd, c.pos))));
        let mut symbols: HashSet<&str> = HashSet::new();
        for (symbol, element, pos) in patched {
            if !symbols.insert(symbol) {
                diag.error(element, pos, Rule::DuplicateSymbol { symbol: symbol.to_string(), pd: p.name.clone() });
            }
        }
    }

    for ch in &system.channels {
        for end in &ch.ends {
            if !names.contains_key(end.pd.as_str()) {
                diag.error("end", end.pos, Rule::UnknownPd(end.pd.clone()));
            } else if !ids.insert((&end.pd, end.id)) {
                diag.error("end", end.pos, Rule::DuplicateId { id: end.id, pd: end.pd.clone() });
            }
        }
        let [a, b] = ch.ends.as_slice() else { continue };
        for (end, peer) in [(a, b), (b, a)] {
            if peer.notify && end.id > layout::MAX_NOTIFIED_ID && end.id <= layout::MAX_CHANNEL_ID {
                diag.error("end", end.pos, Rule::NotifiedIdTooLarge { id: end.id, pd: end.pd.clone() });
            }
        }
        if a.pp && b.pp {
            diag.error("channel", ch.pos, Rule::BidirectionalPpc);
            continue;
        }
        let (caller, callee) = match (a.pp, b.pp) {
            (true, false) => (a, b),
            (false, true) => (b, a),
            _ => continue,
        };
        if let (Some(from), Some(to)) = (names.get(caller.pd.as_str()), names.get(callee.pd.as_str())) {
            if to.priority <= from.priority {
                diag.error(
                    "channel",
                    ch.pos,
                    Rule::PpcPriority {
                        caller: from.name.clone(),
                        caller_priority: from.priority,
                        callee: to.name.clone(),
                        callee_priority: to.priority,
                    },
                );
            }
        }
    }

    for mr in &system.memory_regions {
        if !mapped.contains(mr.name.as_str()) {
            diag.warn("memory_region", mr.pos, format!("memory region '{}' is not mapped by any protection domain", mr.name));
        }
    }
}

fn check_fixed_regions(system: &System, diag: &mut Diagnostics) {
    let mut fixed: Vec<(u64, u64, &MemoryRegion)> = system
        .memory_regions
        .iter()
        .filter_map(|mr| {
            let start = mr.phys_addr?;
            Some((start, start.checked_add(mr.size)?, mr))
        })
        .collect();
    fixed.sort_by_key(|&(start, end, _)| (start, end));
    // The region reaching furthest so far: any later start below its end overlaps.
    let mut reach: Option<(u64, u64, &MemoryRegion)> = None;
    for (start, end, mr) in fixed {
        if let Some((o_start, o_end, other)) = reach {
            if start < o_end {
                diag.error(
                    "memory_region",
                    mr.pos,
                    Rule::PhysOverlap {
                        name: mr.name.clone(),
                        start,
                        end,
                        other: other.name.clone(),
                        other_start: o_start,
                        other_end: o_end,
                    },
                );
            }
        }
        if reach.is_none_or(|(_, o_end, _)| end > o_end) {
            reach = Some((start, end, mr));
        }
    }
}

fn check_maps<'s>(
    pd: &'s ProtectionDomain,
    regions: &HashMap<&str, &'s MemoryRegion>,
    mapped: &mut HashSet<&'s str>,
    diag: &mut Diagnostics,
) {
    let limit = layout::stack_bottom(pd.stack_size);
    let mut ranges = Vec::new();
    for m in &pd.maps {
        let Some(mr) = regions.get(m.mr.as_str()) else {
            diag.error("map", m.pos, Rule::UnknownRegion(m.mr.clone()));
            continue;
        };
        mapped.insert(&mr.name);
        if m.vaddr % mr.page_size != 0 {
            diag.error("map", m.pos, Rule::VaddrAlign { vaddr: m.vaddr, page_size: mr.page_size, mr: m.mr.clone() });
            continue;
        }
        let end = m.vaddr.saturating_add(mr.size);
        if end > limit {
            diag.error(
                "map",
                m.pos,
                Rule::MapAboveStack { mr: m.mr.clone(), start: m.vaddr, end, limit, pd: pd.name.clone() },
            );
            continue;
        }
        ranges.push((m.vaddr, end, m));
    }
    ranges.sort_by_key(|&(start, end, m)| (start, end, m.pos));
    let mut reach: Option<(u64, u64, &crate::sdf::Map)> = None;
    for (start, end, m) in ranges {
        if let Some((o_start, o_end, other)) = reach {
            if start < o_end {
                diag.error(
                    "map",
                    m.pos,
                    Rule::MapOverlap {
                        mr: m.mr.clone(),
                        start,
                        end,
                        other: other.mr.clone(),
                        other_start: o_start,
                        other_end: o_end,
                        pd: pd.name.clone(),
                    },
                );
            }
        }
        if reach.is_none_or(|(_, o_end, _)| end > o_end) {
            reach = Some((start, end, m));
        }
    }
}
