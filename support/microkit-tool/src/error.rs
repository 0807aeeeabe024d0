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
    /// Refused before parsing: not UTF-8, or beyond what the tool reads.
    #[error("error: {message} at {file}:{pos}")]
    Unreadable { file: String, pos: Pos, message: String },
}

impl Error {
    /// The rule broken, if the XML was well formed.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            Error::Rule { rule, .. } => Some(rule),
            Error::Xml { .. } | Error::Unreadable { .. } => None,
        }
    }

    pub fn pos(&self) -> Pos {
        match self {
            Error::Rule { pos, .. } | Error::Xml { pos, .. } | Error::Unreadable { pos, .. } => *pos,
        }
    }
}

/// The rules of `SDF.md`, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("root element must be 'system', not '{0}'")]
    Root(String),
    #[error("element '{element}' is in namespace '{namespace}'; a system description uses no namespace")]
    Namespace { element: String, namespace: String },
    #[error("at least one protection domain must be defined")]
    NoProtectionDomains,
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
    #[error("symbol '{symbol}' in '{image}' is {size} bytes; it must be {expected}")]
    SymbolSize { symbol: String, image: String, size: u64, expected: u64 },
    #[error("'{image}' has more than one symbol named '{symbol}'")]
    DuplicateElfSymbol { symbol: String, image: String },
    #[error("symbol '{symbol}' in '{image}' is not inside one loadable segment")]
    SymbolOutsideSegments { symbol: String, image: String },
    #[error("symbol '{symbol}' in '{image}' at {vaddr:#x} is not 8-byte aligned; the monitor writes the physical address as one aligned word")]
    SymbolUnaligned { symbol: String, image: String, vaddr: u64 },
    #[error("irq {irq} is not an interrupt of this board (its GIC has 0..={max})")]
    IrqRange { irq: u64, max: u64 },
    #[error("irq {0} is the kernel's timer tick and cannot be given to a protection domain")]
    IrqReserved(u64),
    #[error("physical range [{start:#x}..{end:#x}) is neither in RAM [{ram_start:#x}..{ram_end:#x}) nor inside one device window of the board ({devices})")]
    PhysNotOnBoard { start: u64, end: u64, ram_start: u64, ram_end: u64, devices: String },
    #[error("a domain '{0}' is named, but no <domains> with a domain was declared before this protection domain")]
    DomainWithoutSchedule(String),
    #[error("domain '{0}' is not declared in <domains>")]
    UnknownDomain(String),
    #[error("<domains> may be given only once")]
    DomainsTwice,
    #[error("duplicate domain name '{0}'")]
    DuplicateDomainName(String),
    #[error("duplicate domain id {id} (already used by domain '{other}')")]
    DuplicateDomainId { id: u64, other: String },
    #[error("domain id {0} must be less than {max}", max = crate::layout::MAX_DOMAINS)]
    DomainIdRange(u64),
    #[error("more than {max} domains", max = crate::layout::MAX_DOMAINS)]
    TooManyDomains,
    #[error("exactly one <domain_schedule> must be given (found {0})")]
    DomainScheduleCount(usize),
    #[error("duration '{0}' must be a number and a unit, as in '1000 us'")]
    DurationFormat(String),
    #[error("duration '{0}' must not be zero")]
    DurationZero(String),
    #[error("duration '{0}' must be in 'ticks' or 'us'")]
    DurationUnit(String),
    #[error("more than {max} schedule entries (an end marker counts as one)", max = crate::layout::MAX_DOMAIN_SCHEDULE)]
    TooManyScheduleEntries,
    #[error("start_index {index} must be less than the schedule's length ({len})")]
    ScheduleStartIndex { index: u64, len: u64 },
    #[error("index_shift {shift} plus the schedule's length ({len}) must be less than {max}", max = crate::layout::MAX_DOMAIN_SCHEDULE)]
    ScheduleIndexShift { shift: u64, len: u64 },
    #[error("memory region '{mr}' has both prefill_path ('{path}') and phys_addr: a fixed (device) region cannot be prefilled")]
    PrefillFixed { mr: String, path: String },
    #[error("memory region '{mr}' has prefill_path ('{path}') and page_size {page_size:#x}: prefilled regions use 4 KiB pages (0x1000), as the monitor copies the file through a 4 KiB mapping")]
    PrefillPageSize { mr: String, path: String, page_size: u64 },
    #[error("prefill file '{path}' of memory region '{mr}' is {len:#x} bytes, larger than the region's size {size:#x}")]
    PrefillTooLarge { mr: String, path: String, len: u64, size: u64 },
    #[error("prefill file '{path}' of memory region '{mr}' is empty")]
    PrefillEmpty { mr: String, path: String },
    #[error("cannot read prefill file '{path}' of memory region '{mr}': {reason}")]
    PrefillUnreadable { mr: String, path: String, reason: String },
    #[error("cannot read program image '{image}': {reason}")]
    BadElf { image: String, reason: String },
}
