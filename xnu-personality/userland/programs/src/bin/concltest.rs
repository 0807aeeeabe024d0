//! The CONCL suite: the demo conclave's lifecycle from XNU's tasks. Each
//! test runs in a task of its own, which attaches a host task (this
//! program's `host` modes) to the conclave and judges what the host and
//! the conclave's manager report; the host is the task the conclave serves.
#![no_std]
#![no_main]

use libsystem::abi::conclave_ctl::{RESUME, STATUS, STOP, SUSPEND};
use libsystem::abi::errno::{EBUSY, EINVAL, ENOENT, EPERM};
use libsystem::abi::kern::*;
use libsystem::abi::spawn::{SpawnAttr, ATTR_VERSION};
use libsystem::abi::wait;
use libsystem::exclaves::{self, ConclaveStatus};
use libsystem::mach::KernError;
use libsystem::{bsd, println, Args, Errno};
use tightbeam::conclave::{Control, State};
use tightbeam::{decode_reply, encode_request, Received, Reply, Request, MESSAGE_BYTES};
use xnu_userland::{ensure, run_case, run_suite_in_tasks, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("CONCL0001", an_unattached_task_reaches_nothing),
    ("CONCL0002", attaching_needs_both_entitlements),
    ("CONCL0003", one_task_at_a_time),
    ("CONCL0004", launch_runs_it_and_launching_twice_fails),
    ("CONCL0005", its_services_are_its_hosts_alone),
    ("CONCL0006", suspend_resume_stop_and_their_errors),
    ("CONCL0007", its_hosts_death_stops_and_detaches_it),
    ("CONCL0008", a_crash_is_contained_and_reported),
    ("CONCL0009", a_relaunch_has_clean_memory),
    ("CONCL0010", the_stop_upcall_kills_the_host),
    ("CONCL0011", a_crash_is_an_event_for_its_host),
    ("CONCL0012", a_hundred_crashes),
];

/// The demo conclave's domain and its service's name there.
const CONCLAVE: &str = "conclave.demo";
const SERVICE: &str = "demo";
/// The demo service's id in its domain (manifests/conclave.demo.toml):
/// none in darwin or kernel has it.
const SERVICE_ID: u64 = 20;
/// The conclave's events (its NOTIFICATION): a crash is bit 0.
const EVENTS: &str = "events";
const CRASH_EVENT: u64 = 1 << tightbeam::conclave::EVENT_CRASHED;

fn main(args: Args) -> i32 {
    match (args.get(1), args.get(2)) {
        (Some("case"), Some(name)) => run_case(TESTS, name),
        (Some("host"), Some(plan)) => host(plan),
        (Some("probe"), _) => probe(),
        _ => run_suite_in_tasks("concl", "concltest", TESTS),
    }
}

/// The demo conclave's id (its CONCLAVE_MANAGER's, in the kernel domain).
fn conclave_id() -> Result<u32, &'static str> {
    let mut table = [exclaves::Resource::default(); exclaves::LIST_MAX];
    let n = exclaves::list(&mut table).map_err(|_| "the table did not list")?;
    table[..n.min(table.len())]
        .iter()
        .find(|r| r.domain() == "kernel" && r.name() == CONCLAVE && r.kind_name() == "CONCLAVE_MANAGER")
        .map(|r| r.id as u32)
        .ok_or("no conclave.demo manager in the table")
}

fn status() -> Result<ConclaveStatus, &'static str> {
    exclaves::conclave_ctl(STATUS, conclave_id()?).map_err(|_| "the conclave's status did not come")
}

fn state(s: &ConclaveStatus) -> Option<State> {
    State::from_u32(s.state)
}

/// Spawns `concltest host PLAN` attached to conclave `id`: its pid.
fn spawn_host(id: u32, plan: &str) -> Result<u64, Errno> {
    let attr = SpawnAttr { version: ATTR_VERSION, flags: 0, conclave_id: id, bootstrap_port: 0 };
    bsd::posix_spawn("concltest", &["concltest", "host", plan], Some(&attr))
}

/// A host's end: its wait status.
fn reap(pid: u64) -> Result<u32, &'static str> {
    bsd::wait4(pid as i64, 0).map(|(_, s)| s).map_err(|_| "wait4 failed")
}

/// Runs a host with `plan` to its end: whether it exited 0 (its line says
/// why not).
fn run_host(plan: &str) -> Outcome {
    let pid = spawn_host(conclave_id()?, plan).map_err(|_| "the host did not spawn")?;
    let status = reap(pid)?;
    ensure!(wait::is_exited(status) && wait::exit_code(status) == 0, "the host failed its plan (its line says why)");
    Ok(())
}

