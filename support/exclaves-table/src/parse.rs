//! Reading a table: `Table::parse` checks every byte XNU will rely on once, so
//! lookups afterwards are binary searches that cannot leave the blob.

use core::cmp::Ordering;
use core::fmt;
use core::mem::size_of;

use zerocopy::FromBytes;

use crate::kinds::{Backing, BufferPerms, Entitlements, ResourceType, SensorKind};
use crate::records::*;
use crate::{fnv1a, MAGIC, MAX_CHANNEL_ID, MAX_NAME_LEN, MAX_RESOURCES, MAX_SERVICE_ID, PAGE_SIZE, VERSION};

/// Why a table was refused; `index` is the record's place in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableError {
    TooShort { len: usize },
    BadMagic,
    Version { found: u32 },
    HeaderSize { found: u32 },
    TotalSize { header: u32, actual: usize },
    Checksum { header: u64, computed: u64 },
    /// A table lies outside the blob, over the header or over another table,
    /// or has more records than `MAX_RESOURCES`.
    OutOfBounds { table: &'static str },
    /// Empty, over 127 bytes, not UTF-8, or junk after its end.
    BadName { table: &'static str, index: usize },
    /// Out of order, or the same key twice (lookups binary-search).
    Unsorted { table: &'static str, index: usize },
    /// A domain's run of resources does not start where the previous ended,
    /// or the runs do not cover the resource table.
    BadRun { domain: usize },
    /// A resource whose `domain` is not the domain whose run holds it.
    WrongDomain { resource: usize, domain: u32 },
    /// A field outside what its type allows.
    BadValue { table: &'static str, index: usize, field: &'static str, value: u64 },
    /// Two resources of one domain with the same id.
    DuplicateId { resource: usize, id: u64 },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TableError::TooShort { len } => write!(f, "resource table is {len} bytes, shorter than its header"),
            TableError::BadMagic => write!(f, "resource table does not start with the table magic"),
            TableError::Version { found } => {
                write!(f, "resource table version {found} is not the supported version {VERSION}")
            }
            TableError::HeaderSize { found } => {
                write!(f, "resource table header size {found} is not {}", size_of::<Header>())
            }
            TableError::TotalSize { header, actual } => {
                write!(f, "resource table says it is {header} bytes but {actual} are present")
            }
            TableError::Checksum { header, computed } => {
                write!(f, "resource table checksum {header:#018x} does not match its contents ({computed:#018x})")
            }
            TableError::OutOfBounds { table } => write!(f, "the {table} table lies outside the resource table"),
            TableError::BadName { table, index } => write!(f, "{table} {index} has a name that is not 1..=127 bytes of UTF-8"),
            TableError::Unsorted { table, index } => {
                write!(f, "{table} {index} is out of order or repeats the key before it")
            }
            TableError::BadRun { domain } => {
                write!(f, "domain {domain}'s resources do not follow the previous domain's, or not all resources are in a domain")
            }
            TableError::WrongDomain { resource, domain } => {
                write!(f, "resource {resource} says it is in domain {domain}, not the domain that lists it")
            }
            TableError::BadValue { table, index, field, value } => {
                write!(f, "{table} {index} has invalid {field} {value:#x}")
            }
            TableError::DuplicateId { resource, id } => {
                write!(f, "resource {resource} repeats id {id} of an earlier resource in its domain")
            }
        }
    }
}

type Result<T> = core::result::Result<T, TableError>;

/// A table that passed every check.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    bytes: &'a [u8],
    header: Header,
}

/// One domain of a parsed table.
#[derive(Debug, Clone, Copy)]
pub struct Domain<'a> {
    table: Table<'a>,
    name: &'a str,
    run: Run,
}

/// One resource of a parsed table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    pub name: &'a str,
    pub kind: ResourceType,
    pub id: u64,
    pub domain: &'a str,
    pub backing: Backing,
    /// Lookups skip a resource that is not connected; iteration shows it.
    pub connected: bool,
}

