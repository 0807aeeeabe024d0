//! Reading a spec: every check happens once, in `Spec::parse`, so the monitor's
//! accessors afterwards only hand out records that are known to be in bounds.

use core::fmt;
use core::mem::size_of;

use zerocopy::{FromBytes, IntoBytes};

use crate::abi;
use crate::records::*;
use crate::{fnv1a, FNV_OFFSET, MAGIC, VERSION};

/// Why a spec was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecError {
    TooShort { len: usize },
    BadMagic,
    Version { found: u32 },
    HeaderSize { found: u32 },
    TotalSize { header: u64, actual: usize },
    Checksum { header: u64, computed: u64 },
    /// A table or a byte span lies outside the blob or the data area.
    OutOfBounds { what: &'static str, index: usize },
    /// A record names a record that does not exist (or a parent after its child).
    BadIndex { what: &'static str, index: usize, value: u64 },
    /// A value outside what the layout allows.
    BadValue { what: &'static str, index: usize, value: u64 },
    BadName { what: &'static str, index: usize },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SpecError::TooShort { len } => write!(f, "spec is {len} bytes, shorter than its header"),
            SpecError::BadMagic => write!(f, "spec does not start with the spec magic"),
            SpecError::Version { found } => write!(f, "spec version {found} is not the supported version {VERSION}"),
            SpecError::HeaderSize { found } => {
                write!(f, "spec header size {found} is not {}", size_of::<Header>())
            }
            SpecError::TotalSize { header, actual } => {
                write!(f, "spec says it is {header} bytes but {actual} are present")
            }
            SpecError::Checksum { header, computed } => {
                write!(f, "spec checksum {header:#018x} does not match its contents ({computed:#018x})")
            }
            SpecError::OutOfBounds { what, index } => write!(f, "{what} {index} lies outside the spec"),
            SpecError::BadIndex { what, index, value } => write!(f, "{what} {index} refers to missing record {value}"),
            SpecError::BadValue { what, index, value } => write!(f, "{what} {index} has invalid value {value:#x}"),
            SpecError::BadName { what, index } => write!(f, "{what} {index} has a name that is not short UTF-8"),
        }
    }
}

/// A spec that passed every check.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    bytes: &'a [u8],
    header: Header,
}

type Result<T> = core::result::Result<T, SpecError>;

impl<'a> Spec<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Spec<'a>> {
        let (header, _) = Header::read_from_prefix(bytes).map_err(|_| SpecError::TooShort { len: bytes.len() })?;
        if header.magic != MAGIC {
            return Err(SpecError::BadMagic);
        }
        if header.version != VERSION {
            return Err(SpecError::Version { found: header.version });
        }
        if header.header_size as usize != size_of::<Header>() {
            return Err(SpecError::HeaderSize { found: header.header_size });
        }
        if header.total_size != bytes.len() as u64 {
            return Err(SpecError::TotalSize { header: header.total_size, actual: bytes.len() });
        }
        let computed = checksum(bytes);
        if computed != header.checksum {
            return Err(SpecError::Checksum { header: header.checksum, computed });
        }
        let spec = Spec { bytes, header };
        spec.check_tables()?;
        spec.check_records()?;
        Ok(spec)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn pd_count(&self) -> usize {
        self.header.pds.len as usize
    }
    pub fn region_count(&self) -> usize {
        self.header.regions.len as usize
    }

    // Every accessor yields a `Result`: `parse` found every record in bounds,
    // but a record that could not be read must be an error, never skipped (a
    // skipped record would shift every index after it: a region or channel
    // would go to the wrong PD).

