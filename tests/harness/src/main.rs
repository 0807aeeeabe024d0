//! `run-qemu`: boots an image on QEMU `virt` headless, echoes the serial log to
//! the terminal and a log file, and exits 0 only if the whole log passes
//! (see `qemu_harness::verdict`): it reaches an end marker before the
//! timeout, with no failure, every `--expect` line present, and suites that
//! add up.
//!
//! QEMU starts with no default devices and a firmware search path holding
//! only an empty directory (see `qemu_harness::qemu`), so no run depends on
//! a firmware file that one machine happens to have.
//!
//! With `--suite NAME` the run is a test suite: it must run one, and with
//! `--junit FILE` its per-test lines are also written as JUnit XML. Each
//! `--seal TOKEN` trusts only lines ending in ` [seal TOKEN]` to pass a run,
//! and `--origin NAME` only lines the serial driver printed as `NAME: ...`;
//! `--until LINE` ends the run at that whole line as the end markers do
//! (see `verdict`). Each `--mark TEXT` adds a `run-qemu: wall ms to 'TEXT': N` line to the log when
//! a line containing TEXT first appears, N counted from QEMU's start
//! (benchmarks use it). `--expect-line TEXT` must appear as a whole line,
//! and `--forbid-line TEXT` fails the run if it does. Each `--send-after
//! MARKER TEXT` types TEXT (escapes `\n`, `\r`, `\t`, `\\`, `\xNN`) into the
//! serial console once a line containing MARKER appears, in order (see
//! `qemu_harness::input`); such a run reads past the end marker until every
//! step was typed and every expected line appeared; `--type-interval MS`
//! sets the time between typed bytes (10 by default). `--interactive` (and
//! `--gdb`) instead hand the terminal to QEMU, with its monitor on Ctrl-a c.
//! `--disk IMAGE` attaches a raw disk image (read-write: the guest's writes
//! stay in the file) as a virtio-blk device on virtio-mmio transport 0,
//! registers at 0x0a000000, GIC INTID 48 (see `qemu_harness::qemu`).
//! `--secure-nv IMAGE` attaches a 64 MiB image as the second CFI flash bank
//! (0x04000000), the storage exclave's simulated secure NV memory.
//!
//! Usage: run-qemu --qemu-home DIR --image IMAGE --log FILE [--timeout SECS] [--ram MB]
//!                 [--suite NAME [--junit FILE]] [--expect TEXT]... [--expect-line TEXT]... [--forbid-line TEXT]...
//!                 [--send-after MARKER TEXT]... [--type-interval MS] [--seal TOKEN] [--origin NAME] [--until LINE] [--mark TEXT]... [--disk IMAGE] [--secure-nv IMAGE] [--qemu-arg ARG]...
//!        run-qemu --qemu-home DIR --image IMAGE --interactive [--gdb] [--ram MB] [--disk IMAGE] [--secure-nv IMAGE]
//!        run-qemu --qemu-home DIR --firmware-dirs     (where that QEMU looks for firmware)

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{exit, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qemu_harness::input::{Script, Step, KEY_INTERVAL};
use qemu_harness::qemu::{Console, Qemu};
use qemu_harness::suite::{junit, SuiteLog};
use qemu_harness::verdict::{Expectations, Judge, Progress, Stop, Verdict};

/// How long to keep reading after a failure is seen.
const FAILURE_GRACE: Duration = Duration::from_secs(2);

const USAGE: &str = "usage: run-qemu --qemu-home DIR --image IMAGE --log FILE [--timeout SECS] [--ram MB] \
                     [--suite NAME [--junit FILE]] [--expect TEXT]... [--expect-line TEXT]... [--forbid-line TEXT]... \
                     [--send-after MARKER TEXT]... [--type-interval MS] [--seal TOKEN] [--origin NAME] [--until LINE] [--mark TEXT]... [--disk IMAGE] [--secure-nv IMAGE] [--qemu-arg ARG]...\n       \
                     run-qemu --qemu-home DIR --image IMAGE --interactive [--gdb] [--ram MB] [--disk IMAGE] [--secure-nv IMAGE]\n       \
                     (--disk: a raw image as virtio-blk on virtio-mmio transport 0, 0x0a000000, INTID 48;\n       \
                      --secure-nv: a 64 MiB image as CFI flash bank 1, 0x04000000)\n       \
                     run-qemu --qemu-home DIR --firmware-dirs";

#[derive(Debug)]
struct Options {
    qemu_home: PathBuf,
    image: PathBuf,
    log: Option<PathBuf>,
    timeout: Duration,
    ram_mb: u32,
    suite: Option<String>,
    junit: Option<PathBuf>,
    expect: Vec<String>,
    expect_lines: Vec<String>,
    forbid_lines: Vec<String>,
    send: Vec<Step>,
    type_interval: Duration,
    seal: Option<String>,
    origin: Option<String>,
    until: Vec<String>,
    qemu_args: Vec<String>,
    disk: Option<String>,
    secure_nv: Option<String>,
    marks: Vec<String>,
    interactive: bool,
    gdb: bool,
    firmware_dirs: bool,
}

fn usage(problem: &str) -> ! {
    eprintln!("run-qemu: {problem}\n{USAGE}");
    exit(2)
}

impl Options {
    fn drives(&self) -> qemu_harness::qemu::Drives<'_> {
        qemu_harness::qemu::Drives { disk: self.disk.as_deref(), secure_nv: self.secure_nv.as_deref() }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        qemu_home: PathBuf::new(),
        image: PathBuf::new(),
        log: None,
        timeout: Duration::from_secs(60),
        ram_mb: 1024,
        suite: None,
        junit: None,
        expect: Vec::new(),
        expect_lines: Vec::new(),
        forbid_lines: Vec::new(),
        send: Vec::new(),
        type_interval: KEY_INTERVAL,
        seal: None,
        origin: None,
        until: Vec::new(),
        qemu_args: Vec::new(),
        disk: None,
        secure_nv: None,
        marks: Vec::new(),
        interactive: false,
        gdb: false,
        firmware_dirs: false,
    };
    let (mut home, mut image) = (None, None);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--qemu-home" => home = Some(PathBuf::from(value()?)),
            "--image" => image = Some(PathBuf::from(value()?)),
            "--log" => o.log = Some(PathBuf::from(value()?)),
            "--timeout" => o.timeout = Duration::from_secs(value()?.parse().map_err(|_| "--timeout takes seconds")?),
            "--ram" => o.ram_mb = value()?.parse().map_err(|_| "--ram takes MiB")?,
            "--qemu-arg" => o.qemu_args.push(value()?),
            "--disk" => o.disk = Some(value()?),
            "--secure-nv" => o.secure_nv = Some(value()?),
            "--suite" => o.suite = Some(value()?),
            "--junit" => o.junit = Some(PathBuf::from(value()?)),
            "--expect" => o.expect.push(value()?),
            "--expect-line" => o.expect_lines.push(value()?),
            "--forbid-line" => o.forbid_lines.push(value()?),
            "--send-after" => {
                let marker = value().map_err(|_| "--send-after needs MARKER and TEXT")?;
                let text = value().map_err(|_| "--send-after needs MARKER and TEXT")?;
                o.send.push(Step::parse(&marker, &text)?);
            }
            "--type-interval" => {
                o.type_interval = Duration::from_millis(value()?.parse().map_err(|_| "--type-interval takes milliseconds")?)
            }
            "--seal" => o.seal = Some(value()?),
            "--origin" => o.origin = Some(value()?),
            "--until" => o.until.push(value()?),
            "--mark" => o.marks.push(value()?),
            "--interactive" => o.interactive = true,
            "--gdb" => o.gdb = true,
            "--firmware-dirs" => o.firmware_dirs = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    o.qemu_home = home.ok_or("--qemu-home is required")?;
    if o.firmware_dirs {
        return Ok(o);
    }
    o.image = image.ok_or("--image is required")?;
    if o.junit.is_some() && o.suite.is_none() {
        return Err("--junit needs --suite".into());
    }
    if o.gdb && !o.interactive {
        return Err("--gdb needs --interactive".into());
    }
    if o.interactive && !o.send.is_empty() {
        return Err("--send-after types into a headless run; with --interactive, type yourself".into());
    }
    if !o.interactive && o.log.is_none() {
        return Err("--log is required".into());
    }
    Ok(o)
}

