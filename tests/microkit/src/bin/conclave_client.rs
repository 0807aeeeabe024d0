//! MK0020 (with exclave-conclave-manager and the demo conclave): a client
//! in XNU's place drives a conclave's lifecycle through its manager and
//! calls the conclave itself: launch, refusals in every wrong state and
//! of malformed calls, suspend and resume, stop, a relaunch into clean
//! memory, a crash that
//! releases the caller with CRASHED and leaves crash info and a crash
//! page, the stop upcall with its notification, and 100 crashes with a
//! relaunch each, after which the manager still answers. A second
//! conclave of the same manager stays NotBooted through all of that, then
//! runs, counts and crashes on its own without touching the first.
#![no_std]
#![no_main]

use microkit_examples::{ensure, report};
use monitor_spec::abi::slot;
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, ChannelSet, Handler, MemoryRegion, MessageInfo};
use tightbeam::conclave::{crash_page, refusal, ConclaveStatus, Control, CrashInfo, State};
use tightbeam::{decode_reply, encode_request, ErrorCode, Payload, Received, Reply, Request, MESSAGE_BYTES};
use tightbeam_channel::{Endpoint, Error, BAD_CALL, CRASHED, PAGE_BYTES};

const MANAGER: Channel = Channel::new(1);
const DEMO: Channel = Channel::new(2);
/// The manager's channel and the conclave's for the second conclave.
const MANAGER_1: Channel = Channel::new(3);
const DEMO_1: Channel = Channel::new(4);
/// The manager's notifications about the first conclave arrive on its
/// channel's bit.
const MANAGER_BIT: u64 = 1 << 1;
/// seL4_Fault_VMFault.
const VM_FAULT: u32 = 5;
/// The task layout's text and stack (xnu_abi::layout).
const TEXT: core::ops::Range<u64> = 0x1000_0000..0x1010_0000;
const STACK: core::ops::Range<u64> = 0x1060_0000..0x1064_0000;
const CRASH_LOOPS: u32 = 100;

protection_domain!(init);

struct Done;
impl Handler for Done {
    /// The manager notifies each crash of the loop; all were judged.
    fn notified(&mut self, _: ChannelSet) {}
}

type Outcome<T = ()> = Result<T, &'static str>;

/// What a call got back, owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Status(ConclaveStatus),
    Crash(CrashInfo),
    Served(u64),
    Done,
    Refused(ErrorCode),
    /// The call was answered with this label and no reply.
    Label(u64),
}

fn call(ep: &Endpoint, request: Request<'_>) -> Outcome<Answer> {
    let mut bytes = [0u8; MESSAGE_BYTES];
    encode_request(&request, &mut bytes).map_err(|_| "a request does not encode")?;
    let mut reply = [0u8; MESSAGE_BYTES];
    match ep.call(&bytes, &mut reply) {
        Ok(()) => {}
        Err(Error::Refused(label)) => return Ok(Answer::Label(label)),
        Err(_) => return Err("a call failed"),
    }
    let received = Received::copy_from(&reply).map_err(|_| "a reply is not a message")?;
    match decode_reply(&received, request.method()).map_err(|_| "a reply does not decode")? {
        Ok(Reply::Conclave(s)) => Ok(Answer::Status(s)),
        Ok(Reply::Crash(c)) => Ok(Answer::Crash(c)),
        Ok(Reply::Served(s)) => Ok(Answer::Served(s.calls)),
        Ok(Reply::Done(_)) => Ok(Answer::Done),
        Ok(_) => Err("a reply of another type"),
        Err(code) => Ok(Answer::Refused(code)),
    }
}

fn control(manager: &Endpoint, request: Request<'_>) -> Outcome<Result<ConclaveStatus, ErrorCode>> {
    match call(manager, request)? {
        Answer::Status(s) => Ok(Ok(s)),
        Answer::Refused(code) => Ok(Err(code)),
        _ => Err("the manager's reply is not a status"),
    }
}

/// `request` must leave the conclave in `state`; the status.
fn expect_state(manager: &Endpoint, request: Request<'_>, state: State, what: &'static str) -> Outcome<ConclaveStatus> {
    match control(manager, request)? {
        Ok(s) if s.state == state => Ok(s),
        _ => Err(what),
    }
}

fn expect_refusal(manager: &Endpoint, request: Request<'_>, code: ErrorCode, what: &'static str) -> Outcome {
    ensure(control(manager, request)? == Err(code), what)
}

fn status(manager: &Endpoint) -> Outcome<ConclaveStatus> {
    control(manager, Request::Status(Control))?.map_err(|_| "status was refused")
}

fn count(demo: &Endpoint) -> Outcome<u64> {
    match call(demo, Request::DemoCount(Control))? {
        Answer::Served(calls) => Ok(calls),
        Answer::Label(CRASHED) => Err("count was answered CRASHED"),
        _ => Err("count did not answer Served"),
    }
}

