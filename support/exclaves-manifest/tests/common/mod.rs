//! Fixtures shared by the tests: `tests/exclaves/` at the repository root.

use std::path::PathBuf;

use microkit_tool::{Options, System};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/exclaves")
}

/// The test system, checked as the binary checks it.
pub fn test_system() -> System {
    checked(fixtures().join("system.xml"))
}

/// The repository's default system.xml, which manifests/ describes (one
/// test binary of those sharing this module uses it).
#[allow(dead_code)]
pub fn default_system() -> System {
    checked(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../system.xml"))
}

fn checked(file: PathBuf) -> System {
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{} is readable: {e}", file.display()));
    let system_dir = file.parent().map(PathBuf::from).unwrap_or_default();
    let options = Options { system_dir, ..Options::default() };
    let outcome = microkit_tool::check(&file.display().to_string(), &text, &options);
    assert!(outcome.is_valid(), "{} is valid: {:?}", file.display(), outcome.errors);
    outcome.system
}

/// Loads and compiles a manifest directory against the test system: the
/// table, or every message.
pub fn compile(dir: &std::path::Path, programs: Option<&[String]>) -> Result<Vec<u8>, Vec<String>> {
    compile_against(dir, programs, &test_system())
}

pub fn compile_against(dir: &std::path::Path, programs: Option<&[String]>, system: &System) -> Result<Vec<u8>, Vec<String>> {
    let manifests = exclaves_manifest::load(dir, programs).expect("the directory is readable");
    let manifests = manifests.map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    exclaves_manifest::compile(&manifests, system).map_err(|e| e.iter().map(ToString::to_string).collect())
}
