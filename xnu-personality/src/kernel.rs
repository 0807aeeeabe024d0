//! The kernel's state and the operations traps share: spawning a task into
//! a slot, ending one, and finishing a trap that waited.
use alloc::string::String;
use alloc::vec::Vec;

use sel4::UserContext;
use sel4_microkit::{Trap, TrapResult};
use xnu_abi::errno::*;
use xnu_abi::kern::{KERN_SUCCESS, MACH_RCV_TIMED_OUT};
use xnu_abi::wait::signaled;
use xnu_bootfs::BootFs;

use crate::console::Console;
use crate::exec::{self, ExecError};
use crate::ports::{Carried, Kind, PortId, Ports};
use crate::tasks::{child_of_slot, Pid, State, Tasks};
use crate::vm::{SlotMemory, SLOTS};
use crate::wait::Wait;

pub struct Kernel {
    pub tasks: Tasks,
    pub ports: Ports,
    pub mem: [SlotMemory; SLOTS],
    pub bootfs: BootFs<'static>,
    pub console: Console,
    pub clock: crate::time::Clock,
    pub exclaves: crate::exclaves::Exclaves,
    pub upcalls: crate::upcalls::Upcalls,
    pub conclaves: crate::conclaves::Conclaves,
}

/// A boot-filesystem path: a bare name, or `/bin/<name>`.
pub fn program_name(path: &[u8]) -> Option<&str> {
    let path = core::str::from_utf8(path).ok()?;
    Some(path.strip_prefix("/bin/").unwrap_or(path))
}

impl Kernel {
    /// Starts `path` in a free slot as a child of `ppid`, with `args` and,
    /// if given, a send right as its bootstrap port. Returns the pid.
    pub fn spawn(&mut self, ppid: Pid, path: &[u8], args: &[Vec<u8>], bootstrap: Option<Carried>) -> Result<Pid, u64> {
        let name = program_name(path).ok_or(ENOENT)?;
        // Zombies count: a parent that never waits cannot grow XNU without bound.
        if self.tasks.by_pid.len() >= crate::tasks::MAX_TASKS {
            return Err(EAGAIN);
        }
        let image = self.bootfs.find(name).ok_or(ENOENT)?.data;
        let slot = self.tasks.free_slot().ok_or(EAGAIN)?;
        let child = child_of_slot(slot).ok_or(EAGAIN)?;
        let start = exec::load(&mut self.mem[slot], image, args).map_err(|e| match e {
            ExecError::ArgsTooBig => E2BIG,
            _ => ENOEXEC,
        })?;
        let (task_port, mut space, _) = self.ports.new_task(self.tasks.next_pid());
        let bootstrap = match bootstrap {
            Some(Carried::Send(port)) => space.add_send(port).unwrap_or(0),
            _ => 0,
        };
        // Every register written: nothing of the slot's last task survives.
        let regs = UserContext { pc: start.entry, sp: start.sp, x0: start.argc, x1: start.argv, x2: u64::from(bootstrap), ..Default::default() };
        if child.write_registers(&regs, sel4::sys::USER_CONTEXT_WORDS, true).is_err() {
            // The task never existed: its port goes, its slot stays free.
            self.ports.destroy(task_port);
            return Err(EAGAIN);
        }
        Ok(self.tasks.insert(ppid, String::from(name), slot, space, task_port))
    }

