//! Refusals: each names the manifest file and line, and the rule broken.

use std::fmt;

/// A 1-based line in a manifest file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A value read from a manifest, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error: {rule} at {loc}")]
pub struct Error {
    pub loc: Loc,
    pub rule: Rule,
}

/// The rules, one variant each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("malformed TOML: {0}")]
    Toml(String),
    #[error("unknown manifest file '{0}' (expected kernel.toml, darwin.toml, conclave.<name>.toml or entitlements.toml)")]
    UnknownFile(String),
    #[error("unknown resource type '{0}' (expected one of {1})")]
    UnknownType(String, String),
    #[error("unknown sensor kind '{0}' (expected one of {1})")]
    UnknownSensor(String, String),
    #[error("unknown direction '{0}' (expected outbound or inbound)")]
    UnknownDirection(String),
    #[error("unknown entitlement '{0}' (expected one of {1})")]
    UnknownEntitlement(String, String),
    #[error("{kind} '{name}' needs '{field}'")]
    MissingField { kind: &'static str, name: String, field: &'static str },
    #[error("'{field}' does not apply to {kind} '{name}'")]
    FieldNotApplicable { kind: &'static str, name: String, field: &'static str },
    #[error("name '{name}' is {len} bytes, more than the 127 a name may have")]
    NameTooLong { name: String, len: usize },
    #[error("name must not be empty")]
    EmptyName,
    #[error("{kind} '{name}' appears twice in domain '{domain}' (first at {first})")]
    Duplicate { kind: &'static str, name: String, domain: String, first: Loc },
    #[error("CONCLAVE_MANAGER '{name}' is in domain '{domain}'; a conclave's manager belongs in kernel.toml, named like the conclave's domain (conclave.<name>)")]
    ManagerPlace { name: String, domain: String },
        #[error("service id {id} of '{name}' is not below 192")]
    ServiceId { name: String, id: u64 },
    #[error("id {id} of {kind} '{name}' is already used in domain '{domain}' by {other_kind} '{other}' (at {first})")]
    IdCollision { id: u64, kind: &'static str, name: String, domain: String, other_kind: &'static str, other: String, first: Loc },
    #[error("program '{0}' appears twice (first at {1})")]
    DuplicateProgram(String, Loc),
    #[error("entitlements for program '{0}', which is not one of the programs given")]
    UnknownProgram(String),
    #[error("system.xml has no protection domain 'xnu' (the XNU personality the resources are for)")]
    NoXnu,
    #[error("unknown protection domain '{0}': system.xml has none of that name")]
    UnknownPd(String),
    #[error("unknown memory region '{0}': system.xml has none of that name")]
    UnknownRegion(String),
    #[error("memory region '{0}' is not mapped into xnu")]
    RegionNotMapped(String),
    #[error("unknown channel: xnu has no channel with id {0} in system.xml")]
    UnknownChannel(u32),
    #[error("{kind} '{name}' needs a channel on which xnu makes protected calls to '{pd}' with xnu's end id {channel}, but {why}")]
    NoPpcChannel { kind: &'static str, name: String, pd: String, channel: u32, why: String },
    #[error("NOTIFICATION '{name}' needs channel {channel} of xnu to go to '{pd}' with that end allowed to notify, but {why}")]
    NoNotifyChannel { name: String, pd: String, channel: u32, why: String },
    #[error("memory region '{region}' is mapped '{perms}' into xnu but the manifest calls it outbound (XNU may only read an outbound buffer: map it perms=\"r\")")]
    OutboundWritable { region: String, perms: String },
    #[error("memory region '{region}' is mapped '{perms}' into xnu but the manifest calls it inbound (XNU writes an inbound buffer: map it perms=\"rw\")")]
    InboundReadOnly { region: String, perms: String },
    #[error("memory region '{region}' is mapped '{perms}' into xnu; ARBITRATED_AUDIO_MEMORY is always read-only to XNU (perms=\"r\")")]
    AudioWritable { region: String, perms: String },
    #[error("memory region '{region}' is mapped '{perms}' into xnu; a buffer must be mapped \"r\" or \"rw\"")]
    BadBufferPerms { region: String, perms: String },
    #[error("more than {limit} {what}, the most the resource table holds")]
    TooMany { what: &'static str, limit: usize },
    #[error("the resource table was not written: {0}")]
    Table(String),
}
