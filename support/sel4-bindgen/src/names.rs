//! Turning kernel identifiers (`seL4_ARM_PageTable`, `capAllowGrant`,
//! `SetIPCBuffer`, `CNode`) into Rust names.

/// Splits an identifier into words at `_`, lower→upper changes and the end of
/// an acronym (`IPCBuffer` → `IPC`, `Buffer`). `seL4` stays one word, and a
/// lone capital joins the next word (`CNode` stays one word, so `cnode`).
pub fn words(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in ident.split('_').filter(|p| !p.is_empty()) {
        let (mut part_words, rest) = match part.strip_prefix("seL4") {
            Some(rest) => (vec!["seL4".to_string()], rest),
            None => (Vec::new(), part),
        };
        let chars: Vec<char> = rest.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && c.is_ascii_uppercase() {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                let boundary = prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower);
                if boundary && !cur.is_empty() {
                    part_words.push(std::mem::take(&mut cur));
                }
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            part_words.push(cur);
        }
        // A single capital letter is a prefix of the next word (C + Node).
        let mut merged: Vec<String> = Vec::new();
        let mut carry = String::new();
        for w in part_words {
            if w.len() == 1 && w.chars().all(|c| c.is_ascii_uppercase()) {
                carry.push_str(&w);
            } else {
                merged.push(format!("{carry}{w}"));
                carry.clear();
            }
        }
        if !carry.is_empty() {
            merged.push(carry);
        }
        out.extend(merged);
    }
    out
}

pub fn snake(ident: &str) -> String {
    words(ident)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

pub fn screaming(ident: &str) -> String {
    words(ident)
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// Rust CamelCase: acronyms become capitalised words (`TCB` → `Tcb`), mixed
/// words keep their inner capitals (`CNode`).
pub fn camel(ident: &str) -> String {
    words(ident)
        .iter()
        .map(|w| {
            let all_upper = !w.chars().any(|c| c.is_ascii_lowercase());
            let mut cs = w.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase()).into_iter();
            if all_upper {
                first
                    .chain(cs.map(|c| c.to_ascii_lowercase()))
                    .collect::<String>()
            } else {
                first.chain(cs).collect::<String>()
            }
        })
        .collect()
}

/// The kernel's own syscall-name rule (`[A-Z][A-Z]?[^A-Z]*` words joined by
/// `_`, upper-cased), so `NBSend` → `NB_SEND` exactly as in the C headers.
pub fn syscall_screaming(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_uppercase() {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_ascii_uppercase() {
            i += 1;
        }
        words.push(
            chars[start..i]
                .iter()
                .collect::<String>()
                .to_ascii_uppercase(),
        );
    }
    words.join("_")
}

/// Strips `seL4_` and then `ARM_`, the prefixes the Rust names drop.
pub fn strip_prefixes(name: &str) -> &str {
    let n = name.strip_prefix("seL4_").unwrap_or(name);
    n.strip_prefix("ARM_").unwrap_or(n)
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// A snake_case identifier made safe to use as a Rust binding name.
pub fn ident(snake_name: &str) -> String {
    match snake_name {
        "self" | "super" | "crate" | "Self" => format!("{snake_name}_"),
        n if KEYWORDS.contains(&n) => format!("r#{n}"),
        n if n.starts_with(|c: char| c.is_ascii_digit()) => format!("_{n}"),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases() {
        assert_eq!(snake("capAllowGrant"), "cap_allow_grant");
        assert_eq!(snake("capsUnwrapped"), "caps_unwrapped");
        assert_eq!(snake("SetIPCBuffer"), "set_ipc_buffer");
        assert_eq!(snake("Clean_Data"), "clean_data");
        assert_eq!(snake("CNode"), "cnode");
        assert_eq!(snake("IRQControl"), "irq_control");
        assert_eq!(snake("PageGlobalDirectory"), "page_global_directory");
        assert_eq!(snake("seL4_FaultType"), "sel4_fault_type");
        assert_eq!(snake("X0"), "x0");
        assert_eq!(snake("FaultIP"), "fault_ip");
        assert_eq!(snake("bufferFrame"), "buffer_frame");
    }

    #[test]
    fn camel_and_screaming() {
        assert_eq!(camel("TCB"), "Tcb");
        assert_eq!(camel("CNode"), "CNode");
        assert_eq!(camel("IRQHandler"), "IrqHandler");
        assert_eq!(camel("ASIDPool"), "AsidPool");
        assert_eq!(camel("PageUpperDirectory"), "PageUpperDirectory");
        assert_eq!(screaming("CapInitThreadCNode"), "CAP_INIT_THREAD_CNODE");
        assert_eq!(screaming("Default_VMAttributes"), "DEFAULT_VM_ATTRIBUTES");
        assert_eq!(screaming("PageBits"), "PAGE_BITS");
        assert_eq!(
            screaming("DepthMismatch_BitsFound"),
            "DEPTH_MISMATCH_BITS_FOUND"
        );
    }

    #[test]
    fn syscall_rule_matches_kernel_tool() {
        assert_eq!(syscall_screaming("ReplyRecv"), "REPLY_RECV");
        assert_eq!(syscall_screaming("NBSend"), "NB_SEND");
        assert_eq!(syscall_screaming("DebugPutChar"), "DEBUG_PUT_CHAR");
        assert_eq!(syscall_screaming("VMEnter"), "VM_ENTER");
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("self"), "self_");
        assert_eq!(ident("vaddr"), "vaddr");
    }
}