/// One call of the demo service: its reply, or the ENDPOINT_CALL's failure.
fn demo(request: Request<'_>) -> Result<Result<Reply<'static>, KernError>, &'static str> {
    let id = exclaves::lookup(SERVICE).map_err(|_| "the demo service is not found")?;
    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&request, &mut m).map_err(|_| "encode failed")?;
    if let Err(e) = exclaves::endpoint_call(id, &mut m) {
        return Ok(Err(e));
    }
    let r = Received::copy_from(&m).map_err(|_| "not a message")?;
    match decode_reply(&r, request.method()) {
        Ok(Ok(Reply::Served(s))) => Ok(Ok(Reply::Served(s))),
        Ok(Ok(Reply::Done(d))) => Ok(Ok(Reply::Done(d))),
        _ => Err("the demo's reply does not decode"),
    }
}

/// The demo's call count, which its launch starts again from 0.
fn count() -> Result<u64, &'static str> {
    match demo(Request::DemoCount(Control))? {
        Ok(Reply::Served(s)) => Ok(s.calls),
        _ => Err("a count was not answered"),
    }
}

/// The host's plans, each its exit code: 0, or it prints why.
fn host(plan: &str) -> i32 {
    let run = || -> Outcome {
        match plan {
            // Waits to be stopped or killed.
            "idle" => loop {
                let _ = libsystem::mach::sleep_ms(1000);
            },
            "launch" => exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed"),
            "count-around" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                ensure!(count()? == 1, "the first call was not 1");
                // The other task calls meanwhile.
                let _ = libsystem::mach::sleep_ms(500);
                ensure!(count()? == 2, "a call not the host's reached the conclave");
                Ok(())
            }
            "launch-idle" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                loop {
                    let _ = libsystem::mach::sleep_ms(1000);
                }
            }
            "count3" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                ensure!(exclaves::launch_conclave() == Err(KernError(KERN_FAILURE)), "a second launch was not KERN_FAILURE");
                for want in 1..=3 {
                    ensure!(count()? == want, "the calls were not counted 1, 2, 3 from the launch");
                }
                Ok(())
            }
            "crash" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                ensure!(count()? == 1, "the first call was not 1");
                ensure!(demo(Request::DemoCrash(Control))? == Err(KernError(KERN_FAILURE)), "a call the conclave crashed in did not fail");
                ensure!(demo(Request::DemoCount(Control))? == Err(KernError(KERN_FAILURE)), "a crashed conclave was called");
                crash_info_is_the_fault()?;
                exclaves::launch_conclave().map_err(|_| "the relaunch failed")?;
                ensure!(count()? == 1, "a relaunch kept the memory of the crashed run");
                Ok(())
            }
            "fresh" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                ensure!(count()? == 1 && count()? == 2, "the calls were not counted");
                exclaves::conclave_ctl(STOP, 0).map_err(|_| "the stop failed")?;
                exclaves::launch_conclave().map_err(|_| "the relaunch failed")?;
                ensure!(count()? == 1, "a relaunch kept the memory of the stopped run");
                Ok(())
            }
            "stophost" => {
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                let _ = demo(Request::DemoStopHost(Control));
                // The stop comes as the manager's notification reaches XNU.
                loop {
                    let _ = libsystem::mach::sleep_ms(1000);
                }
            }
            "event" => {
                let events = exclaves::notification_lookup(EVENTS).map_err(|_| "the conclave's events are not found")?;
                exclaves::launch_conclave().map_err(|_| "LAUNCH_CONCLAVE failed")?;
                let _ = demo(Request::DemoCrash(Control))?;
                ensure!(exclaves::notification_wait(events, CRASH_EVENT, 2000) == Ok(CRASH_EVENT), "no crash event reached the host");
                Ok(())
            }
            "hundred" => {
                for _ in 0..100 {
                    exclaves::launch_conclave().map_err(|_| "a relaunch failed")?;
                    ensure!(demo(Request::DemoCrash(Control))? == Err(KernError(KERN_FAILURE)), "a crash call did not fail");
                }
                exclaves::launch_conclave().map_err(|_| "the last relaunch failed")?;
                ensure!(count()? == 1, "the conclave did not serve after a hundred crashes");
                Ok(())
            }
            _ => Err("no such plan"),
        }
    };
    match run() {
        Ok(()) => 0,
        Err(why) => {
            println!("concltest host {plan}: {why}");
            1
        }
    }
}

