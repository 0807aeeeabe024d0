//! Every refusal, from `tests/exclaves/bad/NAME/`: exactly the one error of
//! its `expected` file, with the manifest's file:line.

mod common;

/// Each case by name, so a case directory that goes missing fails the test.
const CASES: [&str; 25] = [
    "outbound-rw",
    "manager-outside-kernel",
    "inbound-r",
    "audio-rw",
    "service-no-pp",
    "service-wrong-pd",
    "manager-no-pp",
    "notification-wrong-pd",
    "unknown-pd",
    "unknown-region",
    "region-not-mapped",
    "unknown-channel",
    "duplicate",
    "service-id",
    "id-collision",
    "name-too-long",
    "unknown-type",
    "unknown-sensor",
    "unknown-program",
    "unknown-entitlement",
    "duplicate-program",
    "unknown-file",
    "missing-field",
    "field-not-applicable",
    "unknown-field",
];

#[test]
fn every_bad_manifest_is_refused_with_its_location_and_rule() {
    let programs = ["launchd".to_string(), "sh".to_string()];
    let mut wrong = Vec::new();
    for case in CASES {
        let dir = common::fixtures().join("bad").join(case);
        let expected = std::fs::read_to_string(dir.join("expected")).expect("each case has an expected file");
        let prefix = format!("{}/", dir.display());
        let got = match common::compile(&dir, Some(&programs)) {
            Ok(_) => vec!["(accepted)".to_string()],
            Err(errors) => errors.iter().map(|e| e.replace(&prefix, "")).collect(),
        };
        if got != [expected.trim_end()] {
            wrong.push(format!("{case}: expected {:?}, got {got:?}", expected.trim_end()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_case_directory_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(common::fixtures().join("bad"))
        .expect("tests/exclaves/bad is readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(ToString::to_string).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn entitlements_for_any_program_pass_without_a_program_list() {
    let dir = common::fixtures().join("bad/unknown-program");
    assert!(common::compile(&dir, None).is_ok());
}

#[test]
fn several_refusals_are_all_reported_in_line_order() {
    let dir = std::env::temp_dir().join(format!("exclaves-manifest-several-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = "[[resource]]\nname = \"echo\"\ntype = \"SERVICE\"\nid = 200\npd = \"echo\"\nchannel = 5\n";
    std::fs::write(dir.join("darwin.toml"), text).expect("write");
    let errors = common::compile(&dir, None).expect_err("refused");
    let prefix = format!("{}/", dir.display());
    let errors: Vec<String> = errors.iter().map(|e| e.replace(&prefix, "")).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("error: service id 200 of 'echo' is not below 192") && errors[0].ends_with("darwin.toml:4"));
    assert!(errors[1].contains("is not pp=\"true\"") && errors[1].ends_with("darwin.toml:6"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_system_without_xnu_is_refused_for_what_needs_it() {
    let text = "<system><protection_domain name=\"echo\"><program_image path=\"e.elf\"/></protection_domain></system>";
    let outcome = microkit_tool::check("nosuch.xml", text, &microkit_tool::Options::default());
    assert!(outcome.is_valid(), "{:?}", outcome.errors);
    let dir = common::fixtures().join("full");
    let manifests = exclaves_manifest::load(&dir, None).expect("readable").expect("parses");
    let errors = exclaves_manifest::compile(&manifests, &outcome.system).expect_err("refused");
    // Every resource but the two sensors stands on xnu.
    assert_eq!(errors.len(), 7, "{errors:?}");
    assert!(errors.iter().all(|e| e.rule == exclaves_manifest::Rule::NoXnu));
    assert_eq!(errors[0].to_string(), format!("error: system.xml has no protection domain 'xnu' (the XNU personality the resources are for) at {}/conclave.audio.toml:3", dir.display()));
}

/// A scratch manifest directory with the given files, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(tag: &str, files: &[(&str, &[u8])]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("exclaves-manifest-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).expect("write");
        }
        Scratch(dir)
    }

    fn errors(&self) -> Vec<String> {
        let prefix = format!("{}/", self.0.display());
        let errors = common::compile(&self.0, None).expect_err("refused");
        errors.iter().map(|e| e.replace(&prefix, "")).collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_manifest_that_is_not_utf8_is_refused() {
    let s = Scratch::new("utf8", &[("darwin.toml", b"# \xff\n")]);
    assert_eq!(s.errors(), ["error: the file is not UTF-8 text at darwin.toml:1"]);
}

#[test]
fn long_program_and_conclave_names_are_refused() {
    let long = "p".repeat(128);
    let entitlements = format!("[[program]]\nname = \"{long}\"\nentitlements = []\n");
    let conclave = format!("conclave.{}.toml", "c".repeat(119));
    let s = Scratch::new("long", &[("entitlements.toml", entitlements.as_bytes()), (&conclave, b"")]);
    let errors = s.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].ends_with(&format!("is 128 bytes, more than the 127 a name may have at {conclave}:1")), "{errors:?}");
    assert!(errors[1].ends_with("is 128 bytes, more than the 127 a name may have at entitlements.toml:2"), "{errors:?}");
}

#[test]
fn more_resources_than_the_table_holds_are_refused_where_they_overflow() {
    let text: String = (0..=exclaves_table::MAX_RESOURCES)
        .map(|i| format!("[[resource]]\nname = \"s{i}\"\ntype = \"SENSOR\"\nid = {i}\nsensor = \"MIC\"\n"))
        .collect();
    let s = Scratch::new("many", &[("kernel.toml", text.as_bytes())]);
    let line = 5 * exclaves_table::MAX_RESOURCES as usize + 2;
    assert_eq!(s.errors(), [format!("error: more than 4096 resources, the most the resource table holds at kernel.toml:{line}")]);
}
