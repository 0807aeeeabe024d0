//! From manifests and a checked system to the table's bytes.

use exclaves_table::TableBuilder;
use microkit_tool::System;

use crate::error::{Error, Loc, Rule};
use crate::load::Manifests;
use crate::{rules, system};

/// Every rule, then the table; all refusals, in file and line order.
pub fn compile(manifests: &Manifests, system: &System) -> Result<Vec<u8>, Vec<Error>> {
    let mut errors = rules::check(manifests);
    let resolved = match system::resolve(manifests, system) {
        Ok(resolved) => resolved,
        Err(e) => {
            errors.extend(e);
            Vec::new()
        }
    };
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.loc.cmp(&b.loc));
        return Err(errors);
    }
    let mut b = TableBuilder::new();
    for d in &manifests.domains {
        b.add_domain(&d.domain);
    }
    for r in resolved {
        b.add_resource(&r.domain, &r.name, r.kind, r.id, r.backing, r.connected);
    }
    for p in &manifests.programs {
        b.add_entitlement(&p.name.value, p.entitlements);
    }
    // The rules above and microkit-tool's checks (page-aligned maps, channel
    // ids up to 61) refuse everything the builder would; this is the net.
    b.finish().map_err(|e| {
        let file = manifests.domains.first().map_or_else(String::new, |d| d.file.clone());
        vec![Error { loc: Loc { file, line: 1 }, rule: Rule::Table(e.to_string()) }]
    })
}