    pub fn pds(&self) -> impl Iterator<Item = Result<Pd>> + '_ {
        (0..self.pd_count()).map(|i| self.pd(i))
    }
    pub fn pd(&self, i: usize) -> Result<Pd> {
        record(self.bytes, self.header.pds, i, "pd")
    }
    pub fn region(&self, i: usize) -> Result<Region> {
        record(self.bytes, self.header.regions, i, "region")
    }
    pub fn regions(&self) -> impl Iterator<Item = Result<Region>> + '_ {
        (0..self.region_count()).map(|i| self.region(i))
    }
    pub fn segments(&self, pd: &Pd) -> impl Iterator<Item = Result<Segment>> + '_ {
        pd.segments.range().map(|i| record(self.bytes, self.header.segments, i, "segment"))
    }
    pub fn maps(&self, pd: &Pd) -> impl Iterator<Item = Result<Map>> + '_ {
        pd.maps.range().map(|i| record(self.bytes, self.header.maps, i, "map"))
    }
    pub fn irqs(&self, pd: &Pd) -> impl Iterator<Item = Result<Irq>> + '_ {
        pd.irqs.range().map(|i| record(self.bytes, self.header.irqs, i, "irq"))
    }
    pub fn ends(&self, pd: &Pd) -> impl Iterator<Item = Result<End>> + '_ {
        pd.ends.range().map(|i| record(self.bytes, self.header.ends, i, "channel end"))
    }
    pub fn paddr_patches(&self, pd: &Pd) -> impl Iterator<Item = Result<PaddrPatch>> + '_ {
        pd.paddr_patches.range().map(|i| record(self.bytes, self.header.paddr_patches, i, "paddr patch"))
    }

    /// Bytes of a span that `parse` checked (empty for any other span).
    pub fn data(&self, span: Span) -> &'a [u8] {
        data(self.bytes, self.header.data, span).unwrap_or(&[])
    }
    /// A name that `parse` checked (empty for any other span).
    pub fn name(&self, span: Span) -> &'a str {
        core::str::from_utf8(self.data(span)).unwrap_or("")
    }

    fn check_tables(&self) -> Result<()> {
        let h = &self.header;
        let tables: [(&'static str, Span, usize); 7] = [
            ("pd table", h.pds, size_of::<Pd>()),
            ("segment table", h.segments, size_of::<Segment>()),
            ("region table", h.regions, size_of::<Region>()),
            ("map table", h.maps, size_of::<Map>()),
            ("irq table", h.irqs, size_of::<Irq>()),
            ("channel end table", h.ends, size_of::<End>()),
            ("paddr patch table", h.paddr_patches, size_of::<PaddrPatch>()),
        ];
        for (what, span, size) in tables {
            let bytes = span.len.checked_mul(size as u64);
            let fits = bytes.is_some_and(|b| within(self.bytes.len(), span.offset, b));
            if !fits || span.offset < size_of::<Header>() as u64 || span.len > u64::from(u32::MAX) {
                return Err(SpecError::OutOfBounds { what, index: 0 });
            }
        }
        if !within(self.bytes.len(), h.data.offset, h.data.len) {
            return Err(SpecError::OutOfBounds { what: "data area", index: 0 });
        }
        Ok(())
    }

    fn check_records(&self) -> Result<()> {
        let h = &self.header;
        let name = |what, index, span: Span| -> Result<()> {
            let text = data(self.bytes, h.data, span).ok_or(SpecError::OutOfBounds { what, index })?;
            match core::str::from_utf8(text) {
                Ok(s) if !s.is_empty() && s.len() <= abi::MAX_NAME_LEN => Ok(()),
                _ => Err(SpecError::BadName { what, index }),
            }
        };
        for (i, r) in self.regions().enumerate() {
            let r = r?;
            name("region", i, r.name)?;
            let bad = |value| Err(SpecError::BadValue { what: "region", index: i, value });
            if r.page_size != abi::PAGE_SIZE && r.page_size != abi::LARGE_PAGE_SIZE {
                return bad(r.page_size);
            }
            if r.size == 0 || r.size % r.page_size != 0 {
                return bad(r.size);
            }
            let fixed_ok = r.phys_addr % r.page_size == 0 && r.phys_addr.checked_add(r.size).is_some();
            if r.flags & !REGION_FIXED != 0 || (r.flags & REGION_FIXED != 0 && !fixed_ok) {
                return bad(r.phys_addr);
            }
            if data(self.bytes, h.data, r.prefill).is_none() {
                return Err(SpecError::OutOfBounds { what: "prefill of region", index: i });
            }
            // The monitor fills 4 KiB frames of RAM it allocated, no others.
            if r.prefill.len != 0 && (r.page_size != abi::PAGE_SIZE || r.flags & REGION_FIXED != 0) {
                return Err(SpecError::BadValue { what: "prefill (of a fixed or large-page region) of region", index: i, value: r.prefill.len });
            }
            if r.prefill.len > r.size {
                return Err(SpecError::BadValue { what: "prefill length (longer than the region) of region", index: i, value: r.prefill.len });
            }
        }
        for (i, pd) in self.pds().enumerate() {
            let pd = pd?;
            self.check_pd(i, &pd)?;
            name("pd", i, pd.name)?;
        }
        Ok(())
    }

    fn check_pd(&self, i: usize, pd: &Pd) -> Result<()> {
        let h = &self.header;
        let bad = |what, value| Err(SpecError::BadValue { what, index: i, value });
        if pd.parent != NO_PARENT && (pd.parent as usize >= i || u64::from(pd.child_id) > abi::MAX_CHILD_ID) {
            return Err(SpecError::BadIndex { what: "pd parent of pd", index: i, value: u64::from(pd.parent) });
        }
        if u64::from(pd.priority) > abi::MAX_PRIORITY {
            return bad("pd priority", u64::from(pd.priority));
        }
        let stack_ok = pd.stack_size != 0 && pd.stack_size.is_multiple_of(abi::PAGE_SIZE) && pd.stack_size <= 0x100_0000;
        if !stack_ok {
            return bad("pd stack size", pd.stack_size);
        }
        if pd.flags & !(PD_FPU | PD_ENDPOINT | PD_DEBUG_SYSCALLS) != 0 {
            return bad("pd flags", u64::from(pd.flags));
        }
        let runs = [
            ("segments of pd", pd.segments, h.segments),
            ("maps of pd", pd.maps, h.maps),
            ("irqs of pd", pd.irqs, h.irqs),
            ("channel ends of pd", pd.ends, h.ends),
            ("paddr patches of pd", pd.paddr_patches, h.paddr_patches),
        ];
        for (what, run, table) in runs {
            if u64::from(run.first) + u64::from(run.count) > table.len {
                return Err(SpecError::BadIndex { what, index: i, value: u64::from(run.first) });
            }
        }
        // Segments and maps come sorted by address, none sharing a byte with
        // another, all below the stack; no map touches a segment's pages.
        let stack_bottom = abi::STACK_TOP - pd.stack_size;
        let mut reach = 0;
        for s in self.segments(pd) {
            let s = s?;
            if data(self.bytes, h.data, s.data).is_none() {
                return Err(SpecError::OutOfBounds { what: "segment data of pd", index: i });
            }
            let end = s.vaddr.checked_add(s.mem_size).filter(|&end| end <= stack_bottom);
            if s.data.len > s.mem_size || end.is_none() || s.perms & !(PERM_READ | PERM_WRITE | PERM_EXECUTE) != 0 {
                return bad("segment of pd", s.vaddr);
            }
            if s.vaddr < reach {
                return bad("segment (unsorted, or overlapping the one before) of pd", s.vaddr);
            }
            reach = end.unwrap_or(reach);
        }
        let (mut reach, mut next_segment) = (0, pd.segments.first as usize);
        let segments_end = next_segment + pd.segments.count as usize;
        for m in self.maps(pd) {
            let m = m?;
            let Ok(region) = self.region(m.region as usize) else {
                return Err(SpecError::BadIndex { what: "map region of pd", index: i, value: u64::from(m.region) });
            };
            let end = m.vaddr.checked_add(region.size).filter(|&end| end <= stack_bottom);
            let perms_ok = m.perms & !(PERM_READ | PERM_WRITE | PERM_EXECUTE) == 0 && m.perms & PERM_READ != 0;
            let Some(end) = end.filter(|_| m.vaddr % region.page_size == 0 && perms_ok && m.cached <= 1) else {
                return bad("map of pd", m.vaddr);
            };
            if m.vaddr < reach {
                return bad("map (unsorted, or overlapping the one before) of pd", m.vaddr);
            }
            reach = end;
            // Segment page ranges only grow, so one pass over them serves every map.
            while next_segment < segments_end {
                let seg: Segment = record(self.bytes, h.segments, next_segment, "segment")?;
                let (start, seg_end) = page_range(&seg);
                if seg_end <= m.vaddr {
                    next_segment += 1;
                    continue;
                }
                if start < end {
                    return bad("map over a program segment of pd", m.vaddr);
                }
                break;
            }
        }
        for irq in self.irqs(pd) {
            let irq = irq?;
            if u64::from(irq.id) > abi::MAX_NOTIFIED_ID || irq.trigger > TRIGGER_EDGE {
                return bad("irq of pd", u64::from(irq.irq));
            }
        }
        for e in self.ends(pd) {
            let e = e?;
            if e.peer as usize >= self.pd_count() {
                return Err(SpecError::BadIndex { what: "channel peer of pd", index: i, value: u64::from(e.peer) });
            }
            // A notify end sets the peer's badge bit `peer_id`.
            let peer_max = if e.flags & END_NOTIFY != 0 { abi::MAX_NOTIFIED_ID } else { abi::MAX_CHANNEL_ID };
            let ids_ok = u64::from(e.id) <= abi::MAX_CHANNEL_ID && u64::from(e.peer_id) <= peer_max;
            if !ids_ok || e.flags & !(END_NOTIFY | END_PP) != 0 {
                return bad("channel end of pd", u64::from(e.id));
            }
        }
        for p in self.paddr_patches(pd) {
            let p = p?;
            if p.region as usize >= self.region_count() {
                return Err(SpecError::BadIndex { what: "paddr patch region of pd", index: i, value: u64::from(p.region) });
            }
            if p.vaddr % 8 != 0 || !self.in_segment(pd, p.vaddr, 8) {
                return bad("paddr patch (unaligned, or outside the segments) of pd", p.vaddr);
            }
        }
        Ok(())
    }
}

