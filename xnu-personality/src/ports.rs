//! Mach ports. A port is a kernel object with one receive right, held in
//! some task's port-name space, and a queue of messages; a task names the
//! rights it holds with numbers of its own space. Messages carry inline
//! bytes and at most one right (the reply port); rights go with them.
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use xnu_abi::kern::*;
use xnu_abi::port::*;

use crate::tasks::Pid;

pub type PortId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ordinary,
    /// A task's own port: the `target` of the port traps.
    Task(Pid),
    /// A named-buffer handle (NAMED_BUFFER_CREATE): send rights only, which
    /// stay in the task that made them (no message carries one).
    ExclavesBuffer(usize),
    /// A sensor handle (SENSOR_CREATE), held the same way; the indicator
    /// controller counts its starts by the port's id.
    ExclavesSensor(exclaves_table::SensorKind),
    /// A notification handle (NOTIFICATION_RESOURCE_LOOKUP), held the same
    /// way: the events of that source (its index) a task can wait for.
    ExclavesNotification(usize),
}

impl Kind {
    /// An exclaves handle: it stays in its task.
    pub fn is_exclaves_handle(self) -> bool {
        matches!(self, Kind::ExclavesBuffer(_) | Kind::ExclavesSensor(_) | Kind::ExclavesNotification(_))
    }
}

/// The right a message carries to its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    Send(PortId),
    SendOnce(PortId),
}

#[derive(Debug)]
pub struct Message {
    pub id: i32,
    /// How the sender named the destination: send (17) or send-once (18).
    pub local_kind: u32,
    pub body: Vec<u8>,
    pub reply: Option<Carried>,
}

#[derive(Debug)]
struct Port {
    kind: Kind,
    queue: VecDeque<Message>,
}

/// What one name in a space denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    port: PortId,
    receive: bool,
    /// User references of the send right (0: none).
    send: u32,
    send_once: bool,
}

/// A task's port-name space.
#[derive(Debug, Default)]
pub struct Space {
    names: BTreeMap<u32, Entry>,
    next: u32,
}

/// The most user references one send right may have (XNU's limit).
const MAX_UREFS: u32 = 0xffff;
/// The most names one space holds: a task cannot grow XNU's heap without
/// bound (XNU limits its spaces too).
pub const MAX_NAMES: usize = 1024;

impl Space {
    fn fresh_name(&mut self) -> Result<u32, u64> {
        if self.names.len() >= MAX_NAMES {
            return Err(KERN_NO_SPACE);
        }
        // Names look like XNU's (index << 8 | generation) and are never reused.
        self.next = self.next.checked_add(0x100).ok_or(KERN_NO_SPACE)?;
        Ok(self.next | 3)
    }

    fn insert(&mut self, entry: Entry) -> Result<u32, u64> {
        let name = self.fresh_name()?;
        self.names.insert(name, entry);
        Ok(name)
    }

    /// A send right to `port`: another reference on the name that already
    /// holds one (or the port's receive right), else a new name.
    pub fn add_send(&mut self, port: PortId) -> Result<u32, u64> {
        if let Some((&name, e)) = self.names.iter_mut().find(|(_, e)| e.port == port && (e.send > 0 || e.receive)) {
            e.send = e.send.checked_add(1).filter(|&n| n <= MAX_UREFS).ok_or(KERN_UREFS_OVERFLOW)?;
            return Ok(name);
        }
        self.insert(Entry { port, receive: false, send: 1, send_once: false })
    }

    fn add_carried(&mut self, right: Carried) -> Result<u32, u64> {
        match right {
            Carried::Send(port) => self.add_send(port),
            Carried::SendOnce(port) => self.insert(Entry { port, receive: false, send: 0, send_once: true }),
        }
    }

    /// The port `name` holds the receive right of.
    pub fn receive_port(&self, name: u32) -> Option<PortId> {
        self.names.get(&name).filter(|e| e.receive).map(|e| e.port)
    }

    /// The port `name` holds a send right to.
    pub fn send_port(&self, name: u32) -> Option<PortId> {
        self.names.get(&name).filter(|e| e.send > 0).map(|e| e.port)
    }