    /// Ends task `pid` with wait status `status`: stops its thread, frees its
    /// slot and ports, gives its children to launchd, and wakes a parent
    /// waiting for it.
    pub fn terminate(&mut self, pid: Pid, status: u32) {
        let Some(task) = self.tasks.get_mut(pid) else { return };
        if let Some(child) = task.slot.and_then(child_of_slot) {
            // Cannot fail while XNU holds the child's TCB; and a spawn into
            // the slot writes every register before the thread runs again.
            let _ = child.stop();
        }
        // A zombie keeps its status only: its names and ports go now, and
        // its exclaves handles with them (their sensors' starts stop).
        let space = core::mem::take(&mut task.space);
        let mut dying: Vec<_> = space.receive_rights().collect();
        dying.push(task.task_port);
        let ppid = task.ppid;
        for port in space.send_rights() {
            if self.release_handle(port) {
                dying.push(port);
            }
        }
        for port in dying {
            self.ports.destroy(port);
        }
        self.tasks.make_zombie(pid, status);
        // Its conclave is stopped and detached.
        self.conclaves.owner_gone(pid);
        // Its zombie children go to launchd with the rest, which may be
        // waiting for any child.
        let orphans: Vec<Pid> = self.tasks.children(pid).filter(|t| matches!(t.state, State::Zombie { .. })).map(|t| t.pid).collect();
        self.tasks.reparent_children(pid);
        // Only its own receive rights died, and nobody else waits on those.
        self.wake_parent(ppid, pid);
        for orphan in orphans {
            self.wake_parent(1, orphan);
        }
        if pid == 1 {
            crate::log!(self.console, "launchd (pid 1) ended with status {status:#x}");
        }
    }

    /// If `port` is an exclaves handle, what it holds goes (a buffer's
    /// mapping use, a sensor's starts); whether it was one. The caller
    /// destroys the port.
    pub fn release_handle(&mut self, port: PortId) -> bool {
        match self.ports.kind(port) {
            Some(Kind::ExclavesBuffer(buffer)) => self.exclaves.buffer_release(buffer),
            Some(Kind::ExclavesSensor(_)) => self.exclaves.sensor_gone(port),
            Some(Kind::ExclavesNotification(_)) => self.exclaves.notification_gone(port),
            _ => return false,
        }
        true
    }

    /// A parent blocked in wait4 for `child` reaps it now.
    fn wake_parent(&mut self, ppid: Pid, child: Pid) {
        let status_ptr = match self.blocked(ppid) {
            Some((_, wait @ Wait::Child { status, .. })) if wait.waits_for_child(child) => *status,
            _ => return,
        };
        let reaped = self.reap(child, status_ptr);
        self.finish(ppid, TrapResult::ok(u64::from(reaped)));
    }

    /// Removes zombie `pid`, storing its status; returns its pid.
    pub fn reap(&mut self, pid: Pid, status_ptr: Option<crate::vm::USlice<u32>>) -> Pid {
        if let Some(task) = self.tasks.remove(pid) {
            if let (State::Zombie { status }, Some(ptr)) = (task.state, status_ptr) {
                ptr.write(status);
            }
        }
        pid
    }

    /// Finishes the trap `pid` waits in with `result`, and lets it run.
    pub fn finish(&mut self, pid: Pid, result: TrapResult) {
        let Some(task) = self.tasks.get_mut(pid) else { return };
        let State::Blocked { trap, .. } = task.state else { return };
        task.state = State::Running;
        let child = task.slot.and_then(child_of_slot);
        if let Some(child) = child {
            if trap.complete(child, result).is_err() {
                self.terminate(pid, signaled(xnu_abi::signal::SIGKILL));
            }
        }
    }

    /// A receiver blocked on `port` gets its next message.
    pub fn wake_receiver(&mut self, port: PortId) {
        let waiting = self.tasks.by_pid.values().find_map(|t| match (&t.state, t.slot) {
            (State::Blocked { wait: Wait::Message { port: p, name, addr, size, .. }, .. }, Some(slot)) if *p == port => {
                Some((t.pid, slot, *name, *addr, *size))
            }
            _ => None,
        });
        if let Some((pid, slot, name, addr, size)) = waiting {
            let result = crate::traps::deliver(self, pid, slot, port, name, addr, size);
            self.finish(pid, TrapResult::ok(result));
        }
    }

    /// Console input arrived: the first blocked reader takes it.
    pub fn wake_reader(&mut self) {
        let reader = self.tasks.by_pid.values().find_map(|t| match &t.state {
            State::Blocked { wait: Wait::ConsoleRead { buf }, .. } => Some((t.pid, *buf)),
            _ => None,
        });
        if let Some((pid, buf)) = reader {
            if self.console.has_input() {
                let n = crate::traps::deliver_input(self, buf);
                self.finish(pid, TrapResult::ok(n));
            }
        }
    }

