//! The contract between the XNU personality and its user tasks; `ABI.md`
//! explains it. Numbers are XNU's own where XNU has one.
#![no_std]

/// A trap's number travels in x16 (XNU's arm64 convention). Our libSystem
/// also puts `HINT_TAG | number` in x7, which the fault message carries, so
/// XNU need not read x16 from the task's TCB; see `ABI.md`.
pub const HINT_TAG: u64 = 0x5452_4150 << 32;
/// The mask that leaves the hint's tag.
pub const HINT_TAG_MASK: u64 = 0xffff_ffff << 32;

/// The x7 hint for trap `number`.
pub const fn hint(number: i64) -> u64 {
    HINT_TAG | (number as u32 as u64)
}

/// The trap number an x7 value hints at, if it carries the tag.
pub const fn from_hint(x7: u64) -> Option<i64> {
    if x7 & HINT_TAG_MASK == HINT_TAG {
        Some(x7 as u32 as i32 as i64)
    } else {
        None
    }
}

/// BSD system calls (positive numbers, XNU's `syscalls.master`).
pub mod bsd {
    pub const EXIT: i64 = 1;
    pub const READ: i64 = 3;
    pub const WRITE: i64 = 4;
    pub const WAIT4: i64 = 7;
    pub const GETPID: i64 = 20;
    pub const KILL: i64 = 37;
    pub const POSIX_SPAWN: i64 = 244;
    pub const THREAD_SELFID: i64 = 372;
    /// Ours, outside XNU's table: the task list `ps` prints (XNU's tools
    /// use sysctl and libproc, which this personality does not have).
    pub const PROC_LIST: i64 = 600;
    /// Ours: the counter tick at which a task first waited for console
    /// input (the shell's first prompt), 0 before; for `xnubench`.
    pub const PROMPT_TICK: i64 = 601;
    /// Ours: the exclaves resource table as XNU booted it, a record per
    /// resource (`exclaves::LIST_RECORD_BYTES`), for the shell's
    /// `exclaves`; the resource count. ENOENT before EXCLAVECORE.
    pub const EXCLAVES_LIST: i64 = 602;
    /// Ours, where XNU has a kqueue filter: EXCLAVES_NOTIFICATION_WAIT(x0
    /// a notification handle, x1 a mask of event bits, x2 a timeout in ms:
    /// 0 polls, `u64::MAX` waits for ever): the handle's pending events in
    /// the mask (then no longer pending); ETIMEDOUT, EBADF for no
    /// notification handle, EINVAL for an empty mask.
    pub const EXCLAVES_NOTIFICATION_WAIT: i64 = 603;
    /// Ours: EXCLAVES_CONCLAVE_CTL(x0 an operation of `conclave_ctl`, x1 a
    /// conclave id (its CONCLAVE_MANAGER's; 0: the caller's own), x2 a
    /// buffer, x3 its size): the conclave's status record (or its crash
    /// info) into the buffer.
    pub const EXCLAVES_CONCLAVE_CTL: i64 = 604;
}

/// EXCLAVES_CONCLAVE_CTL's operations and its status record.
pub mod conclave_ctl {
    /// Anyone's: the status record.
    pub const STATUS: u64 = 1;
    /// The owner's or its spawner's: the status record after it.
    pub const SUSPEND: u64 = 2;
    pub const RESUME: u64 = 3;
    pub const STOP: u64 = 4;
    /// The owner's or its spawner's: the last crash's page (fault words,
    /// registers, stack words: tightbeam::conclave::crash_page), its length.
    pub const CRASH_INFO: u64 = 5;
    /// `{ state u32 (tightbeam::conclave::State), launches u32, crashes u32,
    /// stop_requests u32, owner pid u32 (0: none), reserved u32 }`.
    pub const STATUS_BYTES: u64 = 24;
}

