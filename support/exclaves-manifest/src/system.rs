//! The rules against `system.xml`: every resource must stand on what the
//! system really gives XNU (a PPC channel, a notification, a region mapped
//! with the perms its direction needs). What passes is resolved into the
//! backing the table records.

use exclaves_table::{Backing, BufferPerms, ResourceType};
use microkit_tool::{Channel, End, Perms, ProtectionDomain, System};

use crate::error::{Error, Located, Rule};
use crate::load::Manifests;
use crate::manifest::{Direction, Resource, Target};

/// The PD of the XNU personality: the caller of services, the mapper of buffers.
pub const XNU: &str = "xnu";

/// A resource ready for the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub domain: String,
    pub name: String,
    pub kind: ResourceType,
    pub id: u64,
    pub backing: Backing,
    pub connected: bool,
}

/// Resolves every resource of every domain, or every refusal found.
pub fn resolve(manifests: &Manifests, system: &System) -> Result<Vec<Resolved>, Vec<Error>> {
    let pds = microkit_tool::flatten(system);
    let xnu = pds.iter().map(|(pd, _)| *pd).find(|pd| pd.name == XNU);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for d in &manifests.domains {
        for r in &d.resources {
            match backing(r, system, &pds, xnu) {
                Ok(backing) => out.push(Resolved {
                    domain: d.domain.clone(),
                    name: r.name.value.clone(),
                    kind: r.kind.value,
                    id: r.id.value,
                    backing,
                    connected: r.connected,
                }),
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What the resource stands on; channels and regions are xnu's, so they need it.
fn backing(r: &Resource, system: &System, pds: &[(&ProtectionDomain, Option<usize>)], xnu: Option<&ProtectionDomain>) -> Result<Backing, Error> {
    let no_xnu = || Error { loc: r.kind.loc.clone(), rule: Rule::NoXnu };
    match &r.target {
        Target::Sensor(kind) => Ok(Backing::Sensor(*kind)),
        Target::Channel { pd, channel } => {
            xnu.ok_or_else(no_xnu)?;
            if !pds.iter().any(|(p, _)| p.name == pd.value) {
                return Err(Error { loc: pd.loc.clone(), rule: Rule::UnknownPd(pd.value.clone()) });
            }
            let (ours, theirs) = xnu_channel(system, channel.value)
                .ok_or_else(|| Error { loc: channel.loc.clone(), rule: Rule::UnknownChannel(channel.value) })?;
            channel_fits(r, pd, channel, ours, theirs)?;
            Ok(Backing::Channel(channel.value))
        }
        Target::Region { region, direction } => {
            let xnu = xnu.ok_or_else(no_xnu)?;
            let mr = system.memory_regions.iter().find(|mr| mr.name == region.value);
            let mr = mr.ok_or_else(|| Error { loc: region.loc.clone(), rule: Rule::UnknownRegion(region.value.clone()) })?;
            let map = xnu.maps.iter().find(|m| m.mr == region.value);
            let map = map.ok_or_else(|| Error { loc: region.loc.clone(), rule: Rule::RegionNotMapped(region.value.clone()) })?;
            let perms = buffer_perms(r.kind.value, region, direction, map.perms)?;
            Ok(Backing::Memory { vaddr: map.vaddr, size: mr.size, perms })
        }
    }
}

/// XNU's end with that id and the other end.
fn xnu_channel(system: &System, id: u32) -> Option<(&End, &End)> {
    system.channels.iter().find_map(|c: &Channel| match c.ends.as_slice() {
        [a, b] if a.pd == XNU && a.id == u64::from(id) => Some((a, b)),
        [a, b] if b.pd == XNU && b.id == u64::from(id) => Some((b, a)),
        _ => None,
    })
}

/// SERVICE and CONCLAVE_MANAGER: xnu calls `pd` on it (pp on xnu's end).
/// NOTIFICATION: `pd` signals xnu on it (notify on the PD's end).
fn channel_fits(r: &Resource, pd: &Located<String>, channel: &Located<u32>, ours: &End, theirs: &End) -> Result<(), Error> {
    let (name, kind) = (r.name.value.clone(), r.kind.value);
    let why = if theirs.pd != pd.value {
        Some(format!("xnu's channel {} goes to '{}'", channel.value, theirs.pd))
    } else if kind == ResourceType::Notification {
        (!theirs.notify).then(|| format!("'{}' has notify=\"false\" on it", pd.value))
    } else {
        (!ours.pp).then(|| format!("xnu's end of channel {} is not pp=\"true\"", channel.value))
    };
    let Some(why) = why else { return Ok(()) };
    let rule = if kind == ResourceType::Notification {
        Rule::NoNotifyChannel { name, pd: pd.value.clone(), channel: channel.value, why }
    } else {
        Rule::NoPpcChannel { kind: kind.name(), name, pd: pd.value.clone(), channel: channel.value, why }
    };
    Err(Error { loc: channel.loc.clone(), rule })
}

/// The perms XNU has must be exactly what the direction says.
fn buffer_perms(kind: ResourceType, region: &Located<String>, direction: &Located<Direction>, perms: Perms) -> Result<BufferPerms, Error> {
    let text = perms_text(perms);
    let fail = |rule| Err(Error { loc: direction.loc.clone(), rule });
    let (r, w, x) = (perms.read, perms.write, perms.execute);
    let found = match (r, w, x) {
        (true, false, false) => BufferPerms::OUTBOUND,
        (true, true, false) => BufferPerms::INBOUND,
        _ => return fail(Rule::BadBufferPerms { region: region.value.clone(), perms: text }),
    };
    match (kind, direction.value, found.writable()) {
        (ResourceType::ArbitratedAudioMemory, _, true) => fail(Rule::AudioWritable { region: region.value.clone(), perms: text }),
        (_, Direction::Outbound, true) => fail(Rule::OutboundWritable { region: region.value.clone(), perms: text }),
        (_, Direction::Inbound, false) => fail(Rule::InboundReadOnly { region: region.value.clone(), perms: text }),
        _ => Ok(found),
    }
}

/// As system.xml writes them (`r`, `rw`, `rx`).
fn perms_text(p: Perms) -> String {
    [(p.read, 'r'), (p.write, 'w'), (p.execute, 'x')].iter().filter(|(set, _)| *set).map(|(_, c)| *c).collect()
}
