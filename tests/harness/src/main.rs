//! `run-qemu`: boots an image on QEMU `virt` headless, echoes the serial log to
//! the terminal and a log file, and exits 0 only if the system reports ready
//! before the timeout without any failure (see `qemu_harness::verdict`).
//!
//! With `--junit FILE`, the per-test lines of a sel4test-style suite are also
//! written as JUnit XML (suite name from `--suite`). Each `--mark TEXT` adds
//! a `run-qemu: wall ms to 'TEXT': N` line to the log when a line containing
//! TEXT first appears, N counted from QEMU's start (benchmarks use it).
//!
//! Usage: run-qemu --image IMAGE --log FILE [--timeout SECS] [--ram MB]
//!                 [--junit FILE --suite NAME] [--mark TEXT]... [--qemu-arg ARG]...

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{exit, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qemu_harness::suite::{junit, SuiteLog};
use qemu_harness::verdict::{Judge, Verdict};

/// How long to keep reading after a failure is seen.
const FAILURE_GRACE: Duration = Duration::from_secs(2);

struct Options {
    image: PathBuf,
    log: PathBuf,
    timeout: Duration,
    ram_mb: u32,
    junit: Option<(PathBuf, String)>,
    qemu_args: Vec<String>,
    marks: Vec<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!("run-qemu: {problem}");
    eprintln!(
        "usage: run-qemu --image IMAGE --log FILE [--timeout SECS] [--ram MB] [--junit FILE --suite NAME] [--mark TEXT]... [--qemu-arg ARG]..."
    );
    exit(2)
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let (mut image, mut log, mut timeout, mut ram_mb, mut qemu_args) = (None, None, 60, 1024, Vec::new());
    let (mut junit, mut suite, mut marks) = (None, None, Vec::new());
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--image" => image = Some(PathBuf::from(value())),
            "--log" => log = Some(PathBuf::from(value())),
            "--timeout" => timeout = value().parse().unwrap_or_else(|_| usage("--timeout takes seconds")),
            "--ram" => ram_mb = value().parse().unwrap_or_else(|_| usage("--ram takes MiB")),
            "--qemu-arg" => qemu_args.push(value()),
            "--junit" => junit = Some(PathBuf::from(value())),
            "--suite" => suite = Some(value()),
            "--mark" => marks.push(value()),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    Options {
        image: image.unwrap_or_else(|| usage("--image is required")),
        log: log.unwrap_or_else(|| usage("--log is required")),
        timeout: Duration::from_secs(timeout),
        ram_mb,
        junit: match (junit, suite) {
            (Some(file), Some(suite)) => Some((file, suite)),
            (None, None) => None,
            _ => usage("--junit and --suite go together"),
        },
        qemu_args,
        marks,
    }
}

fn main() {
    let opts = parse_args();
    if !opts.image.is_file() {
        usage(&format!("no image at {}", opts.image.display()));
    }
    if let Some(dir) = opts.log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut log = std::fs::File::create(&opts.log).unwrap_or_else(|e| {
        eprintln!("run-qemu: cannot write {}: {e}", opts.log.display());
        exit(2)
    });

    let started = Instant::now();
    let mut marks = opts.marks.clone();
    let mut child = Command::new("qemu-system-aarch64")
        .args(["-M", "virt", "-cpu", "cortex-a53", "-m"])
        .arg(format!("{}M", opts.ram_mb))
        .args(["-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel"])
        .arg(&opts.image)
        .args(&opts.qemu_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("run-qemu: cannot start qemu-system-aarch64: {e}");
            exit(2)
        });

    let stdout = child.stdout.take().expect("stdout was piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        // Lines may not be UTF-8 (a crashing system prints anything): read bytes.
        while reader.read_until(b'\n', &mut buf).map(|n| n > 0).unwrap_or(false) {
            if lines_tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                break;
            }
            buf.clear();
        }
    });

    let mut deadline = Instant::now() + opts.timeout;
    let mut judge = Judge::new();
    let mut suite_log = SuiteLog::default();
    let mut timed_out = false;
    let mut decided = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            // The kernel ends its lines with "\n\r": drop the stray "\r" lines.
            Ok(line) if line.trim_matches(['\r', '\n']).is_empty() && line.starts_with('\r') => {}
            Ok(line) => {
                let text = line.trim_matches(['\r', '\n']);
                println!("{text}");
                let _ = writeln!(log, "{text}");
                suite_log.feed(text);
                for mark in marks.iter().filter(|m| text.contains(m.as_str())) {
                    let _ = writeln!(log, "run-qemu: wall ms to '{mark}': {}", started.elapsed().as_millis());
                }
                marks.retain(|m| !text.contains(m.as_str()));
                match judge.feed(text) {
                    Some(verdict) if verdict.passed() => break,
                    // A failure report spans several lines (the kernel prints the
                    // fault, the thread and its stack): keep them in the log.
                    Some(_) if !decided => {
                        decided = true;
                        deadline = Instant::now() + FAILURE_GRACE;
                    }
                    _ => {}
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = !decided;
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();

    let verdict = judge.finish(timed_out);
    let _ = writeln!(log, "run-qemu: verdict: {verdict}");
    if let Some((file, suite)) = &opts.junit {
        let records = suite_log.finish(&verdict.to_string());
        let run_error = match verdict {
            Verdict::SuiteDone { passed, failed } if passed + failed > 0 => None,
            _ => Some(verdict.to_string()),
        };
        let xml = junit(suite, &records, run_error.as_deref());
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(file, xml) {
            eprintln!("run-qemu: cannot write {}: {e}", file.display());
            exit(2);
        }
    }
    eprintln!("run-qemu: {}: {verdict} (log: {})", opts.image.display(), opts.log.display());
    exit(if verdict.passed() { 0 } else { 1 })
}