impl<'a> Table<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Table<'a>> {
        let (header, _) = Header::read_from_prefix(bytes).map_err(|_| TableError::TooShort { len: bytes.len() })?;
        if header.magic != MAGIC {
            return Err(TableError::BadMagic);
        }
        if header.version != VERSION {
            return Err(TableError::Version { found: header.version });
        }
        if header.header_size as usize != size_of::<Header>() {
            return Err(TableError::HeaderSize { found: header.header_size });
        }
        if header.total_size as usize != bytes.len() {
            return Err(TableError::TotalSize { header: header.total_size, actual: bytes.len() });
        }
        let computed = fnv1a(&bytes[size_of::<Header>()..]);
        if computed != header.checksum {
            return Err(TableError::Checksum { header: header.checksum, computed });
        }
        let table = Table { bytes, header };
        table.check_places()?;
        table.check_domains()?;
        table.check_entitlements()?;
        Ok(table)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Every domain, in name order.
    pub fn domains(&self) -> impl Iterator<Item = Domain<'a>> + '_ {
        (0..self.header.domains.count as usize).filter_map(|i| self.domain_at(i))
    }

    /// The root table: a domain by name.
    pub fn domain(&self, name: &str) -> Option<Domain<'a>> {
        let i = search(self.header.domains.count as usize, |i| {
            Some(self.name_at(self.header.domains, size_of::<DomainRecord>(), i)?.as_bytes().cmp(name.as_bytes()))
        })?;
        self.domain_at(i)
    }

    /// The connected resource of that name and type in that domain.
    pub fn lookup(&self, domain: &str, name: &str, kind: ResourceType) -> Option<Resource<'a>> {
        self.domain(domain)?.lookup(name, kind)
    }

    /// A program's entitlements; `None` for a program the table does not name.
    pub fn entitlements(&self, program: &str) -> Option<Entitlements> {
        let place = self.header.entitlements;
        let size = size_of::<EntitlementRecord>();
        let i = search(place.count as usize, |i| Some(self.name_at(place, size, i)?.as_bytes().cmp(program.as_bytes())))?;
        record::<EntitlementRecord>(self.bytes, place, i).map(|e| Entitlements(e.flags))
    }

    /// Every entitled program, in name order.
    pub fn entitled_programs(&self) -> impl Iterator<Item = (&'a str, Entitlements)> + '_ {
        let place = self.header.entitlements;
        (0..place.count as usize).filter_map(move |i| {
            let e = record::<EntitlementRecord>(self.bytes, place, i)?;
            Some((self.name_at(place, size_of::<EntitlementRecord>(), i)?, Entitlements(e.flags)))
        })
    }

    fn domain_at(&self, i: usize) -> Option<Domain<'a>> {
        let d = record::<DomainRecord>(self.bytes, self.header.domains, i)?;
        let name = self.name_at(self.header.domains, size_of::<DomainRecord>(), i)?;
        Some(Domain { table: *self, name, run: d.resources })
    }

    fn resource_at(&self, i: usize, domain: &'a str) -> Option<Resource<'a>> {
        let r = record::<ResourceRecord>(self.bytes, self.header.resources, i)?;
        let (kind, backing) = decode(&r).ok()?;
        let name = self.name_at(self.header.resources, size_of::<ResourceRecord>(), i)?;
        Some(Resource { name, kind, id: r.id, domain, backing, connected: r.flags & RESOURCE_CONNECTED != 0 })
    }

    /// The name of record `i` of a table: every record starts with its `Name`.
    fn name_at(&self, place: TablePlace, size: usize, i: usize) -> Option<&'a str> {
        name_str(Name::ref_from_prefix(record_bytes(self.bytes, place, size, i)?).ok()?.0)
    }

    /// Tables lie after the header, in order, without overlap, inside the blob.
    fn check_places(&self) -> Result<()> {
        let h = &self.header;
        let places = [
            ("domain", h.domains, size_of::<DomainRecord>()),
            ("resource", h.resources, size_of::<ResourceRecord>()),
            ("entitlement", h.entitlements, size_of::<EntitlementRecord>()),
        ];
        let mut reach = size_of::<Header>() as u64;
        for (table, place, size) in places {
            let end = u64::from(place.offset) + u64::from(place.count) * size as u64;
            if place.count > MAX_RESOURCES || u64::from(place.offset) < reach || end > self.bytes.len() as u64 {
                return Err(TableError::OutOfBounds { table });
            }
            reach = end;
        }
        Ok(())
    }

    fn check_domains(&self) -> Result<()> {
        let h = &self.header;
        let mut next = 0u32;
        let mut previous: Option<&str> = None;
        for i in 0..h.domains.count as usize {
            let bad_name = TableError::BadName { table: "domain", index: i };
            let d = record::<DomainRecord>(self.bytes, h.domains, i).ok_or(bad_name)?;
            let name = self.name_at(h.domains, size_of::<DomainRecord>(), i).ok_or(bad_name)?;
            if previous.is_some_and(|p| p >= name) {
                return Err(TableError::Unsorted { table: "domain", index: i });
            }
            previous = Some(name);
            let end = d.resources.first.checked_add(d.resources.count).filter(|&e| e <= h.resources.count);
            let Some(end) = end.filter(|_| d.resources.first == next) else {
                return Err(TableError::BadRun { domain: i });
            };
            self.check_resources(i, d.resources)?;
            next = end;
        }
        if next != h.resources.count {
            return Err(TableError::BadRun { domain: h.domains.count as usize });
        }
        Ok(())
    }

    fn check_resources(&self, domain: usize, run: Run) -> Result<()> {
        let place = self.header.resources;
        let (first, end) = (run.first as usize, run.first as usize + run.count as usize);
        let mut previous: Option<(&str, u32)> = None;
        for i in first..end {
            let r = record::<ResourceRecord>(self.bytes, place, i).ok_or(TableError::OutOfBounds { table: "resource" })?;
            let name = self
                .name_at(place, size_of::<ResourceRecord>(), i)
                .ok_or(TableError::BadName { table: "resource", index: i })?;
            if r.domain as usize != domain {
                return Err(TableError::WrongDomain { resource: i, domain: r.domain });
            }
            if previous.is_some_and(|p| p >= (name, r.kind)) {
                return Err(TableError::Unsorted { table: "resource", index: i });
            }
            previous = Some((name, r.kind));
            let bad = |field, value| TableError::BadValue { table: "resource", index: i, field, value };
            let (kind, _) = decode(&r).map_err(|(field, value)| bad(field, value))?;
            if kind == ResourceType::Service && r.id >= MAX_SERVICE_ID {
                return Err(bad("service id", r.id));
            }
            if r.flags & !RESOURCE_CONNECTED != 0 {
                return Err(bad("flags", u64::from(r.flags)));
            }
            // Quadratic, but a domain holds at most MAX_RESOURCES records.
            for j in first..i {
                if record::<ResourceRecord>(self.bytes, place, j).is_some_and(|o| o.id == r.id) {
                    return Err(TableError::DuplicateId { resource: i, id: r.id });
                }
            }
        }
        Ok(())
    }

    fn check_entitlements(&self) -> Result<()> {
        let place = self.header.entitlements;
        let mut previous: Option<&str> = None;
        for i in 0..place.count as usize {
            let bad_name = TableError::BadName { table: "entitlement", index: i };
            let e = record::<EntitlementRecord>(self.bytes, place, i).ok_or(bad_name)?;
            let name = self.name_at(place, size_of::<EntitlementRecord>(), i).ok_or(bad_name)?;
            if previous.is_some_and(|p| p >= name) {
                return Err(TableError::Unsorted { table: "entitlement", index: i });
            }
            previous = Some(name);
            if e.flags & !Entitlements::ALL != 0 || e._pad != 0 {
                let value = u64::from(e.flags) | u64::from(e._pad) << 32;
                return Err(TableError::BadValue { table: "entitlement", index: i, field: "flags", value });
            }
        }
        Ok(())
    }
}