/// Mach traps (negative numbers, XNU's `mach_trap_table`).
pub mod mach {
    pub const MACH_ABSOLUTE_TIME: i64 = -3;
    pub const MACH_PORT_ALLOCATE: i64 = -16;
    pub const MACH_PORT_DEALLOCATE: i64 = -18;
    pub const MACH_PORT_MOD_REFS: i64 = -19;
    pub const MACH_REPLY_PORT: i64 = -26;
    pub const TASK_SELF_TRAP: i64 = -28;
    pub const MACH_MSG: i64 = -31;
    pub const EXCLAVES_CTL: i64 = -88;
    pub const MACH_TIMEBASE_INFO: i64 = -89;
    pub const MACH_WAIT_UNTIL: i64 = -90;
}

/// errno values (XNU's `sys/errno.h`).
pub mod errno {
    pub const EPERM: u64 = 1;
    pub const ENOENT: u64 = 2;
    pub const ESRCH: u64 = 3;
    pub const E2BIG: u64 = 7;
    pub const ENOEXEC: u64 = 8;
    pub const EBADF: u64 = 9;
    pub const ECHILD: u64 = 10;
    pub const EAGAIN: u64 = 35;
    pub const EFAULT: u64 = 14;
    pub const EIO: u64 = 5;
    pub const EBUSY: u64 = 16;
    pub const EINVAL: u64 = 22;
    pub const ETIMEDOUT: u64 = 60;
    pub const ENOSYS: u64 = 78;
    pub const ENOTSUP: u64 = 45;
    pub const ENAMETOOLONG: u64 = 63;
}

/// `kern_return_t` and `mach_msg_return_t` values (XNU's `mach/kern_return.h`
/// and `mach/message.h`).
pub mod kern {
    pub const KERN_SUCCESS: u64 = 0;
    pub const KERN_INVALID_ADDRESS: u64 = 1;
    pub const KERN_PROTECTION_FAILURE: u64 = 2;
    pub const KERN_NO_SPACE: u64 = 3;
    pub const KERN_INVALID_ARGUMENT: u64 = 4;
    pub const KERN_FAILURE: u64 = 5;
    pub const KERN_RESOURCE_SHORTAGE: u64 = 6;
    pub const KERN_INVALID_NAME: u64 = 15;
    pub const KERN_INVALID_TASK: u64 = 16;
    pub const KERN_INVALID_RIGHT: u64 = 17;
    pub const KERN_INVALID_VALUE: u64 = 18;
    pub const KERN_UREFS_OVERFLOW: u64 = 19;
    pub const KERN_NOT_SUPPORTED: u64 = 46;

    pub const KERN_NAME_EXISTS: u64 = 13;
    pub const KERN_INVALID_CAPABILITY: u64 = 20;
    pub const KERN_DENIED: u64 = 53;
    pub const KERN_NOT_FOUND: u64 = 56;

    pub const MACH_MSG_SUCCESS: u64 = 0;
    pub const MACH_SEND_INVALID_DATA: u64 = 0x1000_0002;
    pub const MACH_SEND_INVALID_DEST: u64 = 0x1000_0003;
    pub const MACH_SEND_MSG_TOO_SMALL: u64 = 0x1000_0008;
    pub const MACH_SEND_NO_BUFFER: u64 = 0x1000_000d;
    pub const MACH_SEND_TOO_LARGE: u64 = 0x1000_000e;
    pub const MACH_SEND_INVALID_HEADER: u64 = 0x1000_0010;
    pub const MACH_RCV_INVALID_NAME: u64 = 0x1000_4002;
    pub const MACH_RCV_TIMED_OUT: u64 = 0x1000_4003;
    pub const MACH_RCV_TOO_LARGE: u64 = 0x1000_4004;
    pub const MACH_RCV_INVALID_DATA: u64 = 0x1000_4008;
}

/// Mach port rights, dispositions and message options (XNU's
/// `mach/port.h` and `mach/message.h`).
pub mod port {
    pub const MACH_PORT_NULL: u32 = 0;
    pub const MACH_PORT_RIGHT_SEND: u64 = 0;
    pub const MACH_PORT_RIGHT_RECEIVE: u64 = 1;
    pub const MACH_PORT_RIGHT_SEND_ONCE: u64 = 2;