    /// Every port this space holds a send right to.
    pub fn send_rights(&self) -> impl Iterator<Item = PortId> + '_ {
        self.names.values().filter(|e| e.send > 0).map(|e| e.port)
    }

    /// Every port this space holds the receive right of.
    pub fn receive_rights(&self) -> impl Iterator<Item = PortId> + '_ {
        self.names.values().filter(|e| e.receive).map(|e| e.port)
    }

    fn drop_if_empty(&mut self, name: u32) {
        if self.names.get(&name).is_some_and(|e| !e.receive && e.send == 0 && !e.send_once) {
            self.names.remove(&name);
        }
    }
}

/// Every port, by id.
#[derive(Default)]
pub struct Ports {
    ports: BTreeMap<PortId, Port>,
    next: PortId,
}

impl Ports {
    fn create(&mut self, kind: Kind) -> PortId {
        // 2^32 ports would take longer than any run; ids are never reused.
        self.next += 1;
        self.ports.insert(self.next, Port { kind, queue: VecDeque::new() });
        self.next
    }

    /// A port that stands for a kernel object: no receive right exists.
    pub fn kernel_object(&mut self, kind: Kind) -> PortId {
        self.create(kind)
    }

    /// A task's port, and the space it starts with: a send right to it.
    pub fn new_task(&mut self, pid: Pid) -> (PortId, Space, u32) {
        let port = self.create(Kind::Task(pid));
        let mut space = Space::default();
        // A new space has every name free.
        let name = space.add_send(port).unwrap_or(0);
        (port, space, name)
    }

    pub fn kind(&self, port: PortId) -> Option<Kind> {
        self.ports.get(&port).map(|p| p.kind)
    }

    /// A new port whose receive right `space` holds (mach_port_allocate,
    /// mach_reply_port).
    pub fn allocate(&mut self, space: &mut Space, right: u64) -> Result<u32, u64> {
        if right != MACH_PORT_RIGHT_RECEIVE {
            return Err(KERN_INVALID_VALUE);
        }
        let name = space.fresh_name()?;
        let port = self.create(Kind::Ordinary);
        space.names.insert(name, Entry { port, receive: true, send: 0, send_once: false });
        Ok(name)
    }

    /// mach_port_deallocate: one reference of a send or send-once right.
    pub fn deallocate(space: &mut Space, name: u32) -> Result<(), u64> {
        let e = space.names.get_mut(&name).ok_or(KERN_INVALID_NAME)?;
        if e.send > 0 {
            e.send -= 1;
        } else if e.send_once {
            e.send_once = false;
        } else {
            return Err(KERN_INVALID_RIGHT);
        }
        space.drop_if_empty(name);
        Ok(())
    }

    /// mach_port_mod_refs for the receive and send rights.
    pub fn mod_refs(&mut self, space: &mut Space, name: u32, right: u64, delta: i64) -> Result<(), u64> {
        let e = space.names.get_mut(&name).ok_or(KERN_INVALID_NAME)?;
        match right {
            MACH_PORT_RIGHT_RECEIVE => {
                if !e.receive {
                    return Err(KERN_INVALID_RIGHT);
                }
                match delta {
                    0 => {}
                    -1 => {
                        e.receive = false;
                        let port = e.port;
                        self.destroy(port);
                    }
                    _ => return Err(KERN_INVALID_VALUE),
                }
            }
            MACH_PORT_RIGHT_SEND => {
                if e.send == 0 && !e.receive {
                    return Err(KERN_INVALID_RIGHT);
                }
                let refs = i64::from(e.send).checked_add(delta).ok_or(KERN_INVALID_VALUE)?;
                if refs < 0 {
                    return Err(KERN_INVALID_VALUE);
                }
                e.send = u32::try_from(refs).ok().filter(|&r| r <= MAX_UREFS).ok_or(KERN_UREFS_OVERFLOW)?;
            }
            _ => return Err(KERN_INVALID_VALUE),
        }
        space.drop_if_empty(name);
        Ok(())
    }

    /// A port whose receive right is gone: it goes, with its messages (and
    /// the rights they carry); names of it elsewhere become dead names
    /// (ids are never reused, so a dead name never reaches another port).
    pub fn destroy(&mut self, port: PortId) {
        self.ports.remove(&port);
    }

