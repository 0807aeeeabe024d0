//! The shell: reads a line (echoing it, with backspace), runs a builtin or
//! a program of the boot filesystem in the foreground, and shows how a
//! program ended.
#![no_std]
#![no_main]

use libsystem::abi::{errno, proc, wait};
use libsystem::{bsd, exclaves, mach, print, println, Args};
use xnu_userland::parse_i64;

libsystem::entry!(main);

const PROMPT: &str = "xnu$ ";
const LINE_MAX: usize = 256;
const MAX_WORDS: usize = 16;

fn main(_: Args) -> i32 {
    let mut line = [0u8; LINE_MAX];
    let mut sensors = Sensors::default();
    loop {
        print!("{PROMPT}");
        let len = read_line(&mut line);
        let text = core::str::from_utf8(&line[..len]).unwrap_or("");
        let mut words = [""; MAX_WORDS];
        let mut n = 0;
        for w in text.split_ascii_whitespace().take(MAX_WORDS) {
            words[n] = w;
            n += 1;
        }
        if n > 0 {
            run(&words[..n], &mut sensors);
        }
    }
}

/// A line from the console, edited as typed; its length.
fn read_line(line: &mut [u8; LINE_MAX]) -> usize {
    let mut len = 0;
    let mut chunk = [0u8; 64];
    loop {
        let n = match bsd::read(0, &mut chunk) {
            Ok(n) => n,
            Err(_) => return len,
        };
        for &b in &chunk[..n.min(chunk.len())] {
            match b {
                b'\r' | b'\n' => {
                    println!();
                    return len;
                }
                // Backspace and DEL: rub the last character out.
                0x08 | 0x7f if len > 0 => {
                    len -= 1;
                    print!("\x08 \x08");
                }
                b' '..=b'~' if len < LINE_MAX => {
                    line[len] = b;
                    len += 1;
                    let _ = bsd::write(1, &[b]);
                }
                _ => {}
            }
        }
    }
}

fn run(words: &[&str], sensors: &mut Sensors) {
    match words[0] {
        "help" => help(),
        "ps" => ps(),
        "echo" => echo(&words[1..]),
        "kill" => kill(words),
        "sleep" => sleep(words),
        "uptime" => uptime(),
        "exclaves" => list_exclaves(),
        "call" => call(words),
        "buffer" => buffer(words),
        "sensor" => sensors.command(words),
        "indicator" => indicator(),
        "audio" => audio(words),
        "key" => key(words),
        "store" => store(words),
        "conclave" => conclave(words),
        name => spawn(name, words),
    }
}

fn help() {
    println!("builtins: help, ps, echo WORDS, kill PID, sleep MS, uptime, exclaves, call SERVICE [WORDS],");
    println!("  buffer read NAME [LEN], buffer write NAME TEXT, sensor start|stop|status mic|cam, indicator,");
    println!("  audio copy N, key derive ID, store put KEY VALUE, store get KEY, store rm KEY,");
    println!("  conclave list, conclave launch|stop|status NAME");
    println!("anything else runs the program of that name (try: hello a b)");
}

fn ps() {
    let mut tasks = [bsd::ProcInfo::default(); 16];
    let n = match bsd::proc_list(&mut tasks) {
        Ok(n) => n.min(tasks.len()),
        Err(e) => return println!("ps: errno {}", e.0),
    };
    println!("  PID  PPID STATE    SLOT NAME");
    for t in &tasks[..n] {
        let state = match t.state {
            proc::STATE_RUNNING => "running",
            proc::STATE_BLOCKED => "blocked",
            proc::STATE_ZOMBIE => "zombie",
            _ => "?",
        };
        if t.slot == u32::MAX {
            println!("{:>5} {:>5} {:<8}    - {}", t.pid, t.ppid, state, t.name());
        } else {
            println!("{:>5} {:>5} {:<8} {:>4} {}", t.pid, t.ppid, state, t.slot, t.name());
        }
    }
}

fn echo(words: &[&str]) {
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            print!(" ");
        }
        print!("{w}");
    }
    println!();
}