/// The crash page of the host's conclave: the demo's crash is a read of
/// address 0x8 from its code, and the registers follow with that pc.
fn crash_info_is_the_fault() -> Outcome {
    use tightbeam::conclave::crash_page;
    let mut page = [0u8; crash_page::BYTES];
    let n = exclaves::conclave_crash_info(0, &mut page).map_err(|_| "no crash info for the host")?;
    let word = |at: usize| u64::from_le_bytes([page[at], page[at + 1], page[at + 2], page[at + 3], page[at + 4], page[at + 5], page[at + 6], page[at + 7]]);
    let (pc, addr) = (word(8), word(16));
    ensure!(n >= crash_page::STACK_AT, "the crash info holds no registers");
    ensure!(addr == 0x8, "the crash info's fault address is not the demo's 0x8");
    let text = libsystem::abi::layout::TEXT;
    ensure!(pc >= text.base && pc < text.base + text.size, "the crash info's pc is not in the conclave's code");
    ensure!(word(crash_page::REGISTERS_AT) == pc, "the registers do not start with the fault's pc");
    Ok(())
}

/// CONCL0001: a task attached to no conclave (`concltest probe`, the
/// attacker) tries to launch, stop and read the demo conclave; this task
/// judges by the manager's status that nothing happened to it.
fn an_unattached_task_reaches_nothing() -> Outcome {
    let before = status()?;
    ensure!(before.owner == 0, "the conclave has an owner before any test attached one");
    let status_word = xnu_userland::spawn_wait("concltest", &["concltest", "probe"])?;
    ensure!(wait::is_exited(status_word) && wait::exit_code(status_word) == 0, "an unattached task was let do something (its line says what)");
    let after = status()?;
    ensure!(after == before, "the conclave changed under a task attached to none");
    ensure!(exclaves::conclave_ctl(STATUS, 0x7777) == Err(Errno(ENOENT)), "an unknown conclave has a status");
    Ok(())
}

/// `concltest probe`: every way to reach the demo conclave without being
/// attached to it; 0 if each was refused as it should be.
fn probe() -> i32 {
    let run = || -> Outcome {
        let id = conclave_id()?;
        ensure!(exclaves::launch_conclave() == Err(KernError(KERN_INVALID_ARGUMENT)), "an unattached task launched a conclave");
        for op in [SUSPEND, RESUME, STOP] {
            ensure!(exclaves::conclave_ctl(op, id) == Err(Errno(EPERM)), "an unattached task controlled a conclave");
        }
        ensure!(exclaves::conclave_ctl(STATUS, 0) == Err(Errno(ENOENT)), "an unattached task has a conclave of its own");
        ensure!(exclaves::conclave_crash_info(id, &mut [0u8; 64]) == Err(Errno(EPERM)), "an unattached task read the crash info");
        Ok(())
    };
    match run() {
        Ok(()) => 0,
        Err(why) => {
            println!("concltest probe: {why}");
            1
        }
    }
}

fn attaching_needs_both_entitlements() -> Outcome {
    let id = conclave_id()?;
    // hello may not host a conclave.
    let attr = SpawnAttr { version: ATTR_VERSION, flags: 0, conclave_id: id, bootstrap_port: 0 };
    ensure!(bsd::posix_spawn("hello", &["hello"], Some(&attr)) == Err(Errno(EPERM)), "a program not entitled to host was attached");
    // testchild may not attach one (its mode tries, and exits with the errno).
    let status = xnu_userland::spawn_wait("testchild", &["testchild", "attach", "concltest"])?;
    ensure!(wait::is_exited(status) && u64::from(wait::exit_code(status)) == 100 + EPERM, "a task not entitled to attach did");
    let attr = SpawnAttr { conclave_id: 0x7777, ..attr };
    ensure!(bsd::posix_spawn("concltest", &["concltest", "host", "launch"], Some(&attr)) == Err(Errno(ENOENT)), "an unknown conclave was attached");
    Ok(())
}

fn one_task_at_a_time() -> Outcome {
    let id = conclave_id()?;
    let first = spawn_host(id, "idle").map_err(|_| "the first host did not spawn")?;
    ensure!(status()?.owner == first as u32, "the first host is not the owner");
    ensure!(spawn_host(id, "idle") == Err(Errno(EBUSY)), "a second task was attached");
    bsd::kill(first as i64, libsystem::abi::signal::SIGKILL).map_err(|_| "kill failed")?;
    reap(first)?;
    ensure!(status()?.owner == 0, "the conclave kept its dead host");
    run_host("launch")
}

fn launch_runs_it_and_launching_twice_fails() -> Outcome {
    let before = status()?.launches;
    run_host("count3")?;
    ensure!(status()?.launches == before + 1, "the launch was not counted once");
    Ok(())
}

