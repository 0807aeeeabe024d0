//! `microkit-tool check` on any bytes: it returns errors, it never panics,
//! overflows its stack or runs away (libFuzzer's -timeout catches that).
#![no_main]

use libfuzzer_sys::fuzz_target;
use microkit_tool::{check, not_utf8, Options};

fuzz_target!(|data: &[u8]| {
    // Program images are looked up in an empty directory: none is found.
    let options = Options { system_dir: std::env::temp_dir().join("exclaves-fuzz-no-images"), ..Default::default() };
    match std::str::from_utf8(data) {
        Ok(text) => {
            let outcome = check("fuzz.xml", text, &options);
            for e in &outcome.errors {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = not_utf8("fuzz.xml", data, e.valid_up_to()).to_string();
        }
    }
});
