//! Tasks: pids, the slot each runs in, parents and exit statuses. A task
//! is one thread (its slot's TCB); its thread id comes from a separate
//! counter, as XNU's thread ids are not pids.
use alloc::collections::BTreeMap;
use alloc::string::String;

use exclaves_table::Entitlements;
use sel4_microkit::{Child, Trap};

use crate::ports::{PortId, Space};
use crate::vm::SLOTS;
use crate::wait::Wait;

pub type Pid = u32;

/// Tasks XNU keeps at once, zombies included (its `maxproc`).
pub const MAX_TASKS: usize = 64;

#[derive(Debug)]
pub enum State {
    Running,
    /// In a trap that finishes later (`wait::Wait`).
    Blocked { trap: Trap, wait: Wait },
    /// Exited or killed: its slot is free; the status waits for wait4.
    Zombie { status: u32 },
}

#[derive(Debug)]
pub struct Task {
    pub pid: Pid,
    pub ppid: Pid,
    pub tid: u64,
    pub name: String,
    /// The slot while it runs; `None` once a zombie.
    pub slot: Option<usize>,
    pub state: State,
    pub space: Space,
    /// Its task port (`task_self_trap` names a send right to it).
    pub task_port: PortId,
    /// Its program's exclaves entitlements, once looked up (exclaves.rs).
    pub entitlements: Option<Entitlements>,
}

/// Slot `i` is child id `i + 1` in `system.xml`.
pub fn child_of_slot(slot: usize) -> Option<Child> {
    Child::new(slot as u64 + 1)
}

pub fn slot_of_child(child: Child) -> Option<usize> {
    usize::from(child.id()).checked_sub(1).filter(|&s| s < SLOTS)
}

pub struct Tasks {
    pub by_pid: BTreeMap<Pid, Task>,
    slots: [Option<Pid>; SLOTS],
    next_pid: Pid,
    next_tid: u64,
}

impl Tasks {
    pub fn new() -> Self {
        Tasks { by_pid: BTreeMap::new(), slots: [None; SLOTS], next_pid: 1, next_tid: 0x100 }
    }

    pub fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(Option::is_none)
    }

    pub fn in_slot(&self, slot: usize) -> Option<Pid> {
        self.slots.get(slot).copied().flatten()
    }

    /// A new running task in `slot` (which must be free).
    pub fn next_pid(&self) -> Pid {
        self.next_pid
    }

    pub fn insert(&mut self, ppid: Pid, name: String, slot: usize, space: Space, task_port: PortId) -> Pid {
        let pid = self.next_pid;
        self.next_pid += 1;
        let tid = self.next_tid;
        self.next_tid += 1;
        self.slots[slot] = Some(pid);
        self.by_pid.insert(pid, Task { pid, ppid, tid, name, slot: Some(slot), state: State::Running, space, task_port, entitlements: None });
        pid
    }

    /// Frees the task's slot and makes it a zombie with `status`.
    pub fn make_zombie(&mut self, pid: Pid, status: u32) {
        if let Some(task) = self.by_pid.get_mut(&pid) {
            if let Some(slot) = task.slot.take() {
                self.slots[slot] = None;
            }
            task.state = State::Zombie { status };
        }
    }

    pub fn get(&self, pid: Pid) -> Option<&Task> {
        self.by_pid.get(&pid)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Task> {
        self.by_pid.get_mut(&pid)
    }

    pub fn children(&self, ppid: Pid) -> impl Iterator<Item = &Task> {
        self.by_pid.values().filter(move |t| t.ppid == ppid)
    }

    /// Gives `pid`'s children to launchd (pid 1), as XNU does.
    pub fn reparent_children(&mut self, pid: Pid) {
        for t in self.by_pid.values_mut().filter(|t| t.ppid == pid) {
            t.ppid = 1;
        }
    }

    pub fn remove(&mut self, pid: Pid) -> Option<Task> {
        self.by_pid.remove(&pid)
    }
}
