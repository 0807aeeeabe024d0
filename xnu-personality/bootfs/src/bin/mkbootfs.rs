//! `mkbootfs OUT FILE...`: packs each FILE into the boot filesystem OUT,
//! under its file name without a `.elf` suffix.
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, inputs)) = args.split_first() else {
        eprintln!("usage: mkbootfs OUT FILE...");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(input);
        let name = name.strip_suffix(".elf").unwrap_or(name).to_string();
        match std::fs::read(path) {
            Ok(data) => files.push((name, data)),
            Err(e) => {
                eprintln!("mkbootfs: {input}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let bytes = match xnu_bootfs::write(&files) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("mkbootfs: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Rewritten only when it changes, so that XNU (which embeds it) is
    // rebuilt only then.
    if std::fs::read(out).is_ok_and(|old| old == bytes) {
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(out, &bytes) {
        eprintln!("mkbootfs: {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!("[bootfs] {out}: {} programs, {} bytes", files.len(), bytes.len());
    ExitCode::SUCCESS
}