fn kill(words: &[&str]) {
    let Some(pid) = words.get(1).and_then(|w| parse_i64(w)) else {
        return println!("usage: kill PID");
    };
    match bsd::kill(pid, libsystem::abi::signal::SIGTERM) {
        Ok(()) => println!("killed {pid}"),
        Err(e) if e.0 == errno::ESRCH => println!("kill: no task {pid}"),
        Err(e) if e.0 == errno::EPERM => println!("kill: task {pid} may not be killed"),
        Err(e) => println!("kill: errno {}", e.0),
    }
}

fn sleep(words: &[&str]) {
    let Some(ms) = words.get(1).and_then(|w| parse_i64(w)).filter(|&ms| ms >= 0) else {
        return println!("usage: sleep MS");
    };
    if let Err(e) = mach::sleep_ms(ms as u64) {
        println!("sleep: kern_return {:#x}", e.0);
    }
}

fn uptime() {
    let ns = mach::now_ns();
    println!("up {}.{:03} s", ns / 1_000_000_000, ns / 1_000_000 % 1000);
}

/// The exclaves resource table, by domain.
fn list_exclaves() {
    let mut table = [exclaves::Resource::default(); 16];
    let n = match exclaves::list(&mut table) {
        Ok(n) => n.min(table.len()),
        Err(e) => return println!("exclaves: errno {} (not booted?)", e.0),
    };
    println!("DOMAIN     NAME         TYPE              ID  CONNECTED");
    for r in &table[..n] {
        let connected = if r.connected { "yes" } else { "no" };
        println!("{:<10} {:<12} {:<17} {:>2}  {connected}", r.domain(), r.name(), r.kind_name(), r.id);
    }
}

/// `call SERVICE [WORDS]`: hello's probe, or an echo of WORDS, through
/// LOOKUP_SERVICES and ENDPOINT_CALL.
fn call(words: &[&str]) {
    use tightbeam::echo::Echo;
    use tightbeam::hello::Hello;
    use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request};
    let Some(&service) = words.get(1) else { return println!("usage: call SERVICE [WORDS]") };
    let id = match exclaves::lookup(service) {
        Ok(id) => id,
        Err(e) => return println!("call: no service '{service}' here (kern_return {:#x})", e.0),
    };
    let mut text = [0u8; LINE_MAX];
    let mut len = 0;
    for (i, w) in words[2..].iter().enumerate() {
        let sep = usize::from(i > 0);
        if len + sep + w.len() > text.len() {
            break;
        }
        text[len..len + sep].fill(b' ');
        text[len + sep..len + sep + w.len()].copy_from_slice(w.as_bytes());
        len += sep + w.len();
    }
    let (request, method) = match service {
        "hello" => (Request::Hello(Hello), MethodId::Hello),
        _ => (Request::Echo(Echo { bytes: &text[..len] }), MethodId::Echo),
    };
    let mut message = [0u8; 512];
    if encode_request(&request, &mut message).is_err() {
        return println!("call: the request does not encode");
    }
    if let Err(e) = exclaves::endpoint_call(id, &mut message) {
        return println!("call: ENDPOINT_CALL failed: kern_return {:#x}", e.0);
    }
    let Ok(reply) = Received::copy_from(&message) else { return println!("call: no reply") };
    match decode_reply(&reply, method) {
        Ok(Ok(Reply::Hello(h))) => println!("{service}: value {:#x}, protocol {}", h.value, h.protocol),
        Ok(Ok(Reply::Echo(e))) => println!("{service}: {}", core::str::from_utf8(e.bytes).unwrap_or("?")),
        Ok(Err(code)) => println!("call: {service} refused: error {}", code.get()),
        _ => println!("call: {service}'s reply does not decode"),
    }
}