    pub const MACH_MSG_TYPE_MOVE_SEND: u32 = 17;
    pub const MACH_MSG_TYPE_MOVE_SEND_ONCE: u32 = 18;
    pub const MACH_MSG_TYPE_COPY_SEND: u32 = 19;
    pub const MACH_MSG_TYPE_MAKE_SEND: u32 = 20;
    pub const MACH_MSG_TYPE_MAKE_SEND_ONCE: u32 = 21;

    pub const MACH_SEND_MSG: u64 = 0x1;
    pub const MACH_RCV_MSG: u64 = 0x2;
    pub const MACH_RCV_TIMEOUT: u64 = 0x100;

    /// `mach_msg_header_t`: bits, size, remote, local, voucher, id.
    pub const HEADER_BYTES: usize = 24;
    /// The largest message this personality queues (inline bytes only).
    pub const MAX_MESSAGE_BYTES: usize = 1024;
    /// Messages a port queues before a send gets `MACH_SEND_NO_BUFFER`.
    pub const QUEUE_LIMIT: usize = 16;
}

/// wait4 options and status words (XNU's `sys/wait.h`).
pub mod wait {
    pub const WNOHANG: u64 = 1;
    /// The status of a task that called exit(code).
    pub const fn exited(code: u64) -> u32 {
        ((code as u32) & 0xff) << 8
    }
    /// The status of a task a signal killed.
    pub const fn signaled(signal: u32) -> u32 {
        signal & 0x7f
    }
    pub const fn is_exited(status: u32) -> bool {
        status & 0x7f == 0
    }
    pub const fn exit_code(status: u32) -> u32 {
        (status >> 8) & 0xff
    }
    pub const fn term_signal(status: u32) -> u32 {
        status & 0x7f
    }
}

/// Signals (XNU's `sys/signal.h`).
pub mod signal {
    pub const SIGILL: u32 = 4;
    pub const SIGKILL: u32 = 9;
    pub const SIGBUS: u32 = 10;
    pub const SIGSEGV: u32 = 11;
    pub const SIGSYS: u32 = 12;
    pub const SIGTERM: u32 = 15;
    /// Signals are 1..NSIG-1.
    pub const NSIG: u32 = 32;
}

/// `posix_spawn`'s attribute block (x2), ours: XNU passes a
/// `_posix_spawn_args_desc`; this keeps only what the personality uses.
pub mod spawn {
    pub const ATTR_VERSION: u32 = 1;
    /// `conclave_id` names no conclave (exclaves part 3 fills it in).
    pub const NO_CONCLAVE: u32 = 0;
    /// Bytes of `SpawnAttr`.
    pub const ATTR_BYTES: usize = 16;
    /// The most argument bytes (strings and pointers) a spawn may pass.
    pub const MAX_ARG_BYTES: usize = 4096;
    pub const MAX_ARGS: usize = 64;

    /// `{ version: u32, flags: u32, conclave_id: u32, bootstrap_port: u32 }`.
    /// `bootstrap_port` names a port in the parent's space (a receive or
    /// send right, 0 for none); the child gets a send right to it, its name
    /// in x2 at entry, as `posix_spawnattr_setspecialport_np` gives a
    /// child its bootstrap port. `flags` must be 0.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct SpawnAttr {
        pub version: u32,
        pub flags: u32,
        pub conclave_id: u32,
        pub bootstrap_port: u32,
    }
}

