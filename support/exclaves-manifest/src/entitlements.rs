//! `entitlements.toml`: which programs of XNU's boot filesystem may do what.
//!
//! ```toml
//! [[program]]
//! name = "launchd"
//! entitlements = ["boot", "kernel-domain"]
//! ```

use std::collections::HashMap;

use exclaves_table::Entitlements;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Located, Loc, Rule};
use crate::source::Source;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    program: Vec<RawProgram>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    name: Spanned<String>,
    entitlements: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub name: Located<String>,
    pub entitlements: Entitlements,
}

/// Parses the file; `programs`, when given, are the only programs that may
/// have entitlements (the boot filesystem's).
pub fn parse(source: &Source, programs: Option<&[String]>) -> Result<Vec<Program>, Vec<Error>> {
    let raw: RawFile = source.parse().map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen: HashMap<String, Loc> = HashMap::new();
    for p in raw.program {
        let name = source.located(&p.name);
        if let Some(first) = seen.get(&name.value) {
            errors.push(source.error(p.name.span(), Rule::DuplicateProgram(name.value.clone(), first.clone())));
            continue;
        }
        seen.insert(name.value.clone(), name.loc.clone());
        if programs.is_some_and(|list| !list.contains(&name.value)) {
            errors.push(source.error(p.name.span(), Rule::UnknownProgram(name.value.clone())));
        }
        let mut bits = 0;
        for e in &p.entitlements {
            match Entitlements::NAMES.iter().find(|(n, _)| n == e.get_ref()) {
                Some((_, bit)) => bits |= bit,
                None => {
                    let all: Vec<&str> = Entitlements::NAMES.iter().map(|(n, _)| *n).collect();
                    errors.push(source.error(e.span(), Rule::UnknownEntitlement(e.get_ref().clone(), all.join(", "))));
                }
            }
        }
        out.push(Program { name, entitlements: Entitlements(bits) });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