/// CONCL0005: this task, attached to nothing, looks up and calls the demo
/// conclave's service while another task hosts it; the host judges that
/// no call reached the conclave (its count goes 1, then 2).
fn its_services_are_its_hosts_alone() -> Outcome {
    let mut m = [0u8; MESSAGE_BYTES];
    encode_request(&Request::DemoCount(Control), &mut m).map_err(|_| "encode failed")?;
    let host = spawn_host(conclave_id()?, "count-around").map_err(|_| "the host did not spawn")?;
    let tried = (|| -> Outcome {
        running()?;
        ensure!(exclaves::lookup(SERVICE) == Err(KernError(KERN_NOT_FOUND)), "a task found the service of another's conclave");
        for _ in 0..3 {
            ensure!(exclaves::endpoint_call(SERVICE_ID, &mut m) == Err(KernError(KERN_INVALID_ARGUMENT)), "a task called the service of another's conclave");
        }
        Ok(())
    })();
    let status_word = reap(host)?;
    tried?;
    ensure!(wait::is_exited(status_word) && wait::exit_code(status_word) == 0, "the host's count shows a call that was not its own");
    Ok(())
}

/// Until the demo conclave runs (a host launched it).
fn running() -> Outcome {
    for _ in 0..100 {
        if state(&status()?) == Some(State::Running) {
            return Ok(());
        }
        let _ = libsystem::mach::sleep_ms(10);
    }
    Err("the host's launch did not run the conclave")
}

fn suspend_resume_stop_and_their_errors() -> Outcome {
    let id = conclave_id()?;
    // The spawner controls the conclave it attached; its host idles.
    let host = spawn_host(id, "launch-idle").map_err(|_| "the host did not spawn")?;
    let outcome = (|| -> Outcome {
        running()?;
        ensure!(exclaves::conclave_ctl(RESUME, id) == Err(Errno(EINVAL)), "a running conclave was resumed");
        let s = exclaves::conclave_ctl(SUSPEND, id).map_err(|_| "the suspend failed")?;
        ensure!(state(&s) == Some(State::Suspended), "a suspend did not suspend");
        ensure!(exclaves::conclave_ctl(SUSPEND, id) == Err(Errno(EINVAL)), "a suspended conclave was suspended again");
        let s = exclaves::conclave_ctl(RESUME, id).map_err(|_| "the resume failed")?;
        ensure!(state(&s) == Some(State::Running), "a resume did not run it");
        let s = exclaves::conclave_ctl(STOP, id).map_err(|_| "the stop failed")?;
        ensure!(state(&s) == Some(State::Killed), "a stop did not stop it");
        ensure!(exclaves::conclave_ctl(STOP, id) == Err(Errno(EINVAL)), "a stopped conclave was stopped again");
        ensure!(exclaves::conclave_ctl(SUSPEND, id) == Err(Errno(EINVAL)), "a stopped conclave was suspended");
        Ok(())
    })();
    bsd::kill(host as i64, libsystem::abi::signal::SIGKILL).map_err(|_| "kill failed")?;
    reap(host)?;
    outcome
}

fn its_hosts_death_stops_and_detaches_it() -> Outcome {
    run_host("launch")?;
    let s = status()?;
    ensure!(state(&s) == Some(State::Killed) && s.owner == 0, "a dead host's conclave was not stopped and detached");
    run_host("launch")
}

fn a_crash_is_contained_and_reported() -> Outcome {
    let before = status()?.crashes;
    run_host("crash")?;
    let s = status()?;
    ensure!(s.crashes == before + 1, "the crash was not counted");
    // The echo exclave, and XNU, serve on.
    ensure!(exclaves::lookup("echo").is_ok(), "XNU stopped answering lookups");
    Ok(())
}

fn a_relaunch_has_clean_memory() -> Outcome {
    run_host("fresh")
}

fn the_stop_upcall_kills_the_host() -> Outcome {
    let before = status()?.stop_requests;
    let pid = spawn_host(conclave_id()?, "stophost").map_err(|_| "the host did not spawn")?;
    let status_word = reap(pid)?;
    ensure!(!wait::is_exited(status_word) && wait::term_signal(status_word) == libsystem::abi::signal::SIGKILL, "the host was not killed");
    ensure!(status()?.stop_requests == before + 1, "the stop upcall was not counted");
    Ok(())
}

fn a_crash_is_an_event_for_its_host() -> Outcome {
    run_host("event")
}

fn a_hundred_crashes() -> Outcome {
    let before = status()?.crashes;
    run_host("hundred")?;
    ensure!(status()?.crashes == before + 100, "not every crash was counted");
    Ok(())
}
