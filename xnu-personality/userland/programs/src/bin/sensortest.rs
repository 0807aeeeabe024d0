//! The SENSOR suite: SENSOR_CREATE, START, STOP, STATUS and MIN_ON_TIME
//! against the indicator controller exclave, which alone holds the
//! sensors' state and the indicator. What the suite can see of the
//! indicator is the controller's minimum-on-time deadlines (this program is
//! entitled to them): 0 while a sensor runs or once the time is out, the
//! last stop plus 3.1 s in between. Audio copies (AUDIO_BUFFER_CREATE and
//! COPYOUT) are arbitrated by the same controller: the simulated
//! microphone's waveform while it runs, zeros otherwise. Each test runs in
//! a task of its own.
#![no_std]
#![no_main]

use libsystem::abi::exclaves::*;
use libsystem::abi::kern::*;
use libsystem::abi::port::{MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE};
use libsystem::mach::{self, KernError, Message};
use libsystem::{exclaves, Args};
use tightbeam::indicator::sample;
use xnu_userland::{ensure, run_case, run_suite_in_tasks, spawn_wait, Outcome, Test};

libsystem::entry!(main);

const TESTS: &[Test] = &[
    ("SENSOR0001", create_and_its_errors),
    ("SENSOR0002", start_status_stop),
    ("SENSOR0003", a_stop_needs_a_start),
    ("SENSOR0004", starts_are_counted_across_tasks),
    ("SENSOR0005", the_minimum_on_time_in_real_time),
    ("SENSOR0006", a_task_that_dies_holding_a_start),
    ("SENSOR0007", a_deallocated_handle_stops_its_starts),
    ("SENSOR0008", handles_of_the_wrong_kind),
    ("SENSOR0009", min_on_time_needs_its_entitlement_and_version),
    ("SENSOR0010", sensor_handles_stay_in_their_task),
    ("SENSOR0011", audio_is_zeros_without_a_start),
    ("SENSOR0012", audio_is_the_waveform_while_the_microphone_runs),
    ("SENSOR0013", audio_handles_and_their_errors),
    ("SENSOR0014", notification_lookup_and_wait_errors),
    ("SENSOR0015", sensor_events_reach_a_waiting_task),
    ("SENSOR0016", a_blocked_waiter_wakes_and_events_are_per_handle),
    ("SENSOR0017", a_dead_tasks_handles_name_nothing),
];

/// The event bits of `sensor_events` (tightbeam::indicator).
const CAM_EVENT: u64 = 1 << (CAM - 1);
const MIC_EVENT: u64 = 1 << (MIC - 1);
const INDICATOR_EVENT: u64 = 1 << tightbeam::indicator::EVENT_INDICATOR;

/// Kind numbers (index + 1 in the deadlines).
const CAM: usize = 1;
const MIC: usize = 2;

fn main(args: Args) -> i32 {
    match (args.get(1), args.get(2)) {
        (Some("case"), Some(name)) => run_case(TESTS, name),
        (Some("hold"), Some(sensor)) => hold(sensor, false),
        (Some("startstop"), Some(sensor)) => hold(sensor, true),
        (Some("leave"), _) => leave(),
        (Some("later"), Some(sensor)) => {
            let _ = mach::sleep_ms(300);
            hold(sensor, true)
        }
        _ => run_suite_in_tasks("sensor", "sensortest", TESTS),
    }
}

/// `sensortest hold|startstop SENSOR`: starts it, stops it only for
/// `startstop`, and exits (0, or the kern_return that failed).
fn hold(sensor: &str, stop: bool) -> i32 {
    let run = || -> Result<(), KernError> {
        let h = exclaves::sensor_create(sensor)?;
        exclaves::sensor_start(h)?;
        if stop {
            exclaves::sensor_stop(h)?;
        }
        Ok(())
    };
    run().err().map_or(0, |e| e.0 as i32)
}

fn open(name: &str) -> Result<u32, &'static str> {
    exclaves::sensor_create(name).map_err(|_| "SENSOR_CREATE failed")
}