/// `exclaves_ctl` (Mach trap -88, after XNU's `exclaves_ctl_trap`): x0 a
/// port name (0), x1 the operation in bits 31..24 and flags in 23..0
/// (which must be 0), x2 the identifier, x3 a buffer, x4 its size.
pub mod exclaves {
    pub const OP_SHIFT: u32 = 24;
    pub const FLAGS_MASK: u64 = 0x00ff_ffff;
    pub const ENDPOINT_CALL: u64 = 1;
    pub const NAMED_BUFFER_CREATE: u64 = 2;
    pub const NAMED_BUFFER_COPYIN: u64 = 3;
    pub const NAMED_BUFFER_COPYOUT: u64 = 4;
    pub const BOOT: u64 = 5;
    pub const LAUNCH_CONCLAVE: u64 = 6;
    pub const LOOKUP_SERVICES: u64 = 7;
    pub const AUDIO_BUFFER_CREATE: u64 = 8;
    pub const AUDIO_BUFFER_COPYOUT: u64 = 9;
    pub const SENSOR_CREATE: u64 = 10;
    pub const SENSOR_START: u64 = 11;
    pub const SENSOR_STOP: u64 = 12;
    pub const SENSOR_STATUS: u64 = 13;
    pub const NOTIFICATION_RESOURCE_LOOKUP: u64 = 14;
    pub const SENSOR_MIN_ON_TIME: u64 = 15;

    /// BOOT's identifier: the stage to reach.
    pub const STAGE_EXCLAVECORE: u64 = 0;
    pub const STAGE_EXCLAVEKIT: u64 = 100;
    pub const STAGE_FAILED: u64 = 200;

    /// ENDPOINT_CALL's buffer: exactly one tightbeam message.
    pub const MESSAGE_BYTES: u64 = 512;
    /// Service ids are below this.
    pub const MAX_SERVICE_ID: u64 = 192;

    /// LOOKUP_SERVICES's buffer: `{ name: [u8; 128] NUL-padded, id: u64 }`;
    /// XNU writes the id.
    pub const LOOKUP_NAME_BYTES: usize = 128;
    pub const LOOKUP_RECORD_BYTES: u64 = 136;

    /// `EXCLAVES_LIST`'s record: `{ domain: [u8; 32], name: [u8; 128],
    /// type: u32 (the table's numbering), connected: u32, id: u64 }`,
    /// names NUL-padded.
    pub const LIST_DOMAIN_BYTES: usize = 32;
    pub const LIST_NAME_BYTES: usize = 128;
    pub const LIST_RECORD_BYTES: usize = LIST_DOMAIN_BYTES + LIST_NAME_BYTES + 16;

    /// NAMED_BUFFER_CREATE's perm (x5): what the task will do with the
    /// buffer (XNU's `exclaves_buffer_perm_t`).
    pub const BUFFER_PERM_READ: u64 = 1;
    pub const BUFFER_PERM_WRITE: u64 = 2;
    /// SENSOR_MIN_ON_TIME's buffer: `{ version: u32 (in: 1), reserved: u32,
    /// deadlines: [u64; 4] }`, a deadline per sensor kind (1 to 4, at
    /// index kind - 1) in `mach_absolute_time` units, 0 once satisfied.
    pub const MIN_ON_TIME_VERSION: u32 = 1;
    pub const MIN_ON_TIME_BYTES: u64 = 40;
    /// Sensor statuses (XNU's `exclaves_sensor_status_t`).
    pub const SENSOR_STATUS_ALLOWED: u32 = 1;
    pub const SENSOR_STATUS_DENIED: u32 = 2;
    pub const SENSOR_STATUS_CONTROL: u32 = 3;
    pub const SENSOR_STATUS_PENDING: u32 = 4;

    /// The longest resource name, without its NUL.
    pub const NAME_MAX: usize = LOOKUP_NAME_BYTES - 1;

    /// x1 for operation `op` with no flags.
    pub const fn op_word(op: u64) -> u64 {
        op << OP_SHIFT
    }
}