/// `buffer read NAME [LEN]` (up to 64 bytes from the start, in hex) or
/// `buffer write NAME TEXT` (TEXT at the start), through a handle made
/// for the one copy and deallocated after it.
fn buffer(words: &[&str]) {
    use libsystem::abi::exclaves::{BUFFER_PERM_READ, BUFFER_PERM_WRITE};
    const MAX: usize = 64;
    let (way, name) = match (words.get(1), words.get(2)) {
        (Some(&w @ ("read" | "write")), Some(&n)) => (w, n),
        _ => return println!("usage: buffer read NAME [LEN], buffer write NAME TEXT"),
    };
    let perm = if way == "read" { BUFFER_PERM_READ } else { BUFFER_PERM_WRITE };
    let handle = match exclaves::buffer_create(name, MAX as u64, perm) {
        Ok(h) => h,
        Err(e) => return println!("buffer: no {name} to {way} here (kern_return {:#x})", e.0),
    };
    let mut bytes = [0u8; MAX];
    if way == "read" {
        let len = words.get(3).and_then(|w| xnu_userland::parse_i64(w)).map_or(16, |n| n.clamp(1, MAX as i64) as usize);
        match exclaves::buffer_copyout(handle, &mut bytes[..len], (len as u64, 0), (0, 0)) {
            Ok(()) => {
                print!("{name}:");
                for b in &bytes[..len] {
                    print!(" {b:02x}");
                }
                println!();
            }
            Err(e) => println!("buffer: read failed: kern_return {:#x}", e.0),
        }
    } else {
        let text = words.get(3).copied().unwrap_or("");
        let len = text.len().min(MAX);
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        match exclaves::buffer_copyin(handle, &bytes[..len], (len as u64, 0), (0, 0)) {
            Ok(()) => println!("{name}: wrote {len} bytes"),
            Err(e) => println!("buffer: write failed: kern_return {:#x}", e.0),
        }
    }
    let _ = mach::port_deallocate(mach::task_self(), handle);
}

/// The shell's sensor handles, one per sensor, kept while it runs: a
/// handle's starts last as long as the handle.
#[derive(Default)]
struct Sensors {
    handles: [Option<u32>; 2],
}

const SENSORS: [&str; 2] = ["mic", "cam"];

fn status_name(status: u32) -> &'static str {
    use libsystem::abi::exclaves::*;
    match status {
        SENSOR_STATUS_ALLOWED => "ALLOWED",
        SENSOR_STATUS_DENIED => "DENIED",
        SENSOR_STATUS_CONTROL => "CONTROL",
        SENSOR_STATUS_PENDING => "PENDING",
        _ => "?",
    }
}

impl Sensors {
    /// `sensor start|stop|status mic|cam`.
    fn command(&mut self, words: &[&str]) {
        let usage = || println!("usage: sensor start|stop|status mic|cam");
        let (Some(&what), Some(i)) = (words.get(1), words.get(2).and_then(|n| SENSORS.iter().position(|s| s == n))) else {
            return usage();
        };
        let handle = match self.handles[i] {
            Some(h) => h,
            None => match exclaves::sensor_create(SENSORS[i]) {
                Ok(h) => *self.handles[i].insert(h),
                Err(e) => return println!("sensor: no {} here (kern_return {:#x})", SENSORS[i], e.0),
            },
        };
        let (result, done) = match what {
            "start" => (exclaves::sensor_start(handle), "started"),
            "stop" => (exclaves::sensor_stop(handle), "stopped"),
            "status" => (exclaves::sensor_status(handle), "is"),
            _ => return usage(),
        };
        match result {
            Ok(status) => println!("sensor: {} {done} ({})", SENSORS[i], status_name(status)),
            Err(e) => println!("sensor: {what} {} failed: kern_return {:#x}", SENSORS[i], e.0),
        }
    }
}

/// `indicator`: how long each sensor's last stop still keeps the privacy
/// indicator on (the controller's deadlines; XNU cannot see the indicator).
fn indicator() {
    let deadlines = match exclaves::min_on_time() {
        Ok(d) => d,
        Err(e) => return println!("indicator: no deadlines (kern_return {:#x})", e.0),
    };
    let now = mach::mach_absolute_time();
    let (numer, denom) = mach::mach_timebase_info().unwrap_or((1, 1));
    for (name, kind) in [("cam", 1), ("mic", 2)] {
        let d = deadlines[kind - 1];
        if d > now {
            let ms = u128::from(d - now) * u128::from(numer) / u128::from(denom.max(1)) / 1_000_000;
            println!("indicator: {name} keeps it on for {ms} ms more");
        } else {
            println!("indicator: {name} keeps it on for no minimum time");
        }
    }
}