impl Spec<'_> {
    /// True when `[vaddr, vaddr + len)` lies inside `pd`'s segments (which
    /// `check_pd` found sorted and disjoint), in one or in several that
    /// follow each other without a gap: a binary search, then a walk.
    fn in_segment(&self, pd: &Pd, vaddr: u64, len: u64) -> bool {
        let Some(end) = vaddr.checked_add(len) else { return false };
        let segment = |k: usize| record::<Segment>(self.bytes, self.header.segments, pd.segments.first as usize + k, "segment").ok();
        let (mut lo, mut hi) = (0, pd.segments.count as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match segment(mid) {
                Some(s) if s.vaddr + s.mem_size <= vaddr => lo = mid + 1,
                Some(_) => hi = mid,
                None => return false,
            }
        }
        // The tool stores a segment as contiguous pieces around the writes
        // it made past the file bytes, so the range may run on from the
        // piece it starts in into the ones that continue it.
        let mut reach = match segment(lo) {
            Some(s) if lo < pd.segments.count as usize && s.vaddr <= vaddr => s.vaddr + s.mem_size,
            _ => return false,
        };
        let mut next = lo + 1;
        while reach < end && next < pd.segments.count as usize {
            match segment(next) {
                Some(s) if s.vaddr == reach => reach += s.mem_size,
                _ => return false,
            }
            next += 1;
        }
        end <= reach
    }
}