fn main() {
    let opts = parse_args(std::env::args().skip(1)).unwrap_or_else(|problem| usage(&problem));
    let qemu = Qemu::prepare(&opts.qemu_home).unwrap_or_else(|e| {
        eprintln!("run-qemu: {e}");
        exit(2)
    });
    if opts.firmware_dirs {
        let e = qemu.firmware_dirs_command().exec();
        eprintln!("run-qemu: cannot start {}: {e}", qemu.binary().display());
        exit(2)
    }
    if !opts.image.is_file() {
        usage(&format!("no image at {}", opts.image.display()));
    }
    if let Some(disk) = opts.disk.as_deref().filter(|d| !std::path::Path::new(d).is_file()) {
        usage(&format!("no disk image at {disk} (make it first: the guest writes into it)"));
    }
    if let Some(nv) = opts.secure_nv.as_deref() {
        match std::fs::metadata(nv) {
            Ok(m) if m.len() == qemu_harness::qemu::FLASH_BANK_BYTES => {}
            Ok(m) => usage(&format!("{nv} is {} bytes; a flash bank's image must be exactly 64 MiB", m.len())),
            Err(e) => usage(&format!("no secure NV image at {nv}: {e}")),
        }
    }
    if opts.interactive {
        let mut command = qemu.command(&opts.image, opts.ram_mb, Console::Terminal, &opts.drives());
        if opts.gdb {
            command.args(["-s", "-S"]);
        }
        let e = command.args(&opts.qemu_args).exec();
        eprintln!("run-qemu: cannot start {}: {e}", qemu.binary().display());
        exit(2)
    }
    exit(run_headless(&opts, &qemu))
}

