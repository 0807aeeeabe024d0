//! Reading a manifest directory: one file per domain plus `entitlements.toml`.

use std::path::Path;

use crate::entitlements::{self, Program};
use crate::error::{Error, Loc, Rule};
use crate::manifest::{self, DomainManifest};
use crate::source::Source;

/// Every manifest of a directory, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifests {
    /// In file-name order.
    pub domains: Vec<DomainManifest>,
    pub programs: Vec<Program>,
}

/// Why a directory could not be read at all (not a refusal of its contents).
#[derive(Debug, thiserror::Error)]
#[error("error: cannot read {path}: {source}")]
pub struct ReadError {
    pub path: String,
    pub source: std::io::Error,
}

/// The domain a file describes, from its name; `None` for `entitlements.toml`.
fn domain_of(file_name: &str) -> Result<Option<String>, Rule> {
    match file_name {
        "entitlements.toml" => Ok(None),
        "kernel.toml" => Ok(Some("kernel".to_string())),
        "darwin.toml" => Ok(Some("darwin".to_string())),
        _ => match file_name.strip_prefix("conclave.").and_then(|s| s.strip_suffix(".toml")) {
            Some(name) if !name.is_empty() => Ok(Some(format!("conclave.{name}"))),
            _ => Err(Rule::UnknownFile(file_name.to_string())),
        },
    }
}

/// Parses the `.toml` files of `dir` (other files, a README, are not manifests).
pub fn load(dir: &Path, programs: Option<&[String]>) -> Result<Result<Manifests, Vec<Error>>, ReadError> {
    let read_error = |path: &Path, source| ReadError { path: path.display().to_string(), source };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
        let entry = entry.map_err(|e| read_error(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") {
            names.push(name);
        }
    }
    names.sort();
    let mut manifests = Manifests::default();
    let mut errors = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let file = path.display().to_string();
        let at_top = |rule| Error { loc: Loc { file: file.clone(), line: 1 }, rule };
        let domain = match domain_of(&name) {
            Ok(domain) => domain,
            Err(rule) => {
                errors.push(at_top(rule));
                continue;
            }
        };
        let bytes = std::fs::read(&path).map_err(|e| read_error(&path, e))?;
        let Ok(text) = String::from_utf8(bytes) else {
            errors.push(at_top(Rule::NotUtf8));
            continue;
        };
        let source = Source::new(file.clone(), text);
        let parsed = match domain {
            Some(domain) => manifest::parse(&domain, &source).map(|d| manifests.domains.push(d)),
            None => entitlements::parse(&source, programs).map(|p| manifests.programs.extend(p)),
        };
        if let Err(e) = parsed {
            errors.extend(e);
        }
    }
    Ok(if errors.is_empty() { Ok(manifests) } else { Err(errors) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_domains() {
        assert_eq!(domain_of("kernel.toml"), Ok(Some("kernel".to_string())));
        assert_eq!(domain_of("darwin.toml"), Ok(Some("darwin".to_string())));
        assert_eq!(domain_of("conclave.audio.toml"), Ok(Some("conclave.audio".to_string())));
        assert_eq!(domain_of("entitlements.toml"), Ok(None));
        assert_eq!(domain_of("conclave..toml"), Err(Rule::UnknownFile("conclave..toml".to_string())));
        assert_eq!(domain_of("other.toml"), Err(Rule::UnknownFile("other.toml".to_string())));
    }
}
