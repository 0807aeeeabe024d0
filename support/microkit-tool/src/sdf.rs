//! The typed model of a `system.xml` and the parser that builds it.
//!
//! The parser checks what one element can tell on its own (element and attribute
//! names, text, number and boolean syntax, ranges of single values); `validate`
//! checks the rules that relate elements to each other.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use crate::error::{Error, Pos, Rule};
use crate::{layout, xml_limits};

mod domains;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct System {
    pub protection_domains: Vec<ProtectionDomain>,
    pub memory_regions: Vec<MemoryRegion>,
    pub channels: Vec<Channel>,
    /// Names of the scheduling domains `<domains>` declared, if it was given.
    pub domains: Option<Vec<String>>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionDomain {
    pub name: String,
    pub priority: u64,
    pub budget: u64,
    pub period: u64,
    pub passive: bool,
    pub stack_size: u64,
    pub cpu: u64,
    pub fpu: bool,
    /// Our extension (`debug_syscalls`, default true as in Microkit): false
    /// runs the PD with maximum controlled priority 0, so a kernel with patch
    /// 0012 turns its debug syscalls into UnknownSyscall faults.
    pub debug_syscalls: bool,
    /// Child id, required on (and only on) a child PD.
    pub id: Option<u64>,
    /// Symbol in the parent's ELF patched with this child's id.
    pub setvar_id: Option<String>,
    pub program_image: Option<ProgramImage>,
    pub maps: Vec<Map>,
    pub irqs: Vec<Irq>,
    pub setvars: Vec<Setvar>,
    pub children: Vec<ProtectionDomain>,
    /// MCS-only attributes written explicitly (`budget`, `period`, `passive`).
    pub mcs_attributes: Vec<&'static str>,
    /// The scheduling domain named by `domain`.
    pub domain: Option<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramImage {
    pub path: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRegion {
    pub name: String,
    /// As given, or the prefill file's length rounded up to `page_size` once
    /// `check` has read it (one page while the file is not found).
    pub size: u64,
    pub page_size: u64,
    pub phys_addr: Option<u64>,
    pub prefill: Option<Prefill>,
    pub pos: Pos,
}

/// `prefill_path`: a file whose bytes start the region at boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefill {
    /// Looked up as a program image is (search paths, then the system's directory).
    pub path: String,
    /// No `size` was given, so the file's length decides it.
    pub sizes_region: bool,
    /// The file's bytes, once `check` has found and read it.
    pub bytes: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl std::fmt::Display for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flag = |set, c| if set { c } else { '-' };
        write!(f, "{}{}{}", flag(self.read, 'r'), flag(self.write, 'w'), flag(self.execute, 'x'))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map {
    pub mr: String,
    pub vaddr: u64,
    pub perms: Perms,
    pub cached: bool,
    pub setvar_vaddr: Option<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Level,
    Edge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Irq {
    pub irq: u64,
    pub id: u64,
    pub trigger: Trigger,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setvar {
    pub symbol: String,
    pub region_paddr: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Exactly two once validated; the parser keeps what it found.
    pub ends: Vec<End>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub pd: String,
    pub id: u64,
    pub pp: bool,
    pub notify: bool,
    pub pos: Pos,
}

/// A warning: accepted, but something the user should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    pub element: String,
    pub file: String,
    pub pos: Pos,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "warning: {} on element '{}' at {}:{}", self.message, self.element, self.file, self.pos)
    }
}

/// Parses a number: decimal, or hex with `0x` (lowercase, as Microkit has
/// it); underscores are ignored.
pub fn parse_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let (body, radix) = match digits.strip_prefix("0x") {
        Some(hex) => (hex, 16),
        None => (digits.as_str(), 10),
    };
    // `from_str_radix` accepts a leading '+', which SDF does not.
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(body, radix).ok()
}

/// Collects errors and warnings while walking one document.
pub(crate) struct Diagnostics<'f> {
    pub file: &'f str,
    pub errors: Vec<Error>,
    pub warnings: Vec<Warning>,
}