fn run_headless(opts: &Options, qemu: &Qemu) -> i32 {
    let log_path = opts.log.as_ref().unwrap_or_else(|| usage("--log is required"));
    if let Some(dir) = log_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut log = std::fs::File::create(log_path).unwrap_or_else(|e| {
        eprintln!("run-qemu: cannot write {}: {e}", log_path.display());
        exit(2)
    });

    let started = Instant::now();
    let mut marks = opts.marks.clone();
    let mut child = qemu
        .command(&opts.image, opts.ram_mb, Console::Pipe, &opts.drives())
        .args(&opts.qemu_args)
        .stdin(if opts.send.is_empty() { Stdio::null() } else { Stdio::piped() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("run-qemu: cannot start {}: {e}", qemu.binary().display());
            exit(2)
        });

    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        eprintln!("run-qemu: QEMU's output was not piped");
        exit(2)
    };
    let mut script = Script::new(opts.send.clone());
    let keyboard = child.stdin.take().map(|stdin| typist(stdin, opts.type_interval));
    let (lines_tx, lines) = mpsc::channel();
    forward_lines(stdout, Source::Guest, lines_tx.clone());
    forward_lines(stderr, Source::Qemu, lines_tx);

    let mut deadline = Instant::now() + opts.timeout;
    let expect = Expectations {
        lines: opts.expect.clone(),
        suite: opts.suite.is_some(),
        seal: opts.seal.clone(),
        origin: opts.origin.clone(),
        end_lines: opts.until.clone(),
        whole_lines: opts.expect_lines.clone(),
        forbidden_lines: opts.forbid_lines.clone(),
        typed: !script.is_empty(),
    };
    let mut judge = Judge::new(expect);
    judge.waiting_for(script.waiting_for());
    let mut suite_log = SuiteLog::default();
    let mut failing = false;
    let stop = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            // The kernel ends its lines with "\n\r": drop the stray "\r" lines.
            Ok((_, line)) if line.trim_matches(['\r', '\n']).is_empty() && line.starts_with('\r') => {}
            // QEMU's own messages are logged as QEMU's, never judged as the guest's.
            Ok((Source::Qemu, line)) => {
                let text = format!("run-qemu: qemu said: {}", line.trim_end());
                eprintln!("{text}");
                let _ = writeln!(log, "{text}");
            }
            Ok((Source::GuestPartial, line)) => {
                if let (Some(keys), Some(typed)) = (&keyboard, script.feed_partial(line.trim_end_matches('\r'))) {
                    let _ = writeln!(log, "run-qemu: typing {:?}", String::from_utf8_lossy(typed));
                    let _ = keys.send(typed.to_vec());
                    judge.waiting_for(script.waiting_for());
                }
            }
            Ok((Source::Guest, line)) => {
                let text = line.trim_matches(['\r', '\n']);
                println!("{text}");
                let _ = writeln!(log, "{text}");
                // Per-test records, for JUnit, come from trusted lines only.
                if let Some(trusted) = judge.trusted(text) {
                    suite_log.feed(trusted);
                }
                for mark in marks.iter().filter(|m| text.contains(m.as_str())) {
                    let _ = writeln!(log, "run-qemu: wall ms to '{mark}': {}", started.elapsed().as_millis());
                }
                marks.retain(|m| !text.contains(m.as_str()));
                if let (Some(keys), Some(typed)) = (&keyboard, script.feed(text)) {
                    let _ = writeln!(log, "run-qemu: typing {:?}", String::from_utf8_lossy(typed));
                    let _ = keys.send(typed.to_vec());
                    judge.waiting_for(script.waiting_for());
                }
                match judge.feed(text) {
                    Progress::Ended => break Stop::Ended,
                    // A failure report spans several lines (the kernel prints the
                    // fault, the thread and its stack): keep them in the log.
                    Progress::Failed if !failing => {
                        failing = true;
                        deadline = Instant::now() + FAILURE_GRACE;
                    }
                    _ => {}
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => break if failing { Stop::Ended } else { Stop::TimedOut },
            // Both readers end only when QEMU has closed its output.
            Err(mpsc::RecvTimeoutError::Disconnected) => break Stop::Exited,
        }
    };
    let _ = child.kill();
    let _ = child.wait();

    let verdict = judge.finish(stop);
    let _ = writeln!(log, "run-qemu: verdict: {verdict}");
    if let (Some(file), Some(suite)) = (&opts.junit, &opts.suite) {
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
            return 2;
        }
    }
    eprintln!("run-qemu: {}: {verdict} (log: {})", opts.image.display(), log_path.display());
    if verdict.passed() {
        0
    } else {
        1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Guest,
    /// The guest's line being written so far (no newline yet): for typing only.
    GuestPartial,
    Qemu,
}

