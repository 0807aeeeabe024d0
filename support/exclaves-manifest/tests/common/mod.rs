//! Fixtures shared by the tests: `tests/exclaves/` at the repository root.

use std::path::PathBuf;

use microkit_tool::{Options, System};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/exclaves")
}

/// The test system, checked as the binary checks it.
pub fn test_system() -> System {
    let file = fixtures().join("system.xml");
    let text = std::fs::read_to_string(&file).expect("tests/exclaves/system.xml is readable");
    let options = Options { system_dir: fixtures(), ..Options::default() };
    let outcome = microkit_tool::check(&file.display().to_string(), &text, &options);
    assert!(outcome.is_valid(), "tests/exclaves/system.xml is valid: {:?}", outcome.errors);
    outcome.system
}

/// Loads and compiles a manifest directory: the table, or every message.
pub fn compile(dir: &std::path::Path, programs: Option<&[String]>) -> Result<Vec<u8>, Vec<String>> {
    let manifests = exclaves_manifest::load(dir, programs).expect("the directory is readable");
    let manifests = manifests.map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    exclaves_manifest::compile(&manifests, &test_system()).map_err(|e| e.iter().map(ToString::to_string).collect())
}