/// `audio copy N`: the first N (up to 16) samples of the microphone's
/// audio, as the indicator controller lets them through (zeros unless the
/// microphone runs), and the microphone's status.
fn audio(words: &[&str]) {
    const MAX: usize = 16;
    let n = match (words.get(1), words.get(2).and_then(|w| xnu_userland::parse_i64(w))) {
        (Some(&"copy"), Some(n)) if n > 0 => (n as usize).min(MAX),
        _ => return println!("usage: audio copy N"),
    };
    let handle = match exclaves::audio_create("mic_audio", 0x1000) {
        Ok(h) => h,
        Err(e) => return println!("audio: no microphone audio here (kern_return {:#x})", e.0),
    };
    let mut bytes = [0u8; 2 * MAX];
    match exclaves::audio_copyout(handle, &mut bytes[..2 * n], (2 * n as u64, 0), (0, 0)) {
        Ok(status) => {
            print!("audio ({}):", status_name(status));
            for pair in bytes[..2 * n].chunks_exact(2) {
                print!(" {}", i16::from_le_bytes([pair[0], pair[1]]));
            }
            println!();
        }
        Err(e) => println!("audio: copy failed: kern_return {:#x}", e.0),
    }
    let _ = mach::port_deallocate(mach::task_self(), handle);
}

/// `key derive ID`: the key service's key for identity ID, in hex, or its
/// refusal (an identity outside its policy).
fn key(words: &[&str]) {
    use tightbeam::keys::Derive;
    use tightbeam::{decode_reply, encode_request, MethodId, Received, Reply, Request};
    let (Some(&"derive"), Some(&identity)) = (words.get(1), words.get(2)) else { return println!("usage: key derive ID") };
    let id = match exclaves::lookup("keys") {
        Ok(id) => id,
        Err(e) => return println!("key: no key service here (kern_return {:#x})", e.0),
    };
    let mut m = [0u8; 512];
    if encode_request(&Request::Derive(Derive { identity: identity.as_bytes() }), &mut m).is_err() {
        return println!("key: an identity is 1 to 64 bytes");
    }
    if let Err(e) = exclaves::endpoint_call(id, &mut m) {
        return println!("key: ENDPOINT_CALL failed: kern_return {:#x}", e.0);
    }
    let Ok(reply) = Received::copy_from(&m) else { return println!("key: no reply") };
    match decode_reply(&reply, MethodId::Derive) {
        Ok(Ok(Reply::Key(k))) => {
            print!("key {identity}: ");
            for b in k.key {
                print!("{b:02x}");
            }
            println!();
        }
        Ok(Err(code)) => println!("key: {identity} refused: error {:#x}", code.get()),
        _ => println!("key: the reply does not decode"),
    }
}

/// `store put KEY VALUE...`, `store get KEY`, `store rm KEY`: secure
/// storage (the value is the rest of the line, its words joined by spaces).
fn store(words: &[&str]) {
    use xnu_userland::store::{Store, VALUE_MAX};
    let usage = "usage: store put KEY VALUE | store get KEY | store rm KEY";
    let (Some(&op), Some(&key)) = (words.get(1), words.get(2)) else { return println!("{usage}") };
    let store = match Store::open() {
        Ok(s) => s,
        Err(e) => return println!("store: {}", e.describe()),
    };
    match op {
        "put" => {
            let mut value = [0u8; 256];
            let mut len = 0;
            for (i, w) in words[3..].iter().enumerate() {
                let sep: &[u8] = if i > 0 { b" " } else { b"" };
                for part in [sep, w.as_bytes()] {
                    let Some(room) = value.get_mut(len..len + part.len()) else { return println!("store: the value is too long for a line") };
                    room.copy_from_slice(part);
                    len += part.len();
                }
            }
            match store.put(key.as_bytes(), &value[..len]) {
                Ok(version) => println!("store: {key} stored (version {version})"),
                Err(e) => println!("store: {key}: {}", e.describe()),
            }
        }
        "get" => {
            let mut value = [0u8; VALUE_MAX];
            match store.get(key.as_bytes(), &mut value) {
                Ok((len, version)) => match core::str::from_utf8(&value[..len]) {
                    Ok(text) => println!("{key} = {text} (version {version})"),
                    Err(_) => println!("{key} = {len} bytes, not text (version {version})"),
                },
                Err(e) => println!("store: {key}: {}", e.describe()),
            }
        }
        "rm" => match store.remove(key.as_bytes()) {
            Ok(_) => println!("store: {key} removed"),
            Err(e) => println!("store: {key}: {}", e.describe()),
        },
        _ => println!("{usage}"),
    }
}

