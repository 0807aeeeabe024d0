//! `exclaves-manifest check DIR --system SYSTEM.xml [--search-path DIR]... [--program NAME]... [--any-board]`
//! `exclaves-manifest build DIR --system SYSTEM.xml [--search-path DIR]... [--program NAME]... --output TABLE`
//!
//! `check` validates the manifests of DIR against SYSTEM.xml (which is
//! checked first, as `microkit-tool check` does); `build` also writes the
//! resource table. `--program` (repeatable) lists the programs that may have
//! entitlements; without it any program may.
//! Exit status: 0 valid, 1 refused, 2 usage or I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use microkit_tool::Options;

const USAGE: &str = "usage: exclaves-manifest check DIR --system SYSTEM.xml [--search-path DIR]... [--program NAME]... [--any-board]\n       \
                     exclaves-manifest build DIR --system SYSTEM.xml [--search-path DIR]... [--program NAME]... --output TABLE";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Args {
    dir: Option<PathBuf>,
    system: Option<String>,
    search_paths: Vec<PathBuf>,
    programs: Option<Vec<String>>,
    output: Option<String>,
    any_board: bool,
}

fn run(args: Vec<String>) -> Result<ExitCode, String> {
    let mut args = args.into_iter();
    let building = match args.next().as_deref() {
        Some("check") => false,
        Some("build") => true,
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        _ => return Err(USAGE.to_string()),
    };
    let mut a = Args::default();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--system" => a.system = Some(value()?),
            "--search-path" => a.search_paths.push(PathBuf::from(value()?)),
            "--program" => a.programs.get_or_insert_with(Vec::new).push(value()?),
            "--output" if building => a.output = Some(value()?),
            "--any-board" => a.any_board = true,
            _ if arg.starts_with('-') => return Err(format!("unknown option '{arg}'\n{USAGE}")),
            _ if a.dir.is_none() => a.dir = Some(PathBuf::from(arg)),
            _ => return Err(USAGE.to_string()),
        }
    }
    let (Some(dir), Some(system)) = (a.dir, a.system) else { return Err(USAGE.to_string()) };
    let output = match (building, a.output) {
        (true, None) => return Err(format!("build needs --output\n{USAGE}")),
        (_, output) => output,
    };

    let text = std::fs::read_to_string(&system).map_err(|e| format!("error: cannot read {system}: {e}"))?;
    let system_dir = Path::new(&system).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let options = Options { search_paths: a.search_paths, system_dir: system_dir.to_path_buf(), any_board: a.any_board };
    let outcome = microkit_tool::check(&system, &text, &options);
    for e in &outcome.errors {
        eprintln!("{e}");
    }
    if !outcome.is_valid() {
        return Ok(ExitCode::from(1));
    }

    let manifests = match exclaves_manifest::load(&dir, a.programs.as_deref()).map_err(|e| e.to_string())? {
        Ok(m) => m,
        Err(errors) => return Ok(refuse(&errors)),
    };
    let table = match exclaves_manifest::compile(&manifests, &outcome.system) {
        Ok(table) => table,
        Err(errors) => return Ok(refuse(&errors)),
    };
    if let Some(output) = output {
        std::fs::write(&output, table).map_err(|e| format!("error: cannot write {output}: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse(errors: &[exclaves_manifest::Error]) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    ExitCode::from(1)
}
