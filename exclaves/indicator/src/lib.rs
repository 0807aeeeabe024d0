//! What the indicator controller exclave decides about sensors, as plain
//! state it can test on the host: who started which sensor how often, what
//! the consent policy says each sensor's status is, and whether the privacy
//! indicator is on. XNU can only ask; these answers are the exclave's.
//!
//! The rules (EXCLAVES.md, "Sensors and the indicator"):
//! - starts are counted per sensor and per client; the first start really
//!   starts the sensor, later ones only report status; a stop without a
//!   start of that client's is refused;
//! - a sensor delivers data while it is started and its status is ALLOWED;
//! - the indicator is on while any sensor delivers, and for at least
//!   [`MIN_ON_NS`] after the last stop of a delivering sensor;
//! - time is the counter value the caller passes (`now`): the off decision
//!   reads it, so a late or missed timer event can only keep the indicator
//!   on longer, never turn it off early.
#![no_std]

pub use exclaves_table::SensorKind;

/// The indicator's minimum on time after the last stop: 3.1 s.
pub const MIN_ON_NS: u64 = 3_100_000_000;
/// Clients (task handles) that may hold starts of one sensor at once.
pub const MAX_CLIENTS: usize = 16;

/// A sensor's status, as XNU's `exclaves_sensor_status_t` numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Its data may be delivered.
    Allowed = 1,
    /// Never for XNU's clients.
    Denied = 2,
    /// Controlled by the exclave side (Face ID): XNU's starts do not turn it on.
    Control = 3,
    /// Waiting for a consent that has not come.
    Pending = 4,
}

/// What the controller's policy (its own manifest, outside XNU) says of a sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Allow,
    Deny,
    /// The exclave side drives the sensor; XNU only sees CONTROL.
    Control,
    /// Consent is asked for and not given yet: PENDING.
    Ask,
}

impl Consent {
    fn status(self) -> Status {
        match self {
            Consent::Allow => Status::Allowed,
            Consent::Deny => Status::Denied,
            Consent::Control => Status::Control,
            Consent::Ask => Status::Pending,
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A stop with no start of that client's (XNU: KERN_INVALID_ARGUMENT).
    NotStarted,
    /// More clients than [`MAX_CLIENTS`] hold starts of the sensor.
    TooManyClients,
    /// A start count would overflow.
    TooManyStarts,
}

/// Who asks: XNU names its tasks' handles with these.
pub type Client = u32;

#[derive(Debug, Clone, Copy, Default)]
struct Sensor {
    /// (client, its starts), for clients with starts.
    starts: [Option<(Client, u32)>; MAX_CLIENTS],
    /// The indicator stays on until this counter value, after the last
    /// stop of this sensor while it delivered.
    on_until: u64,
}

impl Sensor {
    fn total(&self) -> u64 {
        self.starts.iter().flatten().map(|&(_, n)| u64::from(n)).sum()
    }
}

/// Every sensor's state, under one consent policy.
pub struct Sensors {
    policy: [Consent; 4],
    sensors: [Sensor; 4],
    min_on_ticks: u64,
}

fn index(kind: SensorKind) -> usize {
    kind as usize - 1
}

impl Sensors {
    /// `policy` in [`SensorKind::ALL`]'s order; `ticks_per_second` is the
    /// counter's rate.
    pub fn new(policy: [Consent; 4], ticks_per_second: u64) -> Self {
        let min_on_ticks = (u128::from(MIN_ON_NS) * u128::from(ticks_per_second)).div_ceil(1_000_000_000);
        Sensors { policy, sensors: [Sensor::default(); 4], min_on_ticks: u64::try_from(min_on_ticks).unwrap_or(u64::MAX) }
    }

    pub fn status(&self, kind: SensorKind) -> Status {
        self.policy[index(kind)].status()
    }

    /// Whether `kind` delivers data now: started, and allowed.
    pub fn delivering(&self, kind: SensorKind) -> bool {
        self.sensors[index(kind)].total() > 0 && self.status(kind) == Status::Allowed
    }

    /// A start of `kind` by `client`: its status.
    pub fn start(&mut self, kind: SensorKind, client: Client) -> Result<Status, Error> {
        let sensor = &mut self.sensors[index(kind)];
        let slot = match sensor.starts.iter().position(|s| matches!(s, Some((c, _)) if *c == client)) {
            Some(i) => i,
            None => {
                let free = sensor.starts.iter().position(Option::is_none).ok_or(Error::TooManyClients)?;
                sensor.starts[free] = Some((client, 0));
                free
            }
        };
        if let Some((_, n)) = &mut sensor.starts[slot] {
            *n = n.checked_add(1).ok_or(Error::TooManyStarts)?;
        }
        Ok(self.status(kind))
    }

    /// A stop of `kind` by `client` at counter value `now`: its status.
    pub fn stop(&mut self, kind: SensorKind, client: Client, now: u64) -> Result<Status, Error> {
        let was_delivering = self.delivering(kind);
        let sensor = &mut self.sensors[index(kind)];
        let slot = sensor.starts.iter().position(|s| matches!(s, Some((c, _)) if *c == client)).ok_or(Error::NotStarted)?;
        if let Some((_, n)) = &mut sensor.starts[slot] {
            *n -= 1;
            if *n == 0 {
                sensor.starts[slot] = None;
            }
        }
        self.stopped(kind, was_delivering, now);
        Ok(self.status(kind))
    }

    /// `client` is gone (its task died): every start it held is stopped.
    pub fn client_gone(&mut self, client: Client, now: u64) {
        for kind in SensorKind::ALL {
            let was_delivering = self.delivering(kind);
            for s in &mut self.sensors[index(kind)].starts {
                if matches!(s, Some((c, _)) if *c == client) {
                    *s = None;
                }
            }
            self.stopped(kind, was_delivering, now);
        }
    }

    /// After starts went: a sensor that delivered and no longer does keeps
    /// the indicator on for the minimum time from `now`.
    fn stopped(&mut self, kind: SensorKind, was_delivering: bool, now: u64) {
        if was_delivering && !self.delivering(kind) {
            self.sensors[index(kind)].on_until = now.saturating_add(self.min_on_ticks);
        }
    }

    /// Whether the indicator is on at counter value `now`.
    pub fn indicator_on(&self, now: u64) -> bool {
        SensorKind::ALL.into_iter().any(|k| self.delivering(k) || now < self.sensors[index(k)].on_until)
    }

    /// SENSOR_MIN_ON_TIME: the counter value until which `kind`'s last stop
    /// keeps the indicator on; 0 while it delivers (no stop to count from
    /// yet), once that is past, or if it never delivered.
    pub fn min_on_deadline(&self, kind: SensorKind, now: u64) -> u64 {
        let until = self.sensors[index(kind)].on_until;
        if now < until && !self.delivering(kind) {
            until
        } else {
            0
        }
    }

    /// The next counter value at which the indicator may turn off, if it
    /// is on only for a minimum on time (when to wake and look again).
    pub fn next_off(&self, now: u64) -> Option<u64> {
        if SensorKind::ALL.into_iter().any(|k| self.delivering(k)) {
            return None;
        }
        SensorKind::ALL.into_iter().map(|k| self.sensors[index(k)].on_until).filter(|&u| u > now).max()
    }
}

#[cfg(test)]
mod tests;