/// A segment's `[start, end)` widened to whole pages (its end was checked).
fn page_range(s: &Segment) -> (u64, u64) {
    let end = s.vaddr + s.mem_size;
    (s.vaddr - s.vaddr % abi::PAGE_SIZE, end.div_ceil(abi::PAGE_SIZE) * abi::PAGE_SIZE)
}

/// Makes `blob` self-consistent as a writer would: its header's total size
/// and checksum (a blob shorter than the header is left alone).
pub fn seal(blob: &mut [u8]) {
    if blob.len() < size_of::<Header>() {
        return;
    }
    let total = blob.len() as u64;
    blob[TOTAL_SIZE_OFFSET..TOTAL_SIZE_OFFSET + 8].copy_from_slice(&total.to_le_bytes());
    let sum = checksum(blob);
    blob[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 8].copy_from_slice(&sum.to_le_bytes());
}

/// The checksum of a blob, reading the header's checksum field as zero.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    let (before, rest) = bytes.split_at(CHECKSUM_OFFSET.min(bytes.len()));
    let after = rest.get(8..).unwrap_or(&[]);
    fnv1a(fnv1a(fnv1a(FNV_OFFSET, before), &[0; 8]), after)
}

fn within(total: usize, offset: u64, len: u64) -> bool {
    offset.checked_add(len).is_some_and(|end| end <= total as u64)
}

fn record<T: FromBytes + IntoBytes>(bytes: &[u8], table: Span, i: usize, what: &'static str) -> Result<T> {
    let read = || -> Option<T> {
        if i as u64 >= table.len {
            return None;
        }
        let start = usize::try_from(table.offset).ok()?.checked_add(i.checked_mul(size_of::<T>())?)?;
        T::read_from_bytes(bytes.get(start..start.checked_add(size_of::<T>())?)?).ok()
    };
    read().ok_or(SpecError::OutOfBounds { what, index: i })
}

/// `span` if it lies inside the data area.
fn data(bytes: &[u8], area: Span, span: Span) -> Option<&[u8]> {
    let inside = span.offset >= area.offset && span.offset.checked_add(span.len)? <= area.offset + area.len;
    if !inside {
        return None;
    }
    let start = usize::try_from(span.offset).ok()?;
    bytes.get(start..start.checked_add(usize::try_from(span.len).ok()?)?)
}
