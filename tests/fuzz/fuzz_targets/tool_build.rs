//! Generated systems and PD programs through `check` and `build`: what
//! `check` accepts must build, into a spec the monitor's `Spec::parse`
//! accepts, inside a root-task image the tool can read back.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use microkit_tool::{build::build_spec, check, elf::Program, image::root_task_image, Options};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(system), Ok(monitor)) = (system_gen::generate(&mut u), system_gen::monitor(&mut u)) else { return };
    let dir = std::env::temp_dir().join(format!("exclaves-fuzz-build-{}", std::process::id()));
    system.write_images(&dir).expect("write the generated images");
    let options = Options { search_paths: vec![dir], ..Default::default() };
    let outcome = check("fuzz.xml", &system.xml, &options);
    if !outcome.is_valid() {
        return;
    }
    let spec = build_spec(&outcome.system, &options).unwrap_or_else(|e| panic!("check passed, build failed: {e}\n{}", system.xml));
    if let Err(e) = monitor_spec::Spec::parse(&spec) {
        panic!("the monitor refuses what build wrote: {e}\n{}", system.xml);
    }
    if let Ok(image) = root_task_image(&monitor, &spec) {
        let read = Program::read(&image).expect("the root-task image reads back");
        assert_eq!(read.segments.last().map(|s| s.data.as_slice()), Some(spec.as_slice()));
    }
});