    /// Takes the right a send names with `disposition`: the port and how the
    /// receiver sees it named. Moves consume the sender's right.
    fn take(&self, space: &mut Space, name: u32, disposition: u32, local: bool) -> Result<Carried, u64> {
        let (invalid_name, invalid_kind) = if local {
            (MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_HEADER)
        } else {
            (MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_HEADER)
        };
        let e = space.names.get_mut(&name).ok_or(invalid_name)?;
        if self.ports.get(&e.port).is_some_and(|p| p.kind.is_exclaves_handle()) {
            return Err(invalid_kind);
        }
        let carried = match disposition {
            MACH_MSG_TYPE_COPY_SEND if e.send > 0 => Carried::Send(e.port),
            MACH_MSG_TYPE_MOVE_SEND if e.send > 0 => {
                e.send -= 1;
                Carried::Send(e.port)
            }
            MACH_MSG_TYPE_MAKE_SEND if e.receive => Carried::Send(e.port),
            MACH_MSG_TYPE_MAKE_SEND_ONCE if e.receive => Carried::SendOnce(e.port),
            MACH_MSG_TYPE_MOVE_SEND_ONCE if e.send_once => {
                e.send_once = false;
                Carried::SendOnce(e.port)
            }
            MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MAKE_SEND
            | MACH_MSG_TYPE_MAKE_SEND_ONCE | MACH_MSG_TYPE_MOVE_SEND_ONCE => return Err(invalid_name),
            _ => return Err(invalid_kind),
        };
        space.drop_if_empty(name);
        Ok(carried)
    }

    /// Queues a message from `space` (its header's fields given). Returns
    /// the destination port, whose receiver may be waiting.
    pub fn send(&mut self, space: &mut Space, bits: u32, remote: u32, local: u32, id: i32, body: Vec<u8>) -> Result<PortId, u64> {
        // No descriptors (the complex bit) and no voucher: inline bytes only.
        if bits & !0x1f1f != 0 {
            return Err(MACH_SEND_INVALID_HEADER);
        }
        let (remote_kind, local_kind) = (bits & 0x1f, (bits >> 8) & 0x1f);
        // Check the destination before any right moves.
        let dest_entry = space.names.get(&remote).copied().ok_or(MACH_SEND_INVALID_DEST)?;
        let dest = self.ports.get(&dest_entry.port).ok_or(MACH_SEND_INVALID_DEST)?;
        if dest.kind != Kind::Ordinary {
            // Task ports take MIG requests, which this personality does not serve.
            return Err(MACH_SEND_INVALID_DEST);
        }
        if dest.queue.len() >= QUEUE_LIMIT {
            return Err(MACH_SEND_NO_BUFFER);
        }
        if local_kind != 0 && !space.names.contains_key(&local) {
            return Err(MACH_SEND_INVALID_HEADER);
        }
        let carried = self.take(space, remote, remote_kind, false)?;
        let reply = match local_kind {
            0 => None,
            kind => Some(self.take(space, local, kind, true)?),
        };
        let (port, local_kind) = match carried {
            Carried::Send(p) => (p, MACH_MSG_TYPE_MOVE_SEND),
            Carried::SendOnce(p) => (p, MACH_MSG_TYPE_MOVE_SEND_ONCE),
        };
        let queue = &mut self.ports.get_mut(&port).ok_or(MACH_SEND_INVALID_DEST)?.queue;
        queue.push_back(Message { id, local_kind, body, reply });
        Ok(port)
    }

    /// Whether `port` has a message waiting.
    pub fn has_message(&self, port: PortId) -> bool {
        self.ports.get(&port).is_some_and(|p| !p.queue.is_empty())
    }

    /// Takes the next message of `port`; its reply right, if any, becomes a
    /// name in `space` (returned with it).
    pub fn receive(&mut self, space: &mut Space, port: PortId) -> Option<(Message, u32)> {
        let msg = self.ports.get_mut(&port)?.queue.pop_front()?;
        let reply = match msg.reply {
            // A full space loses the right, as a dead name would.
            Some(right) => space.add_carried(right).unwrap_or(0),
            None => 0,
        };
        Some((msg, reply))
    }
}