    /// Ends every wait whose deadline has passed: mach_wait_until returns
    /// success, a receive MACH_RCV_TIMED_OUT. Decided by the counter, so an
    /// early interrupt ends nothing.
    pub fn expire_deadlines(&mut self) {
        let now = crate::time::now();
        let due: Vec<(Pid, TrapResult)> = self
            .tasks
            .by_pid
            .values()
            .filter_map(|t| match &t.state {
                State::Blocked { wait, .. } if wait.deadline().is_some_and(|d| d <= now) => {
                    let result = match wait {
                        Wait::Until { .. } => TrapResult::ok(KERN_SUCCESS),
                        Wait::Notification { .. } => TrapResult::errno(ETIMEDOUT),
                        _ => TrapResult::ok(MACH_RCV_TIMED_OUT),
                    };
                    Some((t.pid, result))
                }
                _ => None,
            })
            .collect();
        for (pid, result) in due {
            self.finish(pid, result);
        }
        self.rearm_timer();
    }

    /// A wait until `deadline` began: the timer must fire by then.
    pub fn timer_wants(&mut self, deadline: u64) {
        self.clock.want(deadline);
    }

    /// Arms the timer for the earliest deadline still waited for.
    fn rearm_timer(&mut self) {
        let earliest = self.tasks.by_pid.values().filter_map(|t| match &t.state {
            State::Blocked { wait, .. } => wait.deadline(),
            _ => None,
        }).min();
        self.clock.rearm(earliest);
    }

    /// Exclaves operations that waited for EXCLAVECORE run now (or fail
    /// with boot).
    pub fn wake_exclaves_waiters(&mut self) {
        if self.exclaves.stage == crate::exclaves::Stage::None {
            return;
        }
        let waiting: Vec<(Pid, usize, crate::traps::ExclavesArgs)> = self
            .tasks
            .by_pid
            .values()
            .filter_map(|t| match (&t.state, t.slot) {
                (State::Blocked { wait: Wait::Exclaves { args }, .. }, Some(slot)) => Some((t.pid, slot, **args)),
                _ => None,
            })
            .collect();
        let mut queued = false;
        for (pid, slot, args) in waiting {
            match crate::traps::exclaves_op(self, pid, slot, &args) {
                // An ENDPOINT_CALL to a service that makes upcalls: it
                // queues for its conversation.
                xnu_abi::fast::USE_TRAP => {
                    if let Some(task) = self.tasks.get_mut(pid) {
                        if let State::Blocked { wait, .. } = &mut task.state {
                            *wait = Wait::Service { args: alloc::boxed::Box::new(args) };
                            queued = true;
                        }
                    }
                }
                result => self.finish(pid, TrapResult::ok(result)),
            }
        }
        if queued {
            crate::upcalls::start_next(self);
        }
    }

    /// Events arrived: every task waiting for events its handle now has
    /// gets them (a handle gone ends its wait with EBADF).
    pub fn wake_notification_waiters(&mut self) {
        let waiting: Vec<(Pid, PortId, u64)> = self
            .tasks
            .by_pid
            .values()
            .filter_map(|t| match &t.state {
                State::Blocked { wait: Wait::Notification { port, mask, .. }, .. } => Some((t.pid, *port, *mask)),
                _ => None,
            })
            .collect();
        for (pid, port, mask) in waiting {
            match self.exclaves.take_events(port, mask) {
                Some(0) => {}
                Some(bits) => self.finish(pid, TrapResult::ok(bits)),
                None => self.finish(pid, TrapResult::errno(EBADF)),
            }
        }
    }

    /// The trap `pid` is blocked in, if it is.
    pub fn blocked(&self, pid: Pid) -> Option<(&Trap, &Wait)> {
        match &self.tasks.get(pid)?.state {
            State::Blocked { trap, wait } => Some((trap, wait)),
            _ => None,
        }
    }
}
