//! The demo conclave: serves its domain's ConclaveDemo service to the task
//! attached to it. Count answers the calls served since its launch (a
//! static, so a launch into clean memory starts again at 1), Crash faults
//! on purpose (a read of address 0x8), StopHost asks its manager to stop
//! the host task (the stop upcall).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use conclaves::{call_manager, Call, Serve, ACK, BAD_CALL, MESSAGE_PAGE, REPLIED, STOP_HOST};
use tightbeam::conclave::Served;
use tightbeam::indicator::Done;
use tightbeam::{Dispatcher, ErrorCode, Reply, Request, Scratch, ServiceId};

conclaves::conclave!(init);

/// The manager refused the stop upcall.
const NOT_STOPPED: ErrorCode = ErrorCode::service(1);

/// Calls served since launch: a static in the data region, which only a
/// launch into clean memory starts again at 0.
static CALLS: AtomicU64 = AtomicU64::new(0);

struct Methods;

impl tightbeam::Handler for Methods {
    const SERVICE: ServiceId = ServiceId::ConclaveDemo;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        match request {
            Request::DemoCount(_) => Ok(Reply::Served(Served { calls: CALLS.fetch_add(1, Ordering::Relaxed) + 1 })),
            Request::DemoCrash(_) => {
                // SAFETY: a read of an address nothing maps: a VM fault,
                // which the manager records as this conclave's crash and
                // never answers; nothing after it runs.
                unsafe { core::arch::asm!("ldr {v}, [{a}]", a = in(reg) 0x8u64, v = out(reg) _, options(nostack, readonly)) };
                Err(ErrorCode::INTERNAL)
            }
            Request::DemoStopHost(_) if call_manager(STOP_HOST) == ACK => Ok(Reply::Done(Done)),
            Request::DemoStopHost(_) => Err(NOT_STOPPED),
            _ => Err(ErrorCode::INTERNAL),
        }
    }
}

struct Demo(Dispatcher<Methods>);

fn init() -> Demo {
    Demo(Dispatcher::new(Methods))
}

impl Serve for Demo {
    fn serve(&mut self, call: Call) -> u64 {
        if !call.is_host_request() {
            return BAD_CALL;
        }
        // SAFETY: 1. system.xml maps the host's page rw at MESSAGE_PAGE for
        // the conclave's life; 2. nothing here holds a reference into it.
        let (_, reply) = unsafe { self.0.answer_shared(MESSAGE_PAGE as *const u8) };
        let page = MESSAGE_PAGE as *mut u8;
        for (i, &b) in reply.iter().enumerate() {
            // SAFETY: inside the mapped, writable page (a message is 512 of its 4096 bytes).
            unsafe { page.add(i).write_volatile(b) };
        }
        REPLIED
    }
}
