//! Small argument types of invocations, built on the generated bitfields.

use crate::generated::{cap_data_tag, seL4_CapRights, seL4_PrioProps, vm_attributes, Badge as BadgeData, Guard};
use crate::Word;

/// Access rights of a capability (`seL4_CapRights_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CapRights(seL4_CapRights);

impl CapRights {
    pub fn new(grant: bool, read: bool, write: bool) -> Self {
        Self(seL4_CapRights::new(grant as Word, read as Word, write as Word))
    }

    pub fn all() -> Self {
        Self::new(true, true, true)
    }

    pub fn read_write() -> Self {
        Self::new(false, true, true)
    }

    pub fn read_only() -> Self {
        Self::new(false, true, false)
    }

    pub fn write_only() -> Self {
        Self::new(false, false, true)
    }

    /// Send with a reply: what a Call, and fault delivery, need in seL4 5.0.0.
    pub fn write_grant() -> Self {
        Self::new(true, false, true)
    }

    pub fn none() -> Self {
        Self::new(false, false, false)
    }

    pub fn into_word(self) -> Word {
        self.0 .0[0]
    }
}

/// Badge or guard data for `cnode_mint`/`cnode_mutate` (`seL4_CapData_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CapData(Word);

impl CapData {
    /// A badge; only the low bits the kernel's `Badge` block holds are kept.
    pub fn badge(badge: Word) -> Self {
        Self(BadgeData::new(cap_data_tag::BADGE, badge).0[0])
    }

    /// A CNode guard of `guard_size` bits with value `guard`.
    pub fn guard(guard: Word, guard_size: Word) -> Self {
        Self(Guard::new(cap_data_tag::GUARD, guard, guard_size).0[0])
    }

    /// Leaves the capability's badge or guard unchanged.
    pub fn none() -> Self {
        Self(0)
    }

    pub fn into_word(self) -> Word {
        self.0
    }
}

/// Maximum controlled priority and priority for `tcb_set_prio_props`-style calls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PrioProps(seL4_PrioProps);

impl PrioProps {
    pub fn new(mcp: Word, prio: Word) -> Self {
        Self(seL4_PrioProps::new(mcp, prio))
    }

    pub fn into_word(self) -> Word {
        self.0 .0[0]
    }
}

/// Memory attributes for page and page-table mappings (`seL4_ARM_VMAttributes`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VmAttributes(Word);

impl VmAttributes {
    pub const NONE: Self = Self(0);
    pub const PAGE_CACHEABLE: Self = Self(vm_attributes::PAGE_CACHEABLE);
    pub const PARITY_ENABLED: Self = Self(vm_attributes::PARITY_ENABLED);
    pub const EXECUTE_NEVER: Self = Self(vm_attributes::EXECUTE_NEVER);
    pub const DEFAULT: Self = Self(vm_attributes::DEFAULT_VM_ATTRIBUTES);

    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub const fn into_word(self) -> Word {
        self.0
    }
}
