//! Writing a table (host side, the manifest compiler).

use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;

use zerocopy::IntoBytes;

use crate::kinds::{Backing, Entitlements, ResourceType};
use crate::parse::{Table, TableError};
use crate::records::*;
use crate::{fnv1a, MAGIC, MAX_NAME_LEN, VERSION};

/// Why the builder wrote no table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// Empty or longer than 127 bytes.
    BadName(String),
    /// What the builder made is not a table XNU would accept (a duplicate
    /// (name, type) or id in a domain, a service id of 192 or more, ...).
    Refused(TableError),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::BadName(name) => write!(f, "name '{name}' is not 1..={MAX_NAME_LEN} bytes"),
            WriteError::Refused(e) => write!(f, "the table would be refused: {e}"),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    kind: ResourceType,
    id: u64,
    backing: Backing,
    connected: bool,
}

/// Collects domains, resources and entitlements; `finish` sorts, lays out and
/// seals them, then parses the result so a table it returns is one XNU accepts.
#[derive(Debug, Default)]
pub struct TableBuilder {
    domains: BTreeMap<String, Vec<Entry>>,
    entitlements: BTreeMap<String, Entitlements>,
}

impl TableBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A domain, also when no resource names it (a conclave with none yet).
    pub fn add_domain(&mut self, domain: &str) {
        self.domains.entry(domain.to_string()).or_default();
    }

    pub fn add_resource(&mut self, domain: &str, name: &str, kind: ResourceType, id: u64, backing: Backing, connected: bool) {
        let entry = Entry { name: name.to_string(), kind, id, backing, connected };
        self.domains.entry(domain.to_string()).or_default().push(entry);
    }

    pub fn add_entitlement(&mut self, program: &str, entitlements: Entitlements) {
        self.entitlements.insert(program.to_string(), entitlements);
    }

    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        let mut domains = Vec::new();
        let mut resources = Vec::new();
        for (index, (domain, entries)) in self.domains.iter_mut().enumerate() {
            entries.sort_by(|a, b| (a.name.as_str(), a.kind).cmp(&(b.name.as_str(), b.kind)));
            let run = Run { first: count(resources.len()), count: count(entries.len()) };
            domains.push(DomainRecord { name: name(domain)?, resources: run });
            for e in entries.iter() {
                resources.push(resource_record(e, count(index))?);
            }
        }
        let entitlements = self
            .entitlements
            .iter()
            .map(|(program, e)| Ok(EntitlementRecord { program: name(program)?, flags: e.0, _pad: 0 }))
            .collect::<Result<Vec<_>, WriteError>>()?;

        let mut offset = count(core::mem::size_of::<Header>());
        let mut place = |bytes: usize, n: usize| {
            let p = TablePlace { offset, count: count(n) };
            offset += count(bytes);
            p
        };
        let domains_place = place(domains.as_bytes().len(), domains.len());
        let resources_place = place(resources.as_bytes().len(), resources.len());
        let entitlements_place = place(entitlements.as_bytes().len(), entitlements.len());
        let mut body = Vec::new();
        body.extend_from_slice(domains.as_bytes());
        body.extend_from_slice(resources.as_bytes());
        body.extend_from_slice(entitlements.as_bytes());
        let header = Header {
            magic: MAGIC,
            version: VERSION,
            header_size: count(core::mem::size_of::<Header>()),
            total_size: offset,
            _pad: 0,
            checksum: fnv1a(&body),
            domains: domains_place,
            resources: resources_place,
            entitlements: entitlements_place,
        };
        let mut blob = header.as_bytes().to_vec();
        blob.extend_from_slice(&body);
        Table::parse(&blob).map_err(WriteError::Refused)?;
        Ok(blob)
    }
}

/// Counts and offsets fit in u32: `Table::parse` refuses more than
/// `MAX_RESOURCES` records of each table, far below u32::MAX bytes.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn name(text: &str) -> Result<Name, WriteError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME_LEN {
        return Err(WriteError::BadName(text.to_string()));
    }
    let mut name = Name { len: bytes.len() as u8, bytes: [0; 127] };
    name.bytes[..bytes.len()].copy_from_slice(bytes);
    Ok(name)
}

fn resource_record(e: &Entry, domain: u32) -> Result<ResourceRecord, WriteError> {
    let mut r = ResourceRecord {
        name: name(&e.name)?,
        id: e.id,
        vaddr: 0,
        size: 0,
        kind: e.kind as u32,
        domain,
        channel: 0,
        perms: 0,
        sensor: 0,
        flags: if e.connected { RESOURCE_CONNECTED } else { 0 },
    };
    match e.backing {
        Backing::Channel(id) => r.channel = id,
        Backing::Memory { vaddr, size, perms } => (r.vaddr, r.size, r.perms) = (vaddr, size, perms.bits()),
        Backing::Sensor(kind) => r.sensor = kind as u32,
    }
    Ok(r)
}