impl<'a> Domain<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Every resource of the domain, connected or not, in (name, type) order.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'a>> + '_ {
        let (first, count) = (self.run.first as usize, self.run.count as usize);
        (first..first + count).filter_map(|i| self.table.resource_at(i, self.name))
    }

    /// The second level: (name, type) within the domain, connected only.
    pub fn lookup(&self, name: &str, kind: ResourceType) -> Option<Resource<'a>> {
        let (first, t) = (self.run.first as usize, self.table);
        let place = t.header.resources;
        let i = search(self.run.count as usize, |k| {
            let r = record::<ResourceRecord>(t.bytes, place, first + k)?;
            let n = t.name_at(place, size_of::<ResourceRecord>(), first + k)?;
            Some((n.as_bytes(), r.kind).cmp(&(name.as_bytes(), kind as u32)))
        })?;
        self.table.resource_at(first + i, self.name).filter(|r| r.connected)
    }

    /// The connected resource of that type and id (ENDPOINT_CALL names a service by id).
    pub fn by_id(&self, kind: ResourceType, id: u64) -> Option<Resource<'a>> {
        self.resources().find(|r| r.connected && r.kind == kind && r.id == id)
    }
}

/// Makes `blob` self-consistent as the writer leaves it: its header's total
/// size and checksum (a blob shorter than the header is left alone). Tests and
/// the fuzz target use it to get damaged tables past the checksum.
pub fn seal(blob: &mut [u8]) {
    if blob.len() < size_of::<Header>() {
        return;
    }
    let total = u32::try_from(blob.len()).unwrap_or(u32::MAX);
    blob[TOTAL_SIZE_OFFSET..TOTAL_SIZE_OFFSET + 4].copy_from_slice(&total.to_le_bytes());
    let sum = fnv1a(&blob[size_of::<Header>()..]);
    blob[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 8].copy_from_slice(&sum.to_le_bytes());
}

