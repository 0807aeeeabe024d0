//! Over generated systems and programs: whatever `check` accepts, `build`
//! builds, and the monitor's own `Spec::parse` accepts the spec it wrote;
//! and the root-task image around it is an ELF with the spec where the
//! monitor's symbol says.

use arbitrary::Unstructured;
use microkit_tool::build::build_spec;
use microkit_tool::elf::Program;
use microkit_tool::image::root_task_image;
use microkit_tool::{check, Options};
use proptest::prelude::*;

/// Generates from `bytes`, checks, and builds what passes. Returns whether
/// the system was valid; panics if a valid one does not build into a spec
/// and image the monitor and the loader accept.
fn check_then_build(bytes: &[u8], dir: &std::path::Path) -> bool {
    let mut u = Unstructured::new(bytes);
    let (Ok(system), Ok(monitor)) = (system_gen::generate(&mut u), system_gen::monitor(&mut u)) else { return false };
    system.write_images(dir).expect("write images");
    let options = Options { search_paths: vec![dir.to_path_buf()], ..Default::default() };
    let outcome = check("system.xml", &system.xml, &options);
    if !outcome.is_valid() {
        return false;
    }
    let spec = build_spec(&outcome.system, &options).unwrap_or_else(|e| panic!("{e}\n{}", system.xml));
    if let Err(e) = monitor_spec::Spec::parse(&spec) {
        panic!("the monitor refuses what build wrote: {e}\n{}", system.xml);
    }
    if let Ok(image) = root_task_image(&monitor, &spec) {
        let read = Program::read(&image).expect("the image reads back");
        let last = read.segments.last().expect("a spec segment");
        assert_eq!(last.data, spec);
    }
    true
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("microkit-tool-gen-{name}-{}", std::process::id()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn valid_systems_build_into_specs_the_monitor_accepts(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        check_then_build(&bytes, &scratch("prop"));
    }
}

/// The property above means something only if generated systems are often valid.
#[test]
fn the_generator_reaches_build() {
    let dir = scratch("rate");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut valid = 0;
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..2000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        valid += usize::from(check_then_build(&bytes, &dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(valid >= 50, "only {valid} of 300 generated systems were valid");
}