fn expect_counts(demo: &Endpoint, from: u64, to: u64, what: &'static str) -> Outcome {
    (from..=to).try_for_each(|n| ensure(count(demo)? == n, what))
}

/// The notifications pending since the last poll.
fn poll() -> u64 {
    sel4_microkit::sel4::Cap::<sel4_microkit::sel4::cap_type::Notification>::from_bits(slot::INPUT).poll()
}

fn crash(demo: &Endpoint) -> Outcome {
    ensure(call(demo, Request::DemoCrash(Control))? == Answer::Label(CRASHED), "the crashing call did not return CRASHED")
}

fn lifecycle(manager: &Endpoint, demo: &Endpoint) -> Outcome {
    let s = status(manager)?;
    ensure(s == ConclaveStatus { state: State::NotBooted, launches: 0, crashes: 0, stop_requests: 0 }, "not NotBooted with zero counters at first")?;
    ensure(call(manager, Request::CrashInfo(Control))? == Answer::Refused(refusal::NO_CRASH), "crash info before any crash was not NO_CRASH")?;
    expect_refusal(manager, Request::Suspend(Control), refusal::WRONG_STATE, "suspend before launch was not WRONG_STATE")?;
    expect_refusal(manager, Request::Resume(Control), refusal::WRONG_STATE, "resume before launch was not WRONG_STATE")?;
    expect_refusal(manager, Request::Stop(Control), refusal::WRONG_STATE, "stop before launch was not WRONG_STATE")?;
    let s = expect_state(manager, Request::Launch(Control), State::Running, "launch did not run it")?;
    ensure(s.launches == 1, "the first launch did not count 1")?;
    expect_refusal(manager, Request::Launch(Control), refusal::ALREADY_LAUNCHED, "a second launch was not ALREADY_LAUNCHED")?;
    expect_counts(demo, 1, 3, "the demo did not count 1, 2, 3")?;
    expect_refusal(manager, Request::Resume(Control), refusal::WRONG_STATE, "resume of a running conclave was not WRONG_STATE")?;
    expect_state(manager, Request::Suspend(Control), State::Suspended, "suspend did not suspend it")?;
    expect_refusal(manager, Request::Suspend(Control), refusal::WRONG_STATE, "a second suspend was not WRONG_STATE")?;
    expect_refusal(manager, Request::Launch(Control), refusal::ALREADY_LAUNCHED, "launch of a suspended conclave was not ALREADY_LAUNCHED")?;
    expect_state(manager, Request::Resume(Control), State::Running, "resume did not run it")?;
    expect_counts(demo, 4, 4, "after suspend and resume the count did not go on at 4")?;
    expect_state(manager, Request::Stop(Control), State::Killed, "stop did not kill it")?;
    expect_refusal(manager, Request::Stop(Control), refusal::WRONG_STATE, "a second stop was not WRONG_STATE")?;
    let s = expect_state(manager, Request::Launch(Control), State::Running, "the relaunch after stop did not run it")?;
    ensure(s.launches == 2, "the relaunch did not count")?;
    expect_counts(demo, 1, 2, "after a relaunch the count did not start at 1 again (memory not clean)")
}

/// Calls neither the manager nor the conclave should take: each refused,
/// and both serve on.
fn malformed(manager: &Endpoint, demo: &Endpoint) -> Outcome {
    for (channel, what) in [(MANAGER, "the manager took a call with words"), (DEMO, "the conclave took a call with words")] {
        let answer = channel.pp_call(MessageInfo::new(0, 3)).map_err(|_| "a call with words failed")?;
        ensure(answer.label() == BAD_CALL, what)?;
    }
    ensure(call(manager, Request::DemoCount(Control))? == Answer::Refused(ErrorCode::UNKNOWN_SERVICE), "the manager answered the conclave's method")?;
    ensure(call(demo, Request::Status(Control))? == Answer::Refused(ErrorCode::UNKNOWN_SERVICE), "the conclave answered the manager's method")?;
    ensure(status(manager)?.state == State::Running, "after malformed calls the manager does not answer")?;
    expect_counts(demo, 3, 3, "after malformed calls the conclave does not count on")
}

fn crash_info(manager: &Endpoint, page: &MemoryRegion) -> Outcome {
    let info = match call(manager, Request::CrashInfo(Control))? {
        Answer::Crash(c) => c,
        _ => return Err("crash info was not answered"),
    };
    ensure(info.fault == VM_FAULT && info.addr == 0x8, "crash info is not a VM fault at 0x8")?;
    ensure(TEXT.contains(&info.pc), "the crash's pc is not in the conclave's text")?;
    ensure(info.len as usize > crash_page::STACK_AT && info.len as usize <= crash_page::BYTES, "the crash page holds no stack words")?;
    let mut head = [0u8; 24];
    page.read(0, &mut head).map_err(|_| "the crash page does not read")?;
    ensure(CrashInfo::decode(&head) == Ok(info), "the crash page does not start with the crash info")?;
    let word = |i: usize| page.read_u64(crash_page::REGISTERS_AT + 8 * i).map_err(|_| "the crash page does not read");
    ensure(word(0)? == info.pc, "the crash page's pc register is not the crash's")?;
    ensure(STACK.contains(&word(1)?), "the crash page's sp is not in the conclave's stack")
}