/// The type and backing a record describes, or the field that is wrong.
pub(crate) fn decode(r: &ResourceRecord) -> core::result::Result<(ResourceType, Backing), (&'static str, u64)> {
    let kind = ResourceType::from_u32(r.kind).ok_or(("type", u64::from(r.kind)))?;
    let zero = |fields: &[(&'static str, u64)]| match fields.iter().find(|(_, v)| *v != 0) {
        Some(&(field, value)) => Err((field, value)),
        None => Ok(()),
    };
    let backing = match kind {
        ResourceType::Service | ResourceType::ConclaveManager | ResourceType::Notification => {
            zero(&[("vaddr", r.vaddr), ("size", r.size), ("perms", r.perms.into()), ("sensor", r.sensor.into())])?;
            if r.channel > MAX_CHANNEL_ID {
                return Err(("channel", r.channel.into()));
            }
            Backing::Channel(r.channel)
        }
        ResourceType::SharedMemory | ResourceType::ArbitratedAudioMemory => {
            zero(&[("channel", r.channel.into()), ("sensor", r.sensor.into())])?;
            let perms = BufferPerms::from_bits(r.perms)
                .filter(|p| kind == ResourceType::SharedMemory || !p.writable())
                .ok_or(("perms", u64::from(r.perms)))?;
            let fits = r.vaddr.checked_add(r.size).is_some();
            if r.size == 0 || !r.size.is_multiple_of(PAGE_SIZE) || !fits {
                return Err(("size", r.size));
            }
            if !r.vaddr.is_multiple_of(PAGE_SIZE) {
                return Err(("vaddr", r.vaddr));
            }
            Backing::Memory { vaddr: r.vaddr, size: r.size, perms }
        }
        ResourceType::Sensor => {
            zero(&[("vaddr", r.vaddr), ("size", r.size), ("perms", r.perms.into()), ("channel", r.channel.into())])?;
            Backing::Sensor(SensorKind::from_u32(r.sensor).ok_or(("sensor", u64::from(r.sensor)))?)
        }
    };
    Ok((kind, backing))
}

/// A name if it is 1..=127 bytes of UTF-8 followed by zeros.
fn name_str(name: &Name) -> Option<&str> {
    let len = usize::from(name.len);
    if len == 0 || len > MAX_NAME_LEN || name.bytes[len..].iter().any(|&b| b != 0) {
        return None;
    }
    core::str::from_utf8(&name.bytes[..len]).ok()
}

fn record_bytes(bytes: &[u8], place: TablePlace, size: usize, i: usize) -> Option<&[u8]> {
    if i >= place.count as usize {
        return None;
    }
    let start = (place.offset as usize).checked_add(i.checked_mul(size)?)?;
    bytes.get(start..start.checked_add(size)?)
}

fn record<T: FromBytes>(bytes: &[u8], place: TablePlace, i: usize) -> Option<T> {
    T::read_from_bytes(record_bytes(bytes, place, size_of::<T>(), i)?).ok()
}

/// Binary search over `0..count` by `probe(i)` = record i's key compared to
/// the wanted one; a record that cannot be read ends the search (not found).
fn search(count: usize, probe: impl Fn(usize) -> Option<Ordering>) -> Option<usize> {
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match probe(mid)? {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}
