//! `microkit-tool check SYSTEM.xml [--search-path DIR]... [--report FILE]`
//!
//! Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use microkit_tool::{check, report::report, Options};

const USAGE: &str = "usage: microkit-tool check SYSTEM.xml [--search-path DIR]... [--report FILE|-]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode, String> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("check") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        _ => return Err(USAGE.to_string()),
    }
    let mut system = None;
    let mut search_paths = Vec::new();
    let mut report_to = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--search-path" => search_paths.push(PathBuf::from(args.next().ok_or(USAGE)?)),
            "--report" => report_to = Some(args.next().ok_or(USAGE)?),
            _ if arg.starts_with('-') && arg != "-" => return Err(format!("unknown option '{arg}'\n{USAGE}")),
            _ if system.is_none() => system = Some(arg),
            _ => return Err(USAGE.to_string()),
        }
    }
    let system = system.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&system).map_err(|e| format!("error: cannot read {system}: {e}"))?;
    let system_dir = Path::new(&system).parent().map(Path::to_path_buf).unwrap_or_default();
    let system_dir = if system_dir.as_os_str().is_empty() { PathBuf::from(".") } else { system_dir };
    let outcome = check(&system, &text, &Options { search_paths, system_dir });
    for w in &outcome.warnings {
        eprintln!("{w}");
    }
    for n in &outcome.notes {
        eprintln!("{n}");
    }
    for e in &outcome.errors {
        eprintln!("{e}");
    }
    if !outcome.is_valid() {
        return Ok(ExitCode::from(1));
    }
    match report_to.as_deref() {
        None => {}
        Some("-") => print!("{}", report(&outcome.system)),
        Some(file) => {
            std::fs::write(file, report(&outcome.system)).map_err(|e| format!("error: cannot write {file}: {e}"))?
        }
    }
    Ok(ExitCode::SUCCESS)
}