fn deadline(kind: usize) -> Result<u64, &'static str> {
    Ok(exclaves::min_on_time().map_err(|_| "SENSOR_MIN_ON_TIME failed")?[kind - 1])
}

fn wait_until(t: u64) -> Outcome {
    mach::mach_wait_until(t).map_err(|_| "mach_wait_until failed")
}

/// `ms` in `mach_absolute_time` units.
fn ticks(ms: u64) -> u64 {
    let (numer, denom) = mach::mach_timebase_info().unwrap_or((1, 1));
    (u128::from(ms) * 1_000_000 * u128::from(denom) / u128::from(numer.max(1))) as u64
}

fn create_and_its_errors() -> Outcome {
    ensure!(open("mic")? != open("mic")?, "two creates gave one handle");
    open("cam")?;
    ensure!(exclaves::sensor_create("nosuch") == Err(KernError(KERN_NOT_FOUND)), "an unknown sensor was found");
    ensure!(exclaves::sensor_create("echo") == Err(KernError(KERN_NOT_FOUND)), "a service was taken for a sensor");
    ensure!(exclaves::sensor_create("inbound") == Err(KernError(KERN_NOT_FOUND)), "a buffer was taken for a sensor");
    let mut handle = 0u32;
    let out = &mut handle as *mut u32 as u64;
    let raw = |name: u64, out: u64| exclaves::ctl_all([0, op_word(SENSOR_CREATE), name, out, 0, 0, 0]);
    ensure!(raw(0, out) == KERN_INVALID_ARGUMENT, "a null name was taken");
    ensure!(raw(0x10, out) == KERN_INVALID_ARGUMENT, "a name at a bad address was taken");
    ensure!(raw(c"mic".as_ptr() as u64, 0x10) == KERN_INVALID_ADDRESS, "a handle went to a bad address");
    ensure!(handle == 0, "a refused create wrote a handle");
    Ok(())
}

fn start_status_stop() -> Outcome {
    let mic = open("mic")?;
    ensure!(exclaves::sensor_status(mic) == Ok(SENSOR_STATUS_ALLOWED), "the microphone's status is not ALLOWED");
    ensure!(exclaves::sensor_start(mic) == Ok(SENSOR_STATUS_ALLOWED), "a start did not report ALLOWED");
    ensure!(deadline(MIC)? == 0, "a running microphone has a deadline");
    ensure!(exclaves::sensor_start(mic) == Ok(SENSOR_STATUS_ALLOWED), "a second start did not report ALLOWED");
    ensure!(exclaves::sensor_stop(mic) == Ok(SENSOR_STATUS_ALLOWED), "a stop failed");
    ensure!(deadline(MIC)? == 0, "one of two starts stopped, and a deadline already");
    ensure!(exclaves::sensor_stop(mic) == Ok(SENSOR_STATUS_ALLOWED), "the last stop failed");
    ensure!(deadline(MIC)? > mach::mach_absolute_time(), "the last stop left no deadline ahead");
    Ok(())
}

fn a_stop_needs_a_start() -> Outcome {
    let cam = open("cam")?;
    ensure!(exclaves::sensor_stop(cam) == Err(KernError(KERN_INVALID_ARGUMENT)), "a stop without a start was not KERN_INVALID_ARGUMENT");
    // Another handle's start is not this one's.
    let other = open("cam")?;
    exclaves::sensor_start(other).map_err(|_| "a start failed")?;
    ensure!(exclaves::sensor_stop(cam) == Err(KernError(KERN_INVALID_ARGUMENT)), "a stop took another handle's start");
    exclaves::sensor_stop(other).map_err(|_| "the right stop failed")?;
    Ok(())
}

fn starts_are_counted_across_tasks() -> Outcome {
    let mic = open("mic")?;
    exclaves::sensor_start(mic).map_err(|_| "a start failed")?;
    ensure!(spawn_wait("sensortest", &["sensortest", "startstop", "mic"])? == 0, "another task's start and stop failed");
    ensure!(deadline(MIC)? == 0, "another task's stop ended this task's start");
    exclaves::sensor_stop(mic).map_err(|_| "the stop failed")?;
    ensure!(deadline(MIC)? != 0, "the last stop left no deadline");
    Ok(())
}

