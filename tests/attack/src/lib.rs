//! Shared by the PDs of the attack systems (`systems/`, the ATTACK tests):
//! the sealed verdict a judging PD prints, and the probes attackers run.
//!
//! A judge is never the attacker. Its lines end with ` [seal TOKEN]`, a token
//! made once per build tree (`build/<config>/log-seal`) and compiled only into
//! the judges (the `judge!` macro expands `env!` in the judge's own program)
//! and the attack suite's monitor. The harness, given the token, counts only
//! sealed lines towards a pass, so an attacker that prints anything cannot
//! pass a case; it can only make one fail.
#![no_std]

pub use microkit_examples::{ensure, report_tagged};

/// Reports `result` as the one-test suite `name`, each line sealed.
#[macro_export]
macro_rules! judge {
    ($name:expr, $description:expr, $result:expr) => {
        $crate::report_tagged($name, $description, $result, concat!(" [seal ", env!("ATTACK_LOG_SEAL"), "]"))
    };
}

/// Receives on `slot`, a cap this PD should only send on (the thieves). The
/// rights the monitor gives make it a cap fault of this PD's own; if it
/// returns, the message it stole is printed.
pub fn receive_on(slot: u64) {
    let (info, badge) = sel4::Cap::<sel4::cap_type::Endpoint>::from_bits(slot).recv();
    sel4::debug_println!("STOLE a message on slot {slot}: badge {badge:#x} label {}", info.label());
}

/// ATTACK0019's probes of the key service, shared by the asker (which
/// sends them) and the judge (which looks at each answer, and knows how
/// many there are).
pub mod keys_probe {
    use tightbeam::keys::Derive;
    use tightbeam::{encode_request, Request, MESSAGE_BYTES};

    /// The asker's calls to the judge: look at my page; I am done.
    pub const LOOK: u64 = 1;
    pub const DONE: u64 = 2;

    pub enum Probe {
        /// A bare call with this message in the page.
        Message([u8; MESSAGE_BYTES]),
        /// A call with a label and words, the page as it was.
        Call { label: u64, words: usize },
    }

    /// Identities XNU is not allowed, or that try the policy's syntax.
    const IDENTITIES: [&[u8]; 9] =
        [b"exclave:storage", b"exclave:", b"exclave:*", b"*", b"secret", b"device-secret", b"1 exclave:storage", b"vm:*", b"task"];

    /// Header fields (service, method, version, flags, len, status) and payload.
    fn raw(fields: (u16, u16, u16, u16, u32, u32), payload: &[u8]) -> [u8; MESSAGE_BYTES] {
        let (service, method, version, flags, len, status) = fields;
        let mut m = [0u8; MESSAGE_BYTES];
        for (at, v) in [(0, service), (2, method), (4, version), (6, flags)] {
            m[at..at + 2].copy_from_slice(&v.to_le_bytes());
        }
        m[8..12].copy_from_slice(&len.to_le_bytes());
        m[12..16].copy_from_slice(&status.to_le_bytes());
        let n = payload.len().min(MESSAGE_BYTES - 16);
        m[16..16 + n].copy_from_slice(&payload[..n]);
        m
    }

    fn derive(identity: &[u8]) -> [u8; MESSAGE_BYTES] {
        let mut m = [0u8; MESSAGE_BYTES];
        // Identities of 1 to 64 bytes encode; the list has no other.
        let _ = encode_request(&Request::Derive(Derive { identity }), &mut m);
        m
    }

    /// Every probe, in order.
    pub fn probes() -> impl Iterator<Item = Probe> {
        let every_method = (0u16..32).flat_map(|service| (0u16..16).map(move |method| raw((service, method, 1, 0, 6, 0), b"task:x")));
        let identities = IDENTITIES.into_iter().map(derive);
        // The key service's own header, out of protocol in each field.
        let headers = [
            (11, 1, 0, 0, 15, 0),
            (11, 1, 2, 0, 15, 0),
            (11, 1, 0xffff, 0, 15, 0),
            (11, 1, 1, 1, 15, 0),
            (11, 1, 1, 0, 15, 1),
            (11, 1, 1, 0, 0, 0),
            (11, 1, 1, 0, 65, 0),
            (11, 1, 1, 0, 497, 0),
            (11, 1, 1, 0, u32::MAX, 0),
        ]
        .into_iter()
        .map(|h| raw(h, b"exclave:storage"));
        let calls = [(1, 0), (2, 0), (3, 0), (0x7fff, 0), (0, 1), (0, 4)].map(|(label, words)| Probe::Call { label, words });
        every_method.chain(identities).chain(headers).map(Probe::Message).chain(calls)
    }