/// `conclave list`, `conclave launch|stop|status NAME`: the conclaves of
/// the table. `launch` attaches a `conclavehost` to it, which launches it
/// and stays; `stop` stops it and ends that host.
fn conclave(words: &[&str]) {
    use libsystem::abi::conclave_ctl::{STATUS, STOP};
    let usage = "usage: conclave list | conclave launch|stop|status NAME";
    let mut table = [exclaves::Resource::default(); exclaves::LIST_MAX];
    let n = exclaves::list(&mut table).unwrap_or(0).min(table.len());
    let conclaves = table[..n].iter().filter(|r| r.kind_name() == "CONCLAVE_MANAGER");
    let state = |id: u32| match exclaves::conclave_ctl(STATUS, id) {
        Ok(s) => {
            let name = tightbeam::conclave::State::from_u32(s.state).map_or("?", |st| match st {
                tightbeam::conclave::State::NotBooted => "not booted",
                tightbeam::conclave::State::Running => "running",
                tightbeam::conclave::State::Suspended => "suspended",
                tightbeam::conclave::State::Exited => "exited",
                tightbeam::conclave::State::Crashed => "crashed",
                tightbeam::conclave::State::Killed => "killed",
            });
            println!("  {name}, {} launches, {} crashes, host pid {}", s.launches, s.crashes, s.owner);
        }
        Err(e) => println!("  no status (errno {})", e.0),
    };
    match (words.get(1).copied(), words.get(2).copied()) {
        (Some("list"), None) => {
            for r in conclaves {
                println!("{}:", r.name());
                state(r.id as u32);
            }
        }
        (Some(op @ ("launch" | "stop" | "status")), Some(name)) => {
            // NAME or conclave.NAME.
            let Some(r) = conclaves.clone().find(|r| r.name() == name || r.name().strip_prefix("conclave.") == Some(name)) else {
                return println!("conclave: no conclave {name} (try conclave list)");
            };
            let id = r.id as u32;
            match op {
                "launch" => {
                    let attr = libsystem::abi::spawn::SpawnAttr {
                        version: libsystem::abi::spawn::ATTR_VERSION,
                        flags: 0,
                        conclave_id: id,
                        bootstrap_port: 0,
                    };
                    match bsd::posix_spawn("conclavehost", &["conclavehost", r.name()], Some(&attr)) {
                        Ok(pid) => println!("conclave: {} attached to conclavehost, pid {pid}", r.name()),
                        Err(e) => println!("conclave: {} cannot be attached (errno {})", r.name(), e.0),
                    }
                }
                "stop" => match exclaves::conclave_ctl(STOP, id) {
                    Ok(s) => {
                        println!("conclave: {} stopped", r.name());
                        if s.owner != 0 {
                            let _ = bsd::kill(i64::from(s.owner), libsystem::abi::signal::SIGKILL);
                            let _ = bsd::wait4(i64::from(s.owner), 0);
                        }
                    }
                    Err(e) => println!("conclave: {} cannot be stopped (errno {})", r.name(), e.0),
                },
                _ => {
                    println!("{}:", r.name());
                    state(id);
                }
            }
        }
        _ => println!("{usage}"),
    }
}

fn spawn(name: &str, words: &[&str]) {
    let pid = match bsd::posix_spawn(name, words, None) {
        Ok(pid) => pid,
        Err(e) if e.0 == errno::ENOENT => return println!("sh: {name}: command not found (try help)"),
        Err(e) if e.0 == errno::EAGAIN => return println!("sh: {name}: no free task slot"),
        Err(e) => return println!("sh: {name}: errno {}", e.0),
    };
    match bsd::wait4(pid as i64, 0) {
        Ok((_, status)) if wait::is_exited(status) => println!("[{name} exited with status {}]", wait::exit_code(status)),
        Ok((_, status)) => println!("[{name} killed by signal {}]", wait::term_signal(status)),
        Err(e) => println!("sh: wait4: errno {}", e.0),
    }
}