fn the_minimum_on_time_in_real_time() -> Outcome {
    let cam = open("cam")?;
    exclaves::sensor_start(cam).map_err(|_| "a start failed")?;
    let before = mach::mach_absolute_time();
    exclaves::sensor_stop(cam).map_err(|_| "the stop failed")?;
    let after = mach::mach_absolute_time();
    let d = deadline(CAM)?;
    // The controller's clock is the timer's, in nanoseconds; XNU rounds to ticks.
    ensure!(d + 1 >= before + ticks(3100) && d <= after + ticks(3100) + 1, "the deadline is not the last stop plus 3.1 s");
    wait_until(after + ticks(3000))?;
    ensure!(deadline(CAM)? == d, "the indicator's time was out before 3.1 s");
    wait_until(d + ticks(300))?;
    ensure!(deadline(CAM)? == 0, "the indicator's time was not out 0.3 s after 3.1 s");
    Ok(())
}

fn a_task_that_dies_holding_a_start() -> Outcome {
    ensure!(spawn_wait("sensortest", &["sensortest", "hold", "cam"])? == 0, "the holder's start failed");
    // Its start went with it: the camera stopped, so its time runs.
    ensure!(deadline(CAM)? > mach::mach_absolute_time(), "a dead task's start kept the camera running");
    Ok(())
}

fn a_deallocated_handle_stops_its_starts() -> Outcome {
    let mic = open("mic")?;
    exclaves::sensor_start(mic).map_err(|_| "a start failed")?;
    exclaves::sensor_start(mic).map_err(|_| "a start failed")?;
    mach::port_deallocate(mach::task_self(), mic).map_err(|_| "mach_port_deallocate failed")?;
    ensure!(deadline(MIC)? > mach::mach_absolute_time(), "a deallocated handle's starts kept the microphone running");
    ensure!(exclaves::sensor_status(mic) == Err(KernError(KERN_INVALID_NAME)), "a deallocated handle still answers");
    Ok(())
}

fn handles_of_the_wrong_kind() -> Outcome {
    let buffer = exclaves::buffer_create("inbound", 0x1000, BUFFER_PERM_WRITE).map_err(|_| "no buffer handle")?;
    ensure!(exclaves::sensor_start(buffer) == Err(KernError(KERN_FAILURE)), "a buffer handle started a sensor");
    ensure!(exclaves::sensor_status(mach::task_self()) == Err(KernError(KERN_FAILURE)), "the task port was taken for a sensor");
    ensure!(exclaves::sensor_status(0x7777_0003) == Err(KernError(KERN_INVALID_NAME)), "no name was taken for a sensor");
    let mic = open("mic")?;
    let mut status = 0u32;
    let s = &mut status as *mut u32 as u64;
    let h = u64::from(mic);
    ensure!(exclaves::ctl_all([h, op_word(SENSOR_START), 1, s, 0, 0, 0]) == KERN_INVALID_ARGUMENT, "non-zero flags were taken");
    ensure!(exclaves::ctl_all([h, op_word(SENSOR_START), 0, 0x10, 0, 0, 0]) == KERN_INVALID_ADDRESS, "a status at a bad address was taken");
    ensure!(exclaves::sensor_stop(mic) == Err(KernError(KERN_INVALID_ARGUMENT)), "a refused start was counted");
    Ok(())
}

fn min_on_time_needs_its_entitlement_and_version() -> Outcome {
    ensure!(spawn_wait("testchild", &["testchild", "exminon"])? == libsystem::abi::wait::exited(KERN_DENIED), "an unentitled task read the deadlines");
    let mut record = [0u8; MIN_ON_TIME_BYTES as usize];
    let raw = |record: &mut [u8], size: u64| exclaves::ctl_all([0, op_word(SENSOR_MIN_ON_TIME), 0, record.as_mut_ptr() as u64, size, 0, 0]);
    record[0] = 2;
    ensure!(raw(&mut record, MIN_ON_TIME_BYTES) == KERN_INVALID_ARGUMENT, "version 2 was taken");
    record[0] = 1;
    ensure!(raw(&mut record, MIN_ON_TIME_BYTES - 8) == KERN_INVALID_ARGUMENT, "a short record was taken");
    ensure!(raw(&mut record, MIN_ON_TIME_BYTES) == KERN_SUCCESS, "version 1 was refused");
    Ok(())
}

