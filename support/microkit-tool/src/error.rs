//! Errors: every one names the file, the line and column, the element and the rule.

use std::fmt;

/// A 1-based line and column in the system file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One problem found in a system description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("error: malformed XML: {message} at {file}:{pos}")]
    Xml { file: String, pos: Pos, message: String },
    #[error("error: {rule} on element '{element}' at {file}:{pos}")]
    Rule { file: String, element: String, pos: Pos, rule: Rule },
}

impl Error {
    /// The rule broken, if the XML was well formed.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            Error::Rule { rule, .. } => Some(rule),
            Error::Xml { .. } => None,
        }
    }

    pub fn pos(&self) -> Pos {
        match self {
            Error::Rule { pos, .. } | Error::Xml { pos, .. } => *pos,
        }
    }
}

/// The rules of `SDF.md`, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("root element must be 'system', not '{0}'")]
    Root(String),
    #[error("unknown element '{0}'")]
    UnknownElement(String),
    #[error("unknown attribute '{0}'")]
    UnknownAttribute(String),
    #[error("missing required attribute '{0}'")]
    MissingAttribute(&'static str),
    #[error("unexpected text '{0}' (only elements and comments are allowed)")]
    Text(String),
    #[error("{attr} must be a number (decimal or 0x hex), not '{value}'")]
    BadNumber { attr: &'static str, value: String },
    #[error("{attr} must be 'true' or 'false', not '{value}'")]
    BadBool { attr: &'static str, value: String },
    #[error("duplicate protection domain name '{0}'")]
    DuplicatePdName(String),
    #[error("protection domain name 'monitor' is reserved")]
    ReservedName,
    #[error("duplicate memory region name '{0}'")]
    DuplicateRegionName(String),
    #[error("priority ({0}) must be between 0 and 254")]
    Priority(u64),
    #[error("budget ({budget}) must be less than, or equal to, period ({period})")]
    BudgetGtPeriod { budget: u64, period: u64 },
    #[error("stack_size ({0:#x}) must be between 0x1000 and 0x1000000")]
    StackSizeRange(u64),
    #[error("stack_size ({0:#x}) must be a multiple of the page size (0x1000)")]
    StackSizeAlign(u64),
    #[error("cpu ({0}) must be 0 (the kernel is built for one core)")]
    Cpu(u64),
    #[error("{0} is only allowed on a child protection domain")]
    ChildOnly(&'static str),
    #[error("child id ({0}) must be < 64")]
    ChildIdRange(u64),
    #[error("duplicate child id {id} in protection domain '{parent}'")]
    DuplicateChildId { id: u64, parent: String },
    #[error("exactly one program_image must be given (found {0})")]
    ProgramImageCount(usize),
    #[error("too many protection domains ({0}); at most 63 are allowed")]
    TooManyPds(usize),
    #[error("size must not be 0")]
    SizeZero,
    #[error("size is not a multiple of the page size (size {size:#x}, page_size {page_size:#x})")]
    SizeNotMultiple { size: u64, page_size: u64 },
    #[error("page_size ({0:#x}) must be 0x1000 or 0x200000")]
    PageSize(u64),
    #[error("phys_addr ({paddr:#x}) must be aligned to the page size ({page_size:#x})")]
    PhysAlign { paddr: u64, page_size: u64 },
    #[error("phys_addr ({0:#x}) plus size overflows the address space")]
    PhysOverflow(u64),
    #[error("physical range [{start:#x}..{end:#x}) of '{name}' overlaps with '{other}' [{other_start:#x}..{other_end:#x})")]
    PhysOverlap { name: String, start: u64, end: u64, other: String, other_start: u64, other_end: u64 },
    #[error("perms must not be 'w' (write-only mappings are not allowed)")]
    WriteOnly,
    #[error("perms '{0}' must be a non-empty combination of 'r', 'w' and 'x', each at most once")]
    BadPerms(String),
    #[error("invalid vaddr alignment: {vaddr:#x} is not a multiple of the page size ({page_size:#x}) of region '{mr}'")]
    VaddrAlign { vaddr: u64, page_size: u64, mr: String },
    #[error("map for '{mr}' [{start:#x}..{end:#x}) must end at or below the stack bottom ({limit:#x}) of protection domain '{pd}'")]
    MapAboveStack { mr: String, start: u64, end: u64, limit: u64, pd: String },
    #[error("map for '{mr}' has virtual address range [{start:#x}..{end:#x}) which overlaps with map for '{other}' [{other_start:#x}..{other_end:#x}) in protection domain '{pd}'")]
    MapOverlap { mr: String, start: u64, end: u64, other: String, other_start: u64, other_end: u64, pd: String },
    #[error("map for '{mr}' [{start:#x}..{end:#x}) overlaps with a loadable segment [{seg_start:#x}..{seg_end:#x}) of '{image}' in protection domain '{pd}'")]
    MapElfOverlap { mr: String, start: u64, end: u64, seg_start: u64, seg_end: u64, image: String, pd: String },
    #[error("loadable segment [{start:#x}..{end:#x}) of '{image}' reaches the stack bottom ({limit:#x})")]
    ElfAboveStack { start: u64, end: u64, limit: u64, image: String },
    #[error("unknown memory region '{0}'")]
    UnknownRegion(String),
    #[error("unknown protection domain '{0}'")]
    UnknownPd(String),
    #[error("exactly two end elements must be specified (found {0})")]
    EndCount(usize),
    #[error("id must be < 62 (got {0})")]
    IdRange(u64),
    #[error("duplicate channel id: {id} in protection domain: '{pd}' (channel and IRQ ids share one namespace)")]
    DuplicateId { id: u64, pd: String },
    #[error("id {id} of protection domain '{pd}' receives notifications, so it must be at most 25: seL4 5.0.0 badges hold 28 bits, and bits 26 and 27 mark faults and PPCs")]
    NotifiedIdTooLarge { id: u64, pd: String },
    #[error("cannot ppc bidirectionally (pp is true on both ends)")]
    BidirectionalPpc,
    #[error("PPCs must be to protection domains of strictly higher priorities; channel with PPC exists from pd {caller} (priority: {caller_priority}) to pd {callee} (priority: {callee_priority})")]
    PpcPriority { caller: String, caller_priority: u64, callee: String, callee_priority: u64 },
    #[error("irq {irq} is already used by protection domain '{pd}'; an IRQ may appear once in the system")]
    DuplicateIrq { irq: u64, pd: String },
    #[error("trigger must be 'level' or 'edge', not '{0}'")]
    Trigger(String),
    #[error("symbol '{symbol}' is set more than once in protection domain '{pd}'")]
    DuplicateSymbol { symbol: String, pd: String },
    #[error("symbol '{symbol}' not found in '{image}'")]
    MissingSymbol { symbol: String, image: String },
    #[error("symbol '{symbol}' in '{image}' is {size} bytes; it must be exactly 8")]
    SymbolSize { symbol: String, image: String, size: u64 },
    #[error("cannot read program image '{image}': {reason}")]
    BadElf { image: String, reason: String },
}