impl Diagnostics<'_> {
    pub fn error(&mut self, element: &str, pos: Pos, rule: Rule) {
        self.errors.push(Error::Rule { file: self.file.to_string(), element: element.to_string(), pos, rule });
    }

    pub fn warn(&mut self, element: &str, pos: Pos, message: String) {
        self.warnings.push(Warning { message, element: element.to_string(), file: self.file.to_string(), pos });
    }
}

struct Parser<'input, 'f> {
    positions: Positions<'input>,
    diag: Diagnostics<'f>,
    pd_count: usize,
    /// The domains of a `<domains>` seen so far (Microkit reads them in order).
    domains: Option<Vec<String>>,
}

/// Line and column of byte offsets, in time linear in the text for offsets
/// asked for in increasing order (as the parser does). `Document::text_pos_at`
/// rescans from the start on every call, and counting each column from its
/// line's start is quadratic on a long line.
struct Positions<'t> {
    text: &'t str,
    /// Byte offset of each line's start.
    line_starts: Vec<usize>,
    /// The last answer: (offset, line index, column counted in chars from 0).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'t> Positions<'t> {
    fn new(text: &'t str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Positions { text, line_starts, last: std::cell::Cell::new((0, 0, 0)) }
    }

    fn at(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let (last_offset, last_line, last_col) = self.last.get();
        let (from, col) = if last_line == line && last_offset <= offset {
            (last_offset, last_col)
        } else {
            (self.line_starts.get(line).copied().unwrap_or(0), 0)
        };
        let col = col + self.text.get(from..offset).map_or(0, |s| s.chars().count());
        self.last.set((offset, line, col));
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Pos { line: clamp(line).saturating_add(1), col: clamp(col).saturating_add(1) }
    }
}

/// Parses `text` (named `file` in messages). Returns the model of everything that
/// could be read, with every error and warning found on the way.
pub(crate) fn parse<'f>(file: &'f str, text: &str) -> (System, Diagnostics<'f>) {
    let mut diag = Diagnostics { file, errors: Vec::new(), warnings: Vec::new() };
    if let Err(e) = xml_limits::check(text) {
        let pos = Positions::new(text).at(e.offset);
        diag.errors.push(Error::Unreadable { file: file.to_string(), pos, message: e.message });
        return (System::default(), diag);
    }
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let p = e.pos();
            diag.errors.push(Error::Xml {
                file: file.to_string(),
                pos: Pos { line: p.row, col: p.col },
                message: e.to_string(),
            });
            return (System::default(), diag);
        }
    };
    let mut parser = Parser { positions: Positions::new(text), diag, pd_count: 0, domains: None };
    let system = parser.system(doc.root_element());
    (system, parser.diag)
}

impl<'a, 'input> Parser<'input, '_> {
    fn pos(&self, node: Node) -> Pos {
        self.positions.at(node.range().start)
    }

    fn error(&mut self, node: Node, rule: Rule) {
        let pos = self.pos(node);
        self.diag.error(node.tag_name().name(), pos, rule);
    }

    /// Reports unknown attributes and returns the element's child elements,
    /// reporting any non-whitespace text between them.
    fn check_shape(&mut self, node: Node<'a, 'input>, allowed: &[&str]) -> Vec<Node<'a, 'input>> {
        for attr in node.attributes() {
            if attr.namespace().is_some() || !allowed.contains(&attr.name()) {
                self.error(node, Rule::UnknownAttribute(attr.name().to_string()));
            }
        }
        let mut elements = Vec::new();
        for child in node.children() {
            if let (true, Some(namespace)) = (child.is_element(), child.tag_name().namespace()) {
                let element = child.tag_name().name().to_string();
                self.error(child, Rule::Namespace { element, namespace: namespace.to_string() });
            } else if child.is_element() {
                elements.push(child);
            } else if child.is_text() {
                let text = child.text().unwrap_or("").trim();
                if !text.is_empty() {
                    self.error(node, Rule::Text(text.chars().take(40).collect()));
                }
            }
        }
        elements
    }

    /// For elements that take no child elements.
    fn check_leaf(&mut self, node: Node<'a, 'input>, allowed: &[&str]) {
        for child in self.check_shape(node, allowed) {
            self.error(child, Rule::UnknownElement(child.tag_name().name().to_string()));
        }
    }