fn sensor_handles_stay_in_their_task() -> Outcome {
    let mic = open("mic")?;
    let port = mach::port_allocate(mach::task_self(), MACH_PORT_RIGHT_RECEIVE).map_err(|_| "port_allocate failed")?;
    let mut message = Message::new(port, MACH_MSG_TYPE_MAKE_SEND, 1, b"x");
    message.header.local_port = mic;
    message.header.bits |= MACH_MSG_TYPE_COPY_SEND << 8;
    ensure!(mach::send(&message).is_err(), "a message carried a sensor handle");
    ensure!(exclaves::sensor_status(mic) == Ok(SENSOR_STATUS_ALLOWED), "the handle stopped working");
    Ok(())
}

const AUDIO: usize = 0x4000;

#[repr(align(8))]
struct Samples([u8; 0x1800]);

/// Whether `bytes` are the waveform's bytes from byte `at` of the buffer.
fn waveform(bytes: &[u8], at: usize) -> bool {
    bytes.chunks_exact(2).enumerate().all(|(i, pair)| pair == sample(at / 2 + i).to_le_bytes())
}

fn audio() -> Result<u32, &'static str> {
    exclaves::audio_create("mic_audio", AUDIO as u64).map_err(|_| "AUDIO_BUFFER_CREATE failed")
}

fn audio_is_zeros_without_a_start() -> Outcome {
    let handle = audio()?;
    let mut out = Samples([0xee; 0x1800]);
    let status = exclaves::audio_copyout(handle, &mut out.0, (0x1000, 0x3000), (0x800, 0)).map_err(|_| "COPYOUT failed")?;
    ensure!(status == SENSOR_STATUS_ALLOWED, "the copy did not report the microphone's status");
    ensure!(out.0.iter().all(|&b| b == 0), "audio came through with the microphone off");
    Ok(())
}

fn audio_is_the_waveform_while_the_microphone_runs() -> Outcome {
    let handle = audio()?;
    let mic = open("mic")?;
    exclaves::sensor_start(mic).map_err(|_| "the start failed")?;
    let mut out = Samples([0; 0x1800]);
    exclaves::audio_copyout(handle, &mut out.0, (0x1000, 0x3000), (0x800, 0)).map_err(|_| "COPYOUT failed")?;
    ensure!(waveform(&out.0[..0x1000], 0x3000), "range 1 is not the microphone's samples at 0x3000");
    ensure!(waveform(&out.0[0x1000..], 0), "range 2 is not the microphone's samples at 0");
    exclaves::sensor_stop(mic).map_err(|_| "the stop failed")?;
    // Stopped (the indicator still on for its minimum time): zeros again.
    exclaves::audio_copyout(handle, &mut out.0, (0x1000, 0x3000), (0x800, 0)).map_err(|_| "COPYOUT failed")?;
    ensure!(out.0.iter().all(|&b| b == 0), "audio came through after the stop");
    Ok(())
}

