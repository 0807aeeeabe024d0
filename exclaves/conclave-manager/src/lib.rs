//! A conclave's lifecycle as its manager keeps it: the state
//! ([`tightbeam::conclave::State`]), the counters it reports, and the last
//! crash. Every transition is a method that checks the state first and
//! refuses with the protocol's [`refusal`] codes, leaving the state as it
//! was; the manager's side effects (loading the image, the child's TCB)
//! run inside the transition, only once it is allowed.
//!
//! ```text
//! NotBooted|Exited|Crashed|Killed --launch--> Running <--suspend/resume--> Suspended
//! Running|Suspended --stop--> Killed
//! Running --fault--> Crashed        Running --exit--> Exited
//! ```
#![no_std]

pub mod crash;
pub mod runtime;

use tightbeam::conclave::{refusal, ConclaveStatus, State};
use tightbeam::ErrorCode;

pub use crash::CrashRecord;

/// One conclave's state and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    state: State,
    launches: u32,
    crashes: u32,
    stop_requests: u32,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    pub const fn new() -> Self {
        Lifecycle { state: State::NotBooted, launches: 0, crashes: 0, stop_requests: 0 }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn status(&self) -> ConclaveStatus {
        ConclaveStatus { state: self.state, launches: self.launches, crashes: self.crashes, stop_requests: self.stop_requests }
    }

    /// Launches it with `load` (stop the child, clear and load its memory,
    /// start it) if it is not running or suspended. A failed `load` leaves
    /// the state and counters as they were.
    pub fn launch(&mut self, load: impl FnOnce() -> Result<(), ErrorCode>) -> Result<ConclaveStatus, ErrorCode> {
        if matches!(self.state, State::Running | State::Suspended) {
            return Err(refusal::ALREADY_LAUNCHED);
        }
        load()?;
        self.state = State::Running;
        self.launches = self.launches.saturating_add(1);
        Ok(self.status())
    }

    pub fn suspend(&mut self, op: impl FnOnce() -> Result<(), ErrorCode>) -> Result<ConclaveStatus, ErrorCode> {
        self.move_from(&[State::Running], State::Suspended, op)
    }

    pub fn resume(&mut self, op: impl FnOnce() -> Result<(), ErrorCode>) -> Result<ConclaveStatus, ErrorCode> {
        self.move_from(&[State::Suspended], State::Running, op)
    }

    /// Its host stops it (Killed).
    pub fn stop(&mut self, op: impl FnOnce() -> Result<(), ErrorCode>) -> Result<ConclaveStatus, ErrorCode> {
        self.move_from(&[State::Running, State::Suspended], State::Killed, op)
    }

    /// It faulted. Only a running conclave crashes: a fault in any other
    /// state (of `task-slot.elf`, which the child holds before its first
    /// launch) is not its crash, and `false` says so.
    pub fn crashed(&mut self) -> bool {
        if self.state != State::Running {
            return false;
        }
        self.state = State::Crashed;
        self.crashes = self.crashes.saturating_add(1);
        true
    }

    /// It ended itself.
    pub fn exited(&mut self) -> Result<ConclaveStatus, ErrorCode> {
        self.move_from(&[State::Running], State::Exited, || Ok(()))
    }

    /// It asked for its host task to be stopped (the stop upcall).
    pub fn stop_requested(&mut self) -> Result<ConclaveStatus, ErrorCode> {
        if self.state != State::Running {
            return Err(refusal::WRONG_STATE);
        }
        self.stop_requests = self.stop_requests.saturating_add(1);
        Ok(self.status())
    }

    fn move_from(&mut self, from: &[State], to: State, op: impl FnOnce() -> Result<(), ErrorCode>) -> Result<ConclaveStatus, ErrorCode> {
        if !from.contains(&self.state) {
            return Err(refusal::WRONG_STATE);
        }
        op()?;
        self.state = to;
        Ok(self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Result<(), ErrorCode> {
        Ok(())
    }

    fn running() -> Lifecycle {
        let mut c = Lifecycle::new();
        c.launch(ok).unwrap();
        c
    }

    #[test]
    fn a_new_conclave_is_not_booted() {
        let c = Lifecycle::new();
        assert_eq!(c.status(), ConclaveStatus { state: State::NotBooted, launches: 0, crashes: 0, stop_requests: 0 });
    }

    #[test]
    fn launch_runs_it_and_counts() {
        let mut c = Lifecycle::new();
        let s = c.launch(ok).unwrap();
        assert_eq!((s.state, s.launches), (State::Running, 1));
    }

    #[test]
    fn launch_of_a_running_or_suspended_conclave_is_refused() {
        let mut c = running();
        let mut loaded = false;
        assert_eq!(c.launch(|| { loaded = true; Ok(()) }), Err(refusal::ALREADY_LAUNCHED));
        assert!(!loaded, "a refused launch must not load");
        c.suspend(ok).unwrap();
        assert_eq!(c.launch(ok), Err(refusal::ALREADY_LAUNCHED));
        assert_eq!((c.state(), c.status().launches), (State::Suspended, 1));
    }

    #[test]
    fn a_failed_load_leaves_the_state() {
        let mut c = Lifecycle::new();
        assert_eq!(c.launch(|| Err(refusal::NO_IMAGE)), Err(refusal::NO_IMAGE));
        assert_eq!(c.status(), Lifecycle::new().status());
    }

    #[test]
    fn suspend_and_resume_alternate() {
        let mut c = running();
        assert_eq!(c.suspend(ok).unwrap().state, State::Suspended);
        assert_eq!(c.suspend(ok), Err(refusal::WRONG_STATE));
        assert_eq!(c.resume(ok).unwrap().state, State::Running);
        assert_eq!(c.resume(ok), Err(refusal::WRONG_STATE));
    }

    #[test]
    fn wrong_states_are_refused_without_side_effects() {
        let mut c = Lifecycle::new();
        let mut ran = false;
        assert_eq!(c.suspend(|| { ran = true; Ok(()) }), Err(refusal::WRONG_STATE));
        assert_eq!(c.resume(|| { ran = true; Ok(()) }), Err(refusal::WRONG_STATE));
        assert_eq!(c.stop(|| { ran = true; Ok(()) }), Err(refusal::WRONG_STATE));
        assert_eq!(c.exited(), Err(refusal::WRONG_STATE));
        assert_eq!(c.stop_requested(), Err(refusal::WRONG_STATE));
        assert!(!ran);
        assert_eq!(c.state(), State::NotBooted);
    }

    #[test]
    fn stop_kills_a_running_or_suspended_conclave() {
        let mut c = running();
        assert_eq!(c.stop(ok).unwrap().state, State::Killed);
        assert_eq!(c.stop(ok), Err(refusal::WRONG_STATE));
        let mut c = running();
        c.suspend(ok).unwrap();
        assert_eq!(c.stop(ok).unwrap().state, State::Killed);
    }

    #[test]
    fn a_failed_tcb_operation_leaves_the_state() {
        let mut c = running();
        assert_eq!(c.suspend(|| Err(ErrorCode::INTERNAL)), Err(ErrorCode::INTERNAL));
        assert_eq!(c.state(), State::Running);
    }

    #[test]
    fn only_a_running_conclave_crashes() {
        let mut c = Lifecycle::new();
        assert!(!c.crashed(), "a fault of task-slot.elf before the first launch is no crash");
        c.launch(ok).unwrap();
        assert!(c.crashed());
        assert_eq!((c.state(), c.status().crashes), (State::Crashed, 1));
        assert!(!c.crashed(), "a crashed conclave does not crash again");
        assert_eq!(c.status().crashes, 1);
        assert_eq!(c.suspend(ok), Err(refusal::WRONG_STATE));
        assert_eq!(c.stop(ok), Err(refusal::WRONG_STATE));
        let mut s = running();
        s.suspend(ok).unwrap();
        assert!(!s.crashed());
    }

    #[test]
    fn exit_ends_a_running_conclave() {
        let mut c = running();
        assert_eq!(c.exited().unwrap().state, State::Exited);
        assert_eq!(c.exited(), Err(refusal::WRONG_STATE));
    }

    #[test]
    fn it_relaunches_from_every_ended_state() {
        let mut c = running();
        c.exited().unwrap();
        c.launch(ok).unwrap();
        assert!(c.crashed());
        c.launch(ok).unwrap();
        c.stop(ok).unwrap();
        let s = c.launch(ok).unwrap();
        assert_eq!(s, ConclaveStatus { state: State::Running, launches: 4, crashes: 1, stop_requests: 0 });
    }

    #[test]
    fn stop_requests_count_while_running() {
        let mut c = running();
        c.stop_requested().unwrap();
        assert_eq!(c.stop_requested().unwrap().stop_requests, 2);
        c.suspend(ok).unwrap();
        assert_eq!(c.stop_requested(), Err(refusal::WRONG_STATE));
        assert_eq!(c.status().stop_requests, 2);
    }
}
