//! After start-up the monitor is the fault handler of every top-level PD.
//! Each fault is reported with the PD's name, the fault and the registers;
//! the PD stays stopped (nothing replies, and it is suspended, so one that
//! only sent a fault-shaped message stops too), and the monitor carries on.
//! The badge names the PD: a PD can send on its own fault endpoint, but only
//! with its own badge, so whatever it sends is taken as its own fault.

use monitor_spec::Spec;
use sel4::{Fault, UserContext, Word};

use crate::say;
use crate::system::System;

pub fn serve(spec: &Spec<'_>, system: &System) -> ! {
    wait_until_idle();
    // Faults that happened while PDs ran their init come first, then the
    // marker, so a reader of the log sees them before "ready".
    loop {
        let (info, badge) = system.fault_ep.nb_recv();
        if badge == 0 {
            break;
        }
        report(spec, system, info, badge);
    }
    // On a new line: idle can come with a shell's prompt open on the
    // serial console, which the driver writes and the monitor cannot see.
    // The counter says when (under `-icount` a repeatable figure: 16 ns,
    // or 16 instructions while the core is busy, per tick at 62.5 MHz).
    say!("\r\nmonitor: all PDs started and idle at counter tick {}", generic_timer::counter());
    say!("*** system ready ***");
    loop {
        let (info, badge) = system.fault_ep.recv();
        report(spec, system, info, badge);
    }
}

/// Returns once every PD above priority 0 has blocked (finished its init or
/// faulted): the monitor drops to priority 0 and yields.
fn wait_until_idle() {
    let me = sel4::init_thread::TCB;
    let _ = me.tcb_set_priority(0);
    sel4::r#yield();
    let _ = me.tcb_set_priority(255);
}

fn report(spec: &Spec<'_>, system: &System, info: sel4::MessageInfo, badge: Word) {
    let Some(index) = (badge as usize).checked_sub(1).filter(|&i| i < system.pds.len()) else {
        say!("monitor: ignored a message with unknown badge {badge:#x}");
        return;
    };
    let fault = Fault::decode(info);
    let name = spec.pd(index).map_or("?", |pd| spec.name(pd.name));
    say!("monitor: PD '{name}' faulted: {fault}");
    if let Err(e) = system.pds[index].tcb.tcb_suspend() {
        say!("monitor: PD '{name}': cannot suspend it: {e:?}");
    }
    let mut regs = UserContext::default();
    let count = sel4::sys::USER_CONTEXT_WORDS as Word;
    match system.pds[index].tcb.tcb_read_registers(false, 0, count, &mut regs) {
        Ok(()) => say!(
            "monitor: PD '{name}' registers: pc {:#x} sp {:#x} lr {:#x} x0 {:#x} x1 {:#x} x2 {:#x} x3 {:#x}",
            regs.pc,
            regs.sp,
            regs.x30,
            regs.x0,
            regs.x1,
            regs.x2,
            regs.x3
        ),
        Err(e) => say!("monitor: PD '{name}': cannot read registers: {e:?}"),
    }
}
