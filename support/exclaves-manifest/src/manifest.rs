//! One domain's manifest (`kernel.toml`, `darwin.toml`, `conclave.<name>.toml`):
//! a list of `[[resource]]` tables, each checked here for what it says on its
//! own (its type, the fields that type takes); `rules` and `system` check the
//! rest.

use exclaves_table::{ResourceType, SensorKind};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Located, Rule};
use crate::source::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    #[serde(default)]
    resource: Vec<RawResource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    id: Spanned<u64>,
    pd: Option<Spanned<String>>,
    channel: Option<Spanned<u32>>,
    region: Option<Spanned<String>>,
    direction: Option<Spanned<String>>,
    sensor: Option<Spanned<String>>,
    connected: Option<Spanned<bool>>,
}

/// Which way a SHARED_MEMORY buffer goes, seen from the exclave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The exclave writes, XNU reads: mapped `r` into xnu.
    Outbound,
    /// XNU writes: mapped `rw` into xnu.
    Inbound,
}

/// What a resource stands on in `system.xml`, as the manifest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// SERVICE, CONCLAVE_MANAGER, NOTIFICATION: a channel between xnu (its end
    /// id `channel`) and `pd`.
    Channel { pd: Located<String>, channel: Located<u32> },
    /// SHARED_MEMORY (with a direction) and ARBITRATED_AUDIO_MEMORY (always outbound).
    Region { region: Located<String>, direction: Located<Direction> },
    Sensor(SensorKind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: Located<String>,
    pub kind: Located<ResourceType>,
    pub id: Located<u64>,
    pub target: Target,
    pub connected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainManifest {
    pub domain: String,
    pub file: String,
    pub resources: Vec<Resource>,
}

/// Parses one domain's file; every refusal in it is returned, not just the first.
pub fn parse(domain: &str, source: &Source) -> Result<DomainManifest, Vec<Error>> {
    let raw: RawDomain = source.parse().map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut resources = Vec::new();
    for r in raw.resource {
        match resource(source, r) {
            Ok(r) => resources.push(r),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(DomainManifest { domain: domain.to_string(), file: source.file.clone(), resources })
    } else {
        Err(errors)
    }
}

fn resource(source: &Source, r: RawResource) -> Result<Resource, Error> {
    let name = source.located(&r.name);
    let kind = ResourceType::from_name(r.kind.get_ref()).ok_or_else(|| {
        let all: Vec<&str> = ResourceType::ALL.iter().map(|t| t.name()).collect();
        source.error(r.kind.span(), Rule::UnknownType(r.kind.get_ref().clone(), all.join(", ")))
    })?;
    let kind_name = kind.name();
    let missing = |field| source.error(r.kind.span(), Rule::MissingField { kind: kind_name, name: name.value.clone(), field });
    // The fields this type does not take must be absent.
    let stray = |field: &'static str, span: Option<std::ops::Range<usize>>| match span {
        Some(span) => Err(source.error(span, Rule::FieldNotApplicable { kind: kind_name, name: name.value.clone(), field })),
        None => Ok(()),
    };
    let span_of = |s: &Option<Spanned<String>>| s.as_ref().map(Spanned::span);
    let target = match kind {
        ResourceType::Service | ResourceType::ConclaveManager | ResourceType::Notification => {
            stray("region", span_of(&r.region))?;
            stray("direction", span_of(&r.direction))?;
            stray("sensor", span_of(&r.sensor))?;
            let pd = r.pd.as_ref().ok_or_else(|| missing("pd"))?;
            let channel = r.channel.as_ref().ok_or_else(|| missing("channel"))?;
            Target::Channel { pd: source.located(pd), channel: source.located(channel) }
        }
        ResourceType::SharedMemory | ResourceType::ArbitratedAudioMemory => {
            stray("pd", span_of(&r.pd))?;
            stray("channel", r.channel.as_ref().map(Spanned::span))?;
            stray("sensor", span_of(&r.sensor))?;
            let region = r.region.as_ref().ok_or_else(|| missing("region"))?;
            let direction = if kind == ResourceType::ArbitratedAudioMemory {
                stray("direction", span_of(&r.direction))?;
                Located { value: Direction::Outbound, loc: source.loc(region.span()) }
            } else {
                let d = r.direction.as_ref().ok_or_else(|| missing("direction"))?;
                let value = match d.get_ref().as_str() {
                    "outbound" => Direction::Outbound,
                    "inbound" => Direction::Inbound,
                    other => return Err(source.error(d.span(), Rule::UnknownDirection(other.to_string()))),
                };
                Located { value, loc: source.loc(d.span()) }
            };
            Target::Region { region: source.located(region), direction }
        }
        ResourceType::Sensor => {
            stray("pd", span_of(&r.pd))?;
            stray("channel", r.channel.as_ref().map(Spanned::span))?;
            stray("region", span_of(&r.region))?;
            stray("direction", span_of(&r.direction))?;
            let s = r.sensor.as_ref().ok_or_else(|| missing("sensor"))?;
            let sensor = SensorKind::from_name(s.get_ref()).ok_or_else(|| {
                let all: Vec<&str> = SensorKind::ALL.iter().map(|k| k.name()).collect();
                source.error(s.span(), Rule::UnknownSensor(s.get_ref().clone(), all.join(", ")))
            })?;
            Target::Sensor(sensor)
        }
    };
    Ok(Resource {
        kind: Located { value: kind, loc: source.loc(r.kind.span()) },
        id: source.located(&r.id),
        target,
        connected: r.connected.is_none_or(|c| *c.get_ref()),
        name,
    })
}