/// The fast call: a task's seL4 Call on its own channel to XNU, which takes
/// the kernel's fastpath (a trap is a fault, which never does), for the
/// calls that never block (ABI.md, "The fast call"). x0 the cap, x1 the
/// message info (label: which call; length: its words), x2.. the words; the
/// reply's first word is the call's `kern_return_t`.
pub mod fast {
    /// The task's end of its channel to XNU: the monitor puts the PPC cap of
    /// channel `c` in slot 74 + `c`, and the task's channel is 0.
    pub const CAP: u64 = 74;
    /// XNU's channel id for task slot `s` is `FIRST_XNU_CHANNEL + s`.
    pub const FIRST_XNU_CHANNEL: u8 = 16;
    /// ENDPOINT_CALL: words id, buffer, size (as `exclaves_ctl`'s x2-x4).
    pub const ENDPOINT_CALL: u64 = 1;
    pub const ENDPOINT_CALL_WORDS: usize = 3;
    /// NAMED_BUFFER_COPYIN and COPYOUT: words handle, buffer, then each
    /// range as one word (`range`), so that the call fits the fastpath's
    /// four; a range that does not fit goes as the trap.
    pub const BUFFER_COPYIN: u64 = 2;
    pub const BUFFER_COPYOUT: u64 = 3;
    pub const BUFFER_COPY_WORDS: usize = 4;

    /// A (size, offset) range in one word: size in the low half.
    pub fn range(size: u64, offset: u64) -> Option<u64> {
        let (size, offset) = (u32::try_from(size).ok()?, u32::try_from(offset).ok()?);
        Some(u64::from(size) | u64::from(offset) << 32)
    }

    /// The range a word holds: (size, offset).
    pub const fn unrange(word: u64) -> (u64, u64) {
        (word & 0xffff_ffff, word >> 32)
    }
    /// The answer when XNU cannot finish the call without blocking (before
    /// EXCLAVECORE): make it as the trap instead. No `kern_return_t` is this.
    pub const USE_TRAP: u64 = 0x7472_6170;
}

/// The record `PROC_LIST` writes per task.
pub mod proc {
    pub const NAME_BYTES: usize = 24;
    pub const STATE_RUNNING: u32 = 1;
    pub const STATE_BLOCKED: u32 = 2;
    pub const STATE_ZOMBIE: u32 = 3;
    /// `{ pid: u32, ppid: u32, state: u32, slot: u32, name: [u8; NAME_BYTES] }`.
    pub const RECORD_BYTES: usize = 16 + NAME_BYTES;
}

/// A task's address space: each segment of a program must fall inside the
/// region of its permissions, which the slot maps with those permissions.
pub mod layout {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Region {
        pub base: u64,
        pub size: u64,
    }
    impl Region {
        pub const fn end(&self) -> u64 {
            self.base + self.size
        }
    }
    /// Code (read, execute).
    pub const TEXT: Region = Region { base: 0x1000_0000, size: 0x10_0000 };
    /// Constants (read only).
    pub const RODATA: Region = Region { base: 0x1020_0000, size: 0x10_0000 };
    /// Data and bss (read, write).
    pub const DATA: Region = Region { base: 0x1040_0000, size: 0x10_0000 };
    /// The stack (read, write); argv is laid out at its top.
    pub const STACK: Region = Region { base: 0x1060_0000, size: 0x4_0000 };
    pub const REGIONS: [Region; 4] = [TEXT, RODATA, DATA, STACK];

    /// Writes the linker script of a program at this layout (XNU's user
    /// programs, and the conclaves their manager loads the same way): code,
    /// constants and data each in the region of its permissions.
    pub fn linker_script(out: &mut impl core::fmt::Write) -> core::fmt::Result {
        write!(
            out,
            "ENTRY(_start)
PHDRS {{ text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }}
SECTIONS {{
  . = {text:#x};
  .text : {{ *(.text._start) *(.text .text.*) }} :text
  __text_end = .;
  . = {rodata:#x};
  .rodata : {{ *(.rodata .rodata.*) *(.eh_frame_hdr) *(.eh_frame) }} :rodata
  __rodata_end = .;
  . = {data:#x};
  .data : {{ *(.data .data.*) *(.got .got.*) }} :data
  .bss (NOLOAD) : {{ *(.bss .bss.*) *(COMMON) }} :data
}}
",
            text = TEXT.base,
            rodata = RODATA.base,
            data = DATA.base,
        )
    }
}
