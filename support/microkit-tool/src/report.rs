//! A human-readable summary of a valid system.

use std::fmt::Write;

use crate::sdf::{Prefill, ProtectionDomain, System, Trigger};

pub fn report(system: &System) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Protection domains:");
    for pd in &system.protection_domains {
        write_pd(&mut out, pd, 1);
    }
    let _ = writeln!(out, "Memory regions:");
    for mr in &system.memory_regions {
        let paddr = match mr.phys_addr {
            Some(p) => format!("phys_addr {p:#x}"),
            None => "placed by the monitor at boot (it prints the address)".to_string(),
        };
        let prefill = match &mr.prefill {
            None => String::new(),
            Some(Prefill { path, bytes: Some(bytes), .. }) => format!(", prefilled from '{path}' ({} bytes)", bytes.len()),
            Some(Prefill { path, bytes: None, .. }) => format!(", prefilled from '{path}' (not found)"),
        };
        let _ = writeln!(out, "  {}: size {:#x}, page_size {:#x}, {}{prefill}", mr.name, mr.size, mr.page_size, paddr);
    }
    let _ = writeln!(out, "Channels:");
    for ch in &system.channels {
        let ends: Vec<String> = ch
            .ends
            .iter()
            .map(|e| format!("{}:{} (pp={}, notify={})", e.pd, e.id, e.pp, e.notify))
            .collect();
        let _ = writeln!(out, "  {}", ends.join(" <-> "));
    }
    out
}

fn write_pd(out: &mut String, pd: &ProtectionDomain, depth: usize) {
    let indent = "  ".repeat(depth);
    let id = pd.id.map(|id| format!(", child id {id}")).unwrap_or_default();
    let image = pd.program_image.as_ref().map(|i| i.path.as_str()).unwrap_or("?");
    let debug = if pd.debug_syscalls { "" } else { ", no debug syscalls" };
    let _ = writeln!(out, "{indent}{}: priority {}{id}, stack {:#x}, image {image}{debug}", pd.name, pd.priority, pd.stack_size);
    for m in &pd.maps {
        let _ = writeln!(out, "{indent}  map {} at {:#x} perms {} cached {}", m.mr, m.vaddr, m.perms, m.cached);
    }
    for irq in &pd.irqs {
        let trigger = match irq.trigger {
            Trigger::Level => "level",
            Trigger::Edge => "edge",
        };
        let _ = writeln!(out, "{indent}  irq {} as channel {} ({trigger})", irq.irq, irq.id);
    }
    for child in &pd.children {
        write_pd(out, child, depth + 1);
    }
}
