//! `microkit-tool check SYSTEM.xml [--search-path DIR]... [--report FILE|-] [--any-board]`
//! `microkit-tool build SYSTEM.xml [--search-path DIR]... --monitor ELF --output ELF [--report FILE|-]`
//!
//! `check` validates; `build` also writes the root-task image (the monitor
//! with the system's spec embedded) that the loader boots.
//! Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use microkit_tool::{build::build_spec, check, image::root_task_image, report::report, Options};

const USAGE: &str = "usage: microkit-tool check SYSTEM.xml [--search-path DIR]... [--report FILE|-] [--any-board]\n       \
                     microkit-tool build SYSTEM.xml [--search-path DIR]... --monitor ELF --output ELF [--report FILE|-]";

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
    system: Option<String>,
    search_paths: Vec<PathBuf>,
    report: Option<String>,
    monitor: Option<String>,
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
            "--search-path" => a.search_paths.push(PathBuf::from(value()?)),
            "--report" => a.report = Some(value()?),
            "--monitor" if building => a.monitor = Some(value()?),
            "--output" if building => a.output = Some(value()?),
            "--any-board" if !building => a.any_board = true,
            _ if arg.starts_with('-') && arg != "-" => return Err(format!("unknown option '{arg}'\n{USAGE}")),
            _ if a.system.is_none() => a.system = Some(arg),
            _ => return Err(USAGE.to_string()),
        }
    }
    let system = a.system.ok_or(USAGE)?;
    let bytes = std::fs::read(&system).map_err(|e| format!("error: cannot read {system}: {e}"))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{}", microkit_tool::not_utf8(&system, e.as_bytes(), e.utf8_error().valid_up_to()));
            return Ok(ExitCode::from(1));
        }
    };
    let system_dir = Path::new(&system).parent().map(Path::to_path_buf).unwrap_or_default();
    let system_dir = if system_dir.as_os_str().is_empty() { PathBuf::from(".") } else { system_dir };
    let options = Options { search_paths: a.search_paths, system_dir, any_board: a.any_board };
    let outcome = check(&system, &text, &options);
    for w in &outcome.warnings {
        eprintln!("{w}");
    }
    for n in outcome.notes.iter().filter(|_| !building) {
        eprintln!("{n}");
    }
    for e in &outcome.errors {
        eprintln!("{e}");
    }
    if !outcome.is_valid() {
        return Ok(ExitCode::from(1));
    }
    if building {
        let (monitor, output) = a.monitor.zip(a.output).ok_or_else(|| format!("build needs --monitor and --output\n{USAGE}"))?;
        let spec = match build_spec(&outcome.system, &options) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::from(1));
            }
        };
        let monitor_elf = std::fs::read(&monitor).map_err(|e| format!("error: cannot read {monitor}: {e}"))?;
        let image = match root_task_image(&monitor_elf, &spec) {
            Ok(image) => image,
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::from(1));
            }
        };
        std::fs::write(&output, image).map_err(|e| format!("error: cannot write {output}: {e}"))?;
    }
    match a.report.as_deref() {
        None => {}
        Some("-") => print!("{}", report(&outcome.system)),
        Some(file) => {
            std::fs::write(file, report(&outcome.system)).map_err(|e| format!("error: cannot write {file}: {e}"))?
        }
    }
    Ok(ExitCode::SUCCESS)
}