/// A thread typing what it is sent into QEMU's serial input, one byte per
/// `interval`, in order.
fn typist(mut stdin: std::process::ChildStdin, interval: Duration) -> mpsc::Sender<Vec<u8>> {
    let (keys, texts) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for text in texts {
            for byte in text {
                // A key comes a moment after what prompted it, as a
                // person's would: the guest is then waiting for it.
                std::thread::sleep(interval);
                if stdin.write_all(&[byte]).and_then(|()| stdin.flush()).is_err() {
                    return;
                }
            }
        }
    });
    keys
}

/// Sends each line read from `from` (as bytes: a crashing system prints
/// anything) until it ends; for the guest, also the unfinished line each
/// time it grows (a prompt has no newline).
fn forward_lines(from: impl std::io::Read + Send + 'static, source: Source, to: mpsc::Sender<(Source, String)>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut line = Vec::new();
        loop {
            let chunk = match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(chunk) => chunk.to_vec(),
            };
            reader.consume(chunk.len());
            for &b in &chunk {
                line.push(b);
                if b == b'\n' {
                    if to.send((source, String::from_utf8_lossy(&line).into_owned())).is_err() {
                        return;
                    }
                    line.clear();
                }
            }
            if source == Source::Guest && !line.is_empty() {
                let partial = String::from_utf8_lossy(&line).into_owned();
                if to.send((Source::GuestPartial, partial)).is_err() {
                    return;
                }
            }
        }
        if !line.is_empty() {
            let _ = to.send((source, String::from_utf8_lossy(&line).into_owned()));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    const BASE: [&str; 6] = ["--qemu-home", "q", "--image", "i", "--log", "l"];

    #[test]
    fn send_after_steps_keep_their_order_and_decode_escapes() {
        let args = [&BASE[..], &["--send-after", "ready", r"one\n", "--expect-line", "a: b", "--send-after", "got", r"t\x77o"]].concat();
        let o = parse(&args).unwrap();
        assert_eq!(o.send, vec![Step { marker: "ready".into(), text: b"one\n".to_vec() }, Step { marker: "got".into(), text: b"two".to_vec() }]);
        assert_eq!(o.expect_lines, vec!["a: b".to_string()]);
        assert_eq!(o.type_interval, KEY_INTERVAL);
        let fast = parse(&[&BASE[..], &["--type-interval", "1"]].concat()).unwrap();
        assert_eq!(fast.type_interval, Duration::from_millis(1));
        assert!(parse(&[&BASE[..], &["--type-interval", "fast"]].concat()).unwrap_err().contains("milliseconds"));
    }

    #[test]
    fn bad_send_after_arguments_are_refused() {
        assert!(parse(&[&BASE[..], &["--send-after", "ready"]].concat()).unwrap_err().contains("MARKER and TEXT"));
        assert!(parse(&[&BASE[..], &["--send-after", "ready", r"\q"]].concat()).unwrap_err().contains("unknown escape"));
        assert!(parse(&[&BASE[..], &["--send-after", "", "x"]].concat()).unwrap_err().contains("non-empty MARKER"));
        let interactive = ["--qemu-home", "q", "--image", "i", "--interactive", "--send-after", "a", "b"];
        assert!(parse(&interactive).unwrap_err().contains("--interactive"));
    }

    #[test]
    fn interactive_still_needs_no_log_and_forbid_lines_collect() {
        let o = parse(&["--qemu-home", "q", "--image", "i", "--interactive"]).unwrap();
        assert!(o.interactive && o.log.is_none() && o.send.is_empty());
        let o = parse(&[&BASE[..], &["--forbid-line", "x: y", "--forbid-line", "z"]].concat()).unwrap();
        assert_eq!(o.forbid_lines, vec!["x: y".to_string(), "z".to_string()]);
        assert!(parse(&["--qemu-home", "q", "--image", "i"]).unwrap_err().contains("--log"));
        assert!(parse(&[&BASE[..], &["--bogus"]].concat()).unwrap_err().contains("unknown argument"));
        assert_eq!(parse(&[&BASE[..], &["--disk", "d.img"]].concat()).unwrap().disk.as_deref(), Some("d.img"));
        assert!(parse(&[&BASE[..], &["--disk"]].concat()).unwrap_err().contains("--disk needs a value"));
    }
}