    pub fn count() -> usize {
        probes().count()
    }
}

/// Probing CNode slots from a child PD. Invocations on a slot that holds
/// nothing return an error (the attacker learns nothing, and nothing
/// happens); a Recv on it is a cap fault, which the parent (the judge)
/// checks against the plan and answers by restarting the child, whose memory
/// (and so its place in the plan) survives the restart.
pub mod sweep {
    use core::sync::atomic::{AtomicUsize, Ordering};

    use monitor_spec::abi::slot;
    use sel4::cap_type::{CNode, Endpoint, IrqControl, Tcb, Untyped};
    use sel4::{Cap, CapRights, Fault, ObjectType};
    use sel4_microkit::{debug_println, Channel};

    /// What to probe.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Plan {
        /// Every slot of a PD that holds only its input and fault endpoint
        /// (0, and 3..=511): TCB, CNode, Untyped and IRQ control
        /// invocations, then a Recv.
        EmptySlots,
        /// Every child-TCB slot (202..=265) of a child: TCB suspend, set
        /// priority and write registers.
        ChildTcbSlots,
    }

    impl Plan {
        pub fn len(self) -> usize {
            match self {
                Plan::EmptySlots => 510,
                Plan::ChildTcbSlots => 64,
            }
        }

        /// The `k`th slot probed.
        pub fn slot(self, k: usize) -> Option<u64> {
            (k < self.len()).then(|| match self {
                Plan::EmptySlots if k == 0 => 0,
                Plan::EmptySlots => k as u64 + 2,
                Plan::ChildTcbSlots => slot::CHILD_TCB_BASE + k as u64,
            })
        }

        /// The faults the plan gives: one Recv cap fault per slot, or none.
        pub fn faults(self) -> usize {
            match self {
                Plan::EmptySlots => self.len(),
                Plan::ChildTcbSlots => 0,
            }
        }

        /// True when `fault` is the cap fault the Recv on slot `k` must give.
        pub fn faulted_as_planned(self, k: usize, fault: Fault) -> bool {
            let Some(slot) = self.slot(k).filter(|_| self.faults() > 0) else { return false };
            matches!(fault, Fault::CapFault { addr, in_recv_phase: true, .. } if addr == slot)
        }
    }

    /// In the child: probes from where the last run stopped, then notifies
    /// the parent.
    pub fn attack(plan: Plan, next: &AtomicUsize, parent: Channel) {
        while let Some(slot) = plan.slot(next.fetch_add(1, Ordering::Relaxed)) {
            let outcomes = match plan {
                Plan::EmptySlots => [
                    Cap::<Tcb>::from_bits(slot).tcb_suspend(),
                    Cap::<CNode>::from_bits(slot).cnode_copy(0, 64, Cap::from_bits(slot), 1, 64, CapRights::all()),
                    Cap::<Untyped>::from_bits(slot).untyped_retype(ObjectType::Tcb as u64, 0, Cap::from_bits(slot), 0, 0, 0, 1),
                    Cap::<IrqControl>::from_bits(slot).irq_control_get(33, Cap::from_bits(slot), 0, 64),
                ],
                Plan::ChildTcbSlots => {
                    let tcb = Cap::<Tcb>::from_bits(slot);
                    let regs = sel4::UserContext::default();
                    [tcb.tcb_suspend(), tcb.tcb_set_priority(0), tcb.tcb_write_registers(false, 0, 2, &regs), tcb.tcb_resume()]
                }
            };
            if outcomes.iter().any(Result::is_ok) {
                debug_println!("an invocation on slot {slot} succeeded");
            }
            if plan == Plan::EmptySlots {
                // A cap fault: the parent restarts us at the next slot.
                Cap::<Endpoint>::from_bits(slot).recv();
                debug_println!("a Recv on slot {slot} returned");
            }
        }
        let _ = parent.notify();
    }
}