fn audio_handles_and_their_errors() -> Outcome {
    let handle = audio()?;
    let mut out = [0u8; 64];
    let o = out.as_mut_ptr() as u64;
    ensure!(exclaves::audio_create("inbound", 0x1000) == Err(KernError(KERN_NOT_FOUND)), "a named buffer was taken for audio");
    ensure!(exclaves::audio_create("mic_audio", AUDIO as u64 + 1) == Err(KernError(KERN_INVALID_ARGUMENT)), "audio past its buffer was mapped");
    ensure!(exclaves::buffer_copyout(handle, &mut out, (64, 0), (0, 0)) == Err(KernError(KERN_INVALID_CAPABILITY)), "a named-buffer copy took an audio handle");
    let named = exclaves::buffer_create("outbound", 0x1000, BUFFER_PERM_READ).map_err(|_| "no named buffer")?;
    ensure!(exclaves::audio_copyout(named, &mut out, (64, 0), (0, 0)) == Err(KernError(KERN_INVALID_CAPABILITY)), "an audio copy took a named buffer");
    let mic = open("mic")?;
    ensure!(exclaves::audio_copyout(mic, &mut out, (64, 0), (0, 0)) == Err(KernError(KERN_INVALID_CAPABILITY)), "an audio copy took a sensor handle");
    ensure!(exclaves::audio_copyout(handle, &mut out, (64, AUDIO as u64 - 32), (0, 0)) == Err(KernError(KERN_INVALID_ARGUMENT)), "a range past the buffer was taken");
    let args = |offset: u64| [u64::from(handle), op_word(AUDIO_BUFFER_COPYOUT), offset, o, 64, 0, 0];
    ensure!(exclaves::audio_trap(args(0), 0) == KERN_SUCCESS, "a copy without a status address failed");
    ensure!(exclaves::audio_trap(args(0), 0x10) == KERN_FAILURE, "a status at a bad address was taken");
    Ok(())
}

/// Until no sensor's minimum on time runs: the indicator is off, and no
/// event of an earlier test's is still to come.
fn quiet() -> Outcome {
    for kind in 1..=4 {
        let d = deadline(kind)?;
        if d != 0 {
            wait_until(d + ticks(50))?;
        }
    }
    Ok(())
}

fn events() -> Result<u32, &'static str> {
    exclaves::notification_lookup("sensor_events").map_err(|_| "NOTIFICATION_RESOURCE_LOOKUP failed")
}

fn notification_lookup_and_wait_errors() -> Outcome {
    use libsystem::abi::errno::{EBADF, EINVAL, ETIMEDOUT};
    use libsystem::Errno;
    quiet()?;
    let h = events()?;
    ensure!(events()? != h, "two lookups gave one handle");
    ensure!(exclaves::notification_lookup("nosuch") == Err(KernError(KERN_NOT_FOUND)), "an unknown notification was found");
    ensure!(exclaves::notification_lookup("mic") == Err(KernError(KERN_NOT_FOUND)), "a sensor was found as a notification");
    ensure!(exclaves::notification_lookup("") == Err(KernError(KERN_INVALID_ARGUMENT)), "an empty name was taken");
    let raw = |name: u64, out: u64| exclaves::ctl_all([0, op_word(NOTIFICATION_RESOURCE_LOOKUP), name, out, 0, 0, 0]);
    let name = b"sensor_events\0";
    ensure!(raw(0x10, 0x2000_0000) == KERN_INVALID_ARGUMENT, "an unreadable name was taken");
    ensure!(raw(name.as_ptr() as u64, 0x10) == KERN_INVALID_ADDRESS, "a bad handle address was taken");
    ensure!(exclaves::notification_wait(h, 0, 0) == Err(Errno(EINVAL)), "an empty mask was taken");
    let mic = open("mic")?;
    ensure!(exclaves::notification_wait(mic, !0, 0) == Err(Errno(EBADF)), "a sensor handle was waited on");
    ensure!(exclaves::notification_wait(0x7777_0003, !0, 0) == Err(Errno(EBADF)), "no name was waited on");
    ensure!(exclaves::notification_wait(h, !0, 0) == Ok(0), "a poll with nothing pending did not give 0");
    let before = mach::mach_absolute_time();
    ensure!(exclaves::notification_wait(h, !0, 200) == Err(Errno(ETIMEDOUT)), "a wait with nothing to come did not time out");
    ensure!(mach::mach_absolute_time() >= before + ticks(200), "the wait timed out early");
    Ok(())
}