fn crashes(manager: &Endpoint, demo: &Endpoint, page: &MemoryRegion) -> Outcome {
    poll();
    crash(demo)?;
    let s = status(manager)?;
    ensure(s.state == State::Crashed && s.crashes == 1, "after the crash the status is not Crashed with 1 crash")?;
    ensure(poll() & MANAGER_BIT != 0, "the manager did not notify the crash")?;
    crash_info(manager, page)?;
    ensure(call(demo, Request::DemoCount(Control))? == Answer::Label(CRASHED), "a call to the crashed conclave was not answered CRASHED")?;
    expect_refusal(manager, Request::Suspend(Control), refusal::WRONG_STATE, "suspend of a crashed conclave was not WRONG_STATE")?;
    expect_state(manager, Request::Launch(Control), State::Running, "the relaunch after the crash did not run it")?;
    expect_counts(demo, 1, 1, "after the crash's relaunch the count did not start at 1")
}

fn stop_upcall(manager: &Endpoint, demo: &Endpoint) -> Outcome {
    poll();
    ensure(call(demo, Request::DemoStopHost(Control))? == Answer::Done, "stop host did not answer Done")?;
    ensure(status(manager)?.stop_requests == 1, "the stop upcall was not counted")?;
    ensure(poll() & MANAGER_BIT != 0, "the manager did not notify the stop request")
}

fn crash_loop(manager: &Endpoint, demo: &Endpoint) -> Outcome {
    let before = status(manager)?;
    for i in 0..CRASH_LOOPS {
        crash(demo)?;
        expect_state(manager, Request::Launch(Control), State::Running, "a relaunch in the crash loop failed")?;
        if i % 10 == 0 {
            expect_counts(demo, 1, 1, "a relaunch in the crash loop did not count from 1")?;
        }
    }
    let after = status(manager)?;
    ensure(after.crashes == before.crashes + CRASH_LOOPS && after.launches == before.launches + CRASH_LOOPS, "the crash loop's counters are off")?;
    expect_counts(demo, 1, 1, "after the crash loop the conclave does not serve")
}

/// The second conclave: untouched by the first's life, then on its own.
fn second(manager: &Endpoint, demo: &Endpoint, first: &Endpoint, first_demo: &Endpoint) -> Outcome {
    ensure(status(manager)?.state == State::NotBooted, "the second conclave did not stay NotBooted")?;
    expect_state(manager, Request::Launch(Control), State::Running, "the second conclave did not launch")?;
    expect_counts(demo, 1, 2, "the second conclave did not count from 1")?;
    let first_before = status(first)?;
    crash(demo)?;
    ensure(status(manager)?.crashes == 1, "the second conclave's crash was not its own")?;
    ensure(status(first)? == first_before, "the second conclave's crash changed the first's status")?;
    expect_counts(first_demo, 2, 2, "the first conclave did not serve on after the second's crash")
}

fn run() -> Outcome {
    let page = |r: Result<MemoryRegion, _>| r.map_err(|_| "a page is not mapped");
    let manager = Endpoint::new(MANAGER, page(memory_region_symbol!(control_page_0, PAGE_BYTES))?).map_err(|_| "control page")?;
    let demo = Endpoint::new(DEMO, page(memory_region_symbol!(demo_page_0, PAGE_BYTES))?).map_err(|_| "demo page")?;
    let crash = page(memory_region_symbol!(crash_page_0, crash_page::BYTES))?;
    let manager_1 = Endpoint::new(MANAGER_1, page(memory_region_symbol!(control_page_1, PAGE_BYTES))?).map_err(|_| "control page 1")?;
    let demo_1 = Endpoint::new(DEMO_1, page(memory_region_symbol!(demo_page_1, PAGE_BYTES))?).map_err(|_| "demo page 1")?;
    let crash_1 = page(memory_region_symbol!(crash_page_1, crash_page::BYTES))?;
    lifecycle(&manager, &demo)?;
    malformed(&manager, &demo)?;
    crashes(&manager, &demo, &crash)?;
    stop_upcall(&manager, &demo)?;
    crash_loop(&manager, &demo)?;
    second(&manager_1, &demo_1, &manager, &demo)?;
    crash_info(&manager_1, &crash_1)
}

fn init() -> Done {
    report("MK0020", "the conclave manager launches, suspends, resumes, stops and relaunches its conclave, and records its crashes", run());
    Done
}