    fn required(&mut self, node: Node<'a, 'input>, attr: &'static str) -> Option<&'a str> {
        let value = node.attribute(attr);
        if value.is_none() {
            self.error(node, Rule::MissingAttribute(attr));
        }
        value
    }

    /// `None` if absent or invalid (an error is recorded when invalid).
    fn number(&mut self, node: Node<'a, 'input>, attr: &'static str) -> Option<u64> {
        let value = node.attribute(attr)?;
        let n = parse_number(value);
        if n.is_none() {
            self.error(node, Rule::BadNumber { attr, value: value.to_string() });
        }
        n
    }

    fn required_number(&mut self, node: Node<'a, 'input>, attr: &'static str) -> Option<u64> {
        if node.attribute(attr).is_none() {
            self.error(node, Rule::MissingAttribute(attr));
        }
        self.number(node, attr)
    }

    fn boolean(&mut self, node: Node<'a, 'input>, attr: &'static str, default: bool) -> bool {
        match node.attribute(attr) {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(value) => {
                self.error(node, Rule::BadBool { attr, value: value.to_string() });
                default
            }
        }
    }

    fn system(&mut self, root: Node<'a, 'input>) -> System {
        let mut system = System { pos: self.pos(root), ..System::default() };
        if let Some(namespace) = root.tag_name().namespace() {
            let element = root.tag_name().name().to_string();
            self.error(root, Rule::Namespace { element, namespace: namespace.to_string() });
            return system;
        }
        if root.tag_name().name() != "system" {
            self.error(root, Rule::Root(root.tag_name().name().to_string()));
            return system;
        }
        for child in self.check_shape(root, &[]) {
            match child.tag_name().name() {
                "protection_domain" => {
                    if let Some(pd) = self.protection_domain(child, false) {
                        system.protection_domains.push(pd);
                    }
                }
                "memory_region" => {
                    if let Some(mr) = self.memory_region(child) {
                        system.memory_regions.push(mr);
                    }
                }
                "channel" => system.channels.push(self.channel(child)),
                "domains" => self.domains(child),
                other => self.error(child, Rule::UnknownElement(other.to_string())),
            }
        }
        if self.pd_count == 0 {
            self.error(root, Rule::NoProtectionDomains);
        }
        system.domains = self.domains.take();
        system
    }

    fn protection_domain(&mut self, node: Node<'a, 'input>, is_child: bool) -> Option<ProtectionDomain> {
        const ATTRS: &[&str] = &[
            "name", "priority", "budget", "period", "passive", "stack_size", "cpu", "fpu", "id", "setvar_id",
            "domain", "debug_syscalls",
        ];
        self.pd_count += 1;
        let elements = self.check_shape(node, ATTRS);
        let pos = self.pos(node);
        let name = self.required(node, "name");

        let priority = self.number(node, "priority").unwrap_or(0);
        if priority > layout::MAX_PRIORITY {
            self.error(node, Rule::Priority(priority));
        }
        let mut mcs_attributes = Vec::new();
        for attr in ["budget", "period", "passive"] {
            if node.attribute(attr).is_some() {
                mcs_attributes.push(attr);
            }
        }
        let budget = self.number(node, "budget").unwrap_or(layout::BUDGET_DEFAULT);
        let period = self.number(node, "period").unwrap_or(budget);
        if budget > period {
            self.error(node, Rule::BudgetGtPeriod { budget, period });
        }
        let passive = self.boolean(node, "passive", false);
        let stack_size = self.number(node, "stack_size").unwrap_or(layout::STACK_SIZE_DEFAULT);
        if !(layout::STACK_SIZE_MIN..=layout::STACK_SIZE_MAX).contains(&stack_size) {
            self.error(node, Rule::StackSizeRange(stack_size));
        } else if !stack_size.is_multiple_of(layout::PAGE_SIZE) {
            self.error(node, Rule::StackSizeAlign(stack_size));
        }
        let cpu = self.number(node, "cpu").unwrap_or(0);
        if cpu != 0 {
            self.error(node, Rule::Cpu(cpu));
        }
        let fpu = self.boolean(node, "fpu", true);
        let debug_syscalls = self.boolean(node, "debug_syscalls", true);
        let domain = self.pd_domain(node);

        let id = if is_child {
            let id = self.required_number(node, "id");
            if let Some(id) = id {
                if id > layout::MAX_CHILD_ID {
                    self.error(node, Rule::ChildIdRange(id));
                }
            }
            id
        } else {
            for attr in ["id", "setvar_id"] {
                if node.attribute(attr).is_some() {
                    self.error(node, Rule::ChildOnly(attr));
                }
            }
            None
        };
        let setvar_id = if is_child { node.attribute("setvar_id").map(str::to_string) } else { None };

        let mut images = Vec::new();
        let mut maps = Vec::new();
        let mut irqs = Vec::new();
        let mut setvars = Vec::new();
        let mut children = Vec::new();
        for child in elements {
            match child.tag_name().name() {
                "program_image" => {
                    self.check_leaf(child, &["path"]);
                    if let Some(path) = self.required(child, "path") {
                        images.push(ProgramImage { path: path.to_string(), pos: self.pos(child) });
                    }
                }
                "map" => maps.extend(self.map(child)),
                "irq" => irqs.extend(self.irq(child)),
                "setvar" => {
                    self.check_leaf(child, &["symbol", "region_paddr"]);
                    let symbol = self.required(child, "symbol");
                    let region = self.required(child, "region_paddr");
                    if let (Some(symbol), Some(region)) = (symbol, region) {
                        setvars.push(Setvar {
                            symbol: symbol.to_string(),
                            region_paddr: region.to_string(),
                            pos: self.pos(child),
                        });
                    }
                }
                "protection_domain" => {
                    // Past the limit the system is invalid anyway; stopping here
                    // also bounds the recursion on hostile nesting.
                    if self.pd_count > layout::MAX_PDS {
                        self.pd_count += 1;
                        self.error(child, Rule::TooManyPds(self.pd_count));
                    } else {
                        children.extend(self.protection_domain(child, true));
                    }
                }
                other => self.error(child, Rule::UnknownElement(other.to_string())),
            }
        }
        if images.len() != 1 {
            self.error(node, Rule::ProgramImageCount(images.len()));
        }
        Some(ProtectionDomain {
            name: name?.to_string(),
            priority,
            budget,
            period,
            passive,
            stack_size,
            cpu,
            fpu,
            debug_syscalls,
            id,
            setvar_id,
            program_image: images.into_iter().next(),
            maps,
            irqs,
            setvars,
            children,
            mcs_attributes,
            domain,
            pos,
        })
    }

    fn memory_region(&mut self, node: Node<'a, 'input>) -> Option<MemoryRegion> {
        self.check_leaf(node, &["name", "size", "page_size", "phys_addr", "prefill_path"]);
        let name = self.required(node, "name");
        let prefill_path = node.attribute("prefill_path");
        let size = if prefill_path.is_some() { self.number(node, "size") } else { self.required_number(node, "size") };
        let page_size = self.number(node, "page_size").unwrap_or(layout::PAGE_SIZE);
        let page_size_ok = page_size == layout::PAGE_SIZE || page_size == layout::LARGE_PAGE_SIZE;
        if !page_size_ok {
            self.error(node, Rule::PageSize(page_size));
        }
        if let Some(size) = size {
            if size == 0 {
                self.error(node, Rule::SizeZero);
            } else if page_size_ok && size % page_size != 0 {
                self.error(node, Rule::SizeNotMultiple { size, page_size });
            }
        }
        let phys_addr = self.number(node, "phys_addr");
        if let Some(paddr) = phys_addr {
            if page_size_ok && paddr % page_size != 0 {
                self.error(node, Rule::PhysAlign { paddr, page_size });
            }
            if paddr.checked_add(size.unwrap_or(0)).is_none() {
                self.error(node, Rule::PhysOverflow(paddr));
            }
        }
        if let Some(path) = prefill_path {
            let (mr, path) = (name.unwrap_or_default().to_string(), path.to_string());
            if phys_addr.is_some() {
                self.error(node, Rule::PrefillFixed { mr, path });
            } else if page_size_ok && page_size != layout::PAGE_SIZE {
                self.error(node, Rule::PrefillPageSize { mr, path, page_size });
            }
        }
        let prefill = prefill_path.map(|path| Prefill {
            path: path.to_string(),
            sizes_region: node.attribute("size").is_none(),
            bytes: None,
        });
        Some(MemoryRegion {
            name: name?.to_string(),
            // An invalid or absent size has been reported (or comes from the
            // prefill file); one page keeps later checks quiet.
            size: size.unwrap_or(page_size),
            page_size: if page_size_ok { page_size } else { layout::PAGE_SIZE },
            phys_addr,
            prefill,
            pos: self.pos(node),
        })
    }

    fn map(&mut self, node: Node<'a, 'input>) -> Option<Map> {
        self.check_leaf(node, &["mr", "vaddr", "perms", "cached", "setvar_vaddr"]);
        let mr = self.required(node, "mr");
        let vaddr = self.required_number(node, "vaddr");
        let perms_text = node.attribute("perms").unwrap_or("rw");
        let mut perms = Perms::default();
        let mut seen = HashSet::new();
        let mut ok = !perms_text.is_empty();
        for c in perms_text.chars() {
            ok &= seen.insert(c);
            match c {
                'r' => perms.read = true,
                'w' => perms.write = true,
                'x' => perms.execute = true,
                _ => ok = false,
            }
        }
        if !ok {
            self.error(node, Rule::BadPerms(perms_text.to_string()));
        } else if perms_text == "w" {
            self.error(node, Rule::WriteOnly);
        }
        let cached = self.boolean(node, "cached", true);
        Some(Map {
            mr: mr?.to_string(),
            vaddr: vaddr?,
            perms,
            cached,
            setvar_vaddr: node.attribute("setvar_vaddr").map(str::to_string),
            pos: self.pos(node),
        })
    }

    fn irq(&mut self, node: Node<'a, 'input>) -> Option<Irq> {
        self.check_leaf(node, &["irq", "id", "trigger"]);
        let irq = self.required_number(node, "irq");
        let id = self.required_number(node, "id");
        if let Some(id) = id {
            if id > layout::MAX_CHANNEL_ID {
                self.error(node, Rule::IdRange(id));
            }
        }
        let trigger = match node.attribute("trigger") {
            None | Some("level") => Trigger::Level,
            Some("edge") => Trigger::Edge,
            Some(other) => {
                self.error(node, Rule::Trigger(other.to_string()));
                Trigger::Level
            }
        };
        Some(Irq { irq: irq?, id: id?, trigger, pos: self.pos(node) })
    }

    fn channel(&mut self, node: Node<'a, 'input>) -> Channel {
        let mut ends = Vec::new();
        let mut found = 0;
        for child in self.check_shape(node, &[]) {
            if child.tag_name().name() != "end" {
                self.error(child, Rule::UnknownElement(child.tag_name().name().to_string()));
                continue;
            }
            found += 1;
            self.check_leaf(child, &["pd", "id", "pp", "notify"]);
            let pd = self.required(child, "pd");
            let id = self.required_number(child, "id");
            if let Some(id) = id {
                if id > layout::MAX_CHANNEL_ID {
                    self.error(child, Rule::IdRange(id));
                }
            }
            let pp = self.boolean(child, "pp", false);
            let notify = self.boolean(child, "notify", true);
            if let (Some(pd), Some(id)) = (pd, id) {
                ends.push(End { pd: pd.to_string(), id, pp, notify, pos: self.pos(child) });
            }
        }
        if found != 2 {
            self.error(node, Rule::EndCount(found));
        }
        Channel { ends, pos: self.pos(node) }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x200_000"), Some(0x20_0000));
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("0x1F"), Some(31));
        assert_eq!(parse_number("0X1f"), None);
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("+1"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("12a"), None);
        assert_eq!(parse_number("0x1_0000_0000_0000_0000"), None);
        assert_eq!(parse_number(""), None);
    }
}
