//! The XNU personality: a monolithic kernel in one PD. Its user tasks are
//! its child PDs (the task slots of `system.xml`); their traps arrive as
//! faults (`traps`), console input and timer events as notifications.
//! README.md draws the module map; ABI.md is the trap ABI.
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod conclaves;
mod console;
mod disk;
mod exclaves;
mod exec;
mod heap;
mod kernel;
mod ports;
mod tasks;
mod time;
mod traps;
mod upcalls;
mod vm;
mod wait;

use sel4_microkit::{protection_domain, Channel, ChannelSet, Child, Handler, MessageInfo};
use xnu_bootfs::BootFs;

use crate::kernel::Kernel;
use crate::tasks::child_of_slot;
use crate::vm::{SlotMemory, SLOTS};

/// The boot filesystem the build packed (xnu-personality/bootfs), aligned
/// so that programs in it can be read in place.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);
static BOOTFS: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("XNU_BOOTFS")));

/// The first task.
const INIT: &[u8] = b"launchd";

protection_domain!(init);

fn init() -> Xnu {
    // Without a heap or a console there is nowhere to report to: the panic
    // stops XNU, and the monitor reports its fault.
    if let Err(e) = heap::init() {
        panic!("heap: {e}");
    }
    let mut console = console::Console::new().unwrap_or_else(|e| panic!("console: {e}"));
    match boot(&mut console) {
        Ok((mem, bootfs)) => {
            let upcalls = upcalls::Upcalls::new(&mut console);
            let mut kernel = Kernel {
                tasks: tasks::Tasks::new(),
                ports: Default::default(),
                mem,
                bootfs,
                console,
                clock: time::Clock::new(),
                exclaves: exclaves::Exclaves::new(),
                upcalls,
                conclaves: Default::default(),
            };
            match kernel.spawn(0, INIT, &[INIT.into()], None) {
                Ok(pid) => log!(kernel.console, "{SLOTS} task slots, {} programs; launchd is pid {pid}", kernel.bootfs.len()),
                Err(errno) => log!(kernel.console, "cannot start launchd: errno {errno}"),
            }
            Xnu { kernel: Some(kernel) }
        }
        Err(why) => {
            log!(console, "cannot boot: {why}");
            Xnu { kernel: None }
        }
    }
}

/// Stops every slot and finds the slots' memory and the boot filesystem.
fn boot(console: &mut console::Console) -> Result<([SlotMemory; SLOTS], BootFs<'static>), alloc::string::String> {
    use alloc::format;
    // Slots run only what XNU loads into them.
    for slot in 0..SLOTS {
        let child = child_of_slot(slot).ok_or(format!("task slot {slot}: no child with id {} in system.xml", slot + 1))?;
        child.stop().map_err(|e| format!("task slot {slot}: cannot stop it: {e:?}"))?;
    }
    let mem = SlotMemory::all().map_err(|symbol| format!("no map in system.xml sets '{symbol}'"))?;
    let bootfs = BootFs::parse(&BOOTFS.0).map_err(|e| format!("{e}"))?;
    log!(console, "boot filesystem: {} bytes", BOOTFS.0.len());
    Ok((mem, bootfs))
}

struct Xnu {
    /// `None` if boot failed: XNU then answers nothing.
    kernel: Option<Kernel>,
}

impl Handler for Xnu {
    fn fault(&mut self, child: Child, fault: sel4::Fault) -> Option<MessageInfo> {
        traps::handle(self.kernel.as_mut()?, child, fault)
    }

    fn protected(&mut self, channel: Channel, msg: MessageInfo) -> MessageInfo {
        match self.kernel.as_mut() {
            Some(k) => traps::fast(k, channel, msg),
            None => MessageInfo::new(0, 0),
        }
    }

    fn notified(&mut self, channels: ChannelSet) {
        let Some(k) = self.kernel.as_mut() else { return };
        if channels.contains(time::TIMER) {
            k.expire_deadlines();
        }
        if channels.contains(disk::DISK_IRQ) {
            upcalls::disk_interrupt(k);
        }
        // The notification channels among these (at most one per events
        // page), without allocating on every notification.
        let mut notified = [0u32; exclaves::NOTIFICATION_CHANNELS];
        let mut n = 0;
        for c in k.exclaves.notification_channels().filter(|&c| channels.contains(Channel::new(c as u8))) {
            if let Some(slot) = notified.get_mut(n) {
                *slot = c;
                n += 1;
            }
        }
        if n > 0 {
            for &channel in &notified[..n] {
                k.exclaves.events_arrived(channel);
                // A conclave asked for its host to be stopped.
                if let Some(pid) = k.conclaves.manager_notified(channel) {
                    log!(k.console, "task {pid} stopped by its conclave");
                    k.terminate(pid, xnu_abi::wait::signaled(xnu_abi::signal::SIGKILL));
                }
            }
            k.wake_notification_waiters();
        }
        if channels.contains(console::SERIAL) {
            k.console.poll_input();
            k.wake_reader();
        }
    }
}