fn sensor_events_reach_a_waiting_task() -> Outcome {
    quiet()?;
    let h = events()?;
    let mic = open("mic")?;
    exclaves::sensor_start(mic).map_err(|_| "a start failed")?;
    ensure!(exclaves::notification_wait(h, MIC_EVENT, 1000) == Ok(MIC_EVENT), "no microphone event after its start");
    ensure!(exclaves::notification_wait(h, INDICATOR_EVENT | CAM_EVENT, 1000) == Ok(INDICATOR_EVENT), "no indicator event (alone) after the start");
    ensure!(exclaves::notification_wait(h, !0, 0) == Ok(0), "an event was given twice");
    let stopped = mach::mach_absolute_time();
    exclaves::sensor_stop(mic).map_err(|_| "the stop failed")?;
    ensure!(exclaves::notification_wait(h, MIC_EVENT, 1000) == Ok(MIC_EVENT), "no microphone event after its stop");
    // The indicator goes off once the minimum on time (3.1 s) is out.
    ensure!(exclaves::notification_wait(h, INDICATOR_EVENT, 5000) == Ok(INDICATOR_EVENT), "no indicator event at the end of the minimum on time");
    let waited = mach::mach_absolute_time() - stopped;
    ensure!(waited >= ticks(3000) && waited <= ticks(4500), "the indicator event came before 3 s or after 4.5 s");
    Ok(())
}

fn a_blocked_waiter_wakes_and_events_are_per_handle() -> Outcome {
    quiet()?;
    let first = events()?;
    // Another task starts and stops the camera while this one waits.
    let pid = libsystem::bsd::posix_spawn("sensortest", &["sensortest", "later", "cam"], None).map_err(|_| "a spawn failed")?;
    ensure!(exclaves::notification_wait(first, CAM_EVENT, 3000) == Ok(CAM_EVENT), "a waiting task was not woken by the camera's event");
    let (_, status) = libsystem::bsd::wait4(pid as i64, 0).map_err(|_| "wait4 failed")?;
    ensure!(status == 0, "the other task's start and stop failed");
    // A handle made now has none of the events before it, then the next.
    let second = events()?;
    ensure!(exclaves::notification_wait(second, CAM_EVENT, 0) == Ok(0), "a new handle got an event from before it was made");
    ensure!(exclaves::notification_wait(second, INDICATOR_EVENT, 5000) == Ok(INDICATOR_EVENT), "the second handle missed the indicator's event");
    ensure!(exclaves::notification_wait(first, INDICATOR_EVENT, 0) == Ok(INDICATOR_EVENT), "the first handle missed the indicator's event");
    Ok(())
}

/// `sensortest leave`: makes a microphone handle and a notification handle,
/// starts the microphone, and exits with the handles' index (a name is
/// `index << 8 | 3`) for its parent to try: 0 if a call failed.
fn leave() -> i32 {
    let (Ok(mic), Ok(events)) = (exclaves::sensor_create("mic"), exclaves::notification_lookup("sensor_events")) else { return 0 };
    if exclaves::sensor_start(mic).is_err() || events >> 8 != (mic >> 8) + 1 {
        return 0;
    }
    (mic >> 8) as i32
}

/// SENSOR0017: the handles of a task that died, by their names, reach
/// nothing from another task, and the dead task's start went with it.
fn a_dead_tasks_handles_name_nothing() -> Outcome {
    use libsystem::abi::errno::EBADF;
    let status = spawn_wait("sensortest", &["sensortest", "leave"])?;
    let index = libsystem::abi::wait::exit_code(status);
    ensure!(libsystem::abi::wait::is_exited(status) && index != 0, "the leaving task's handles were not made");
    let (mic, events) = (index << 8 | 3, (index + 1) << 8 | 3);
    ensure!(exclaves::sensor_status(mic) == Err(KernError(KERN_INVALID_NAME)), "a dead task's sensor handle answered");
    ensure!(exclaves::sensor_stop(mic) == Err(KernError(KERN_INVALID_NAME)), "a dead task's sensor handle stopped a sensor");
    ensure!(exclaves::notification_wait(events, !0, 0) == Err(libsystem::Errno(EBADF)), "a dead task's notification handle was waited on");
    ensure!(deadline(MIC)? > mach::mach_absolute_time(), "the dead task's start kept the microphone running");
    Ok(())
}
