//! The exclaves manifest compiler: `manifests/*.toml` (one file per domain,
//! plus `entitlements.toml`) checked against `system.xml` and written as the
//! resource table (`exclaves-table`) XNU reads at boot.
//!
//! [`load`] parses a directory, [`compile`] runs every rule and writes the
//! table; every refusal names the manifest's file and line and the rule.

mod compile;
mod entitlements;
mod error;
mod load;
mod manifest;
mod rules;
mod source;
mod system;

pub use compile::compile;
pub use entitlements::Program;
pub use error::{Error, Loc, Located, Rule};
pub use load::{load, Manifests, ReadError};
pub use manifest::{Direction, DomainManifest, Resource, Target};
pub use system::XNU;
