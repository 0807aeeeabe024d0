//! The rules within the manifests themselves: names, ids, duplicates.

use std::collections::HashMap;

use exclaves_table::{ResourceType, MAX_NAME_LEN, MAX_RESOURCES, MAX_SERVICE_ID};

use crate::error::{Error, Loc, Located, Rule};
use crate::load::Manifests;

/// Every refusal of names and ids, in every domain and the entitlements.
pub fn check(manifests: &Manifests) -> Vec<Error> {
    let mut errors = Vec::new();
    // The table holds at most MAX_RESOURCES records of each kind; the first
    // one past that is where the manifests went too far.
    let limit = MAX_RESOURCES as usize;
    if let Some(r) = manifests.domains.iter().flat_map(|d| &d.resources).nth(limit) {
        errors.push(Error { loc: r.name.loc.clone(), rule: Rule::TooMany { what: "resources", limit } });
    }
    if let Some(p) = manifests.programs.get(limit) {
        errors.push(Error { loc: p.name.loc.clone(), rule: Rule::TooMany { what: "programs", limit } });
    }
    for d in &manifests.domains {
        if let Err(rule) = name_ok(&d.domain) {
            errors.push(Error { loc: Loc { file: d.file.clone(), line: 1 }, rule });
        }
        let mut names: HashMap<(&str, ResourceType), &Loc> = HashMap::new();
        let mut ids: HashMap<u64, (&Located<u64>, ResourceType, &str)> = HashMap::new();
        for r in &d.resources {
            let (name, kind) = (r.name.value.as_str(), r.kind.value);
            if let Err(rule) = name_ok(name) {
                errors.push(Error { loc: r.name.loc.clone(), rule });
            }
            if let Some(first) = names.get(&(name, kind)) {
                let rule = Rule::Duplicate { kind: kind.name(), name: name.to_string(), domain: d.domain.clone(), first: (*first).clone() };
                errors.push(Error { loc: r.name.loc.clone(), rule });
                continue;
            }
            names.insert((name, kind), &r.name.loc);
            // EXCLAVES.md: the kernel domain holds one manager per conclave,
            // named like the conclave's domain.
            let is_manager = kind == ResourceType::ConclaveManager;
            let named_like_a_conclave = name.strip_prefix("conclave.").is_some_and(|c| !c.is_empty());
            if is_manager && (d.domain != "kernel" || !named_like_a_conclave) {
                errors.push(Error { loc: r.name.loc.clone(), rule: Rule::ManagerPlace { name: name.to_string(), domain: d.domain.clone() } });
            }
            if kind == ResourceType::Service && r.id.value >= MAX_SERVICE_ID {
                errors.push(Error { loc: r.id.loc.clone(), rule: Rule::ServiceId { name: name.to_string(), id: r.id.value } });
            }
            match ids.get(&r.id.value) {
                Some(&(first, other_kind, other)) => {
                    let rule = Rule::IdCollision {
                        id: r.id.value,
                        kind: kind.name(),
                        name: name.to_string(),
                        domain: d.domain.clone(),
                        other_kind: other_kind.name(),
                        other: other.to_string(),
                        first: first.loc.clone(),
                    };
                    errors.push(Error { loc: r.id.loc.clone(), rule });
                }
                None => {
                    ids.insert(r.id.value, (&r.id, kind, name));
                }
            }
        }
    }
    for p in &manifests.programs {
        if let Err(rule) = name_ok(&p.name.value) {
            errors.push(Error { loc: p.name.loc.clone(), rule });
        }
    }
    errors
}

fn name_ok(name: &str) -> Result<(), Rule> {
    match name.len() {
        0 => Err(Rule::EmptyName),
        len if len > MAX_NAME_LEN => Err(Rule::NameTooLong { name: name.to_string(), len }),
        _ => Ok(()),
    }
}
