extern crate std;

use proptest::prelude::*;

use super::*;

/// The counter's rate on QEMU's virt board.
const HZ: u64 = 62_500_000;
const MIC: SensorKind = SensorKind::Mic;
const CAM: SensorKind = SensorKind::Cam;

fn sensors() -> Sensors {
    Sensors::new([Consent::Allow, Consent::Allow, Consent::Control, Consent::Deny], HZ)
}

fn secs(s: f64) -> u64 {
    (s * HZ as f64) as u64
}

#[test]
fn starts_are_counted_per_client() {
    let mut s = sensors();
    assert_eq!(s.start(MIC, 1), Ok(Status::Allowed));
    assert_eq!(s.start(MIC, 1), Ok(Status::Allowed));
    assert_eq!(s.start(MIC, 2), Ok(Status::Allowed));
    assert_eq!(s.stop(MIC, 1, 0), Ok(Status::Allowed));
    assert_eq!(s.stop(MIC, 2, 0), Ok(Status::Allowed));
    assert!(s.delivering(MIC), "client 1 still holds a start");
    assert_eq!(s.stop(MIC, 1, 0), Ok(Status::Allowed));
    assert!(!s.delivering(MIC));
    assert_eq!(s.stop(MIC, 1, 0), Err(Error::NotStarted));
}

#[test]
fn a_stop_needs_a_start_of_that_client() {
    let mut s = sensors();
    assert_eq!(s.stop(MIC, 1, 0), Err(Error::NotStarted));
    s.start(MIC, 1).unwrap();
    assert_eq!(s.stop(MIC, 2, 0), Err(Error::NotStarted), "another client's start is not this one's");
    assert!(s.delivering(MIC));
}

#[test]
fn the_indicator_stays_on_for_the_minimum_time_after_the_last_stop() {
    let mut s = sensors();
    assert!(!s.indicator_on(0));
    s.start(MIC, 1).unwrap();
    assert!(s.indicator_on(secs(100.0)), "on while the microphone delivers");
    let stop = secs(100.0);
    s.stop(MIC, 1, stop).unwrap();
    assert!(s.indicator_on(stop + secs(3.0)));
    assert!(s.indicator_on(stop + secs(3.1) - 1));
    assert!(!s.indicator_on(stop + secs(3.1)));
    assert_eq!(s.next_off(stop), Some(stop + secs(3.1)));
}

#[test]
fn min_on_deadlines_are_reported_then_zero() {
    let mut s = sensors();
    assert_eq!(s.min_on_deadline(MIC, 0), 0, "never ran");
    s.start(MIC, 7).unwrap();
    assert_eq!(s.min_on_deadline(MIC, 10), 0, "running, not stopped");
    s.stop(MIC, 7, 1000).unwrap();
    assert_eq!(s.min_on_deadline(MIC, 1001), 1000 + secs(3.1));
    assert_eq!(s.min_on_deadline(MIC, 1000 + secs(3.1)), 0);
    assert_eq!(s.min_on_deadline(CAM, 1001), 0, "another sensor's deadline");
}

#[test]
fn a_restart_within_the_minimum_time_extends_it_from_the_new_stop() {
    let mut s = sensors();
    s.start(CAM, 1).unwrap();
    s.stop(CAM, 1, secs(1.0)).unwrap();
    s.start(CAM, 1).unwrap();
    assert_eq!(s.min_on_deadline(CAM, secs(1.5)), 0, "no deadline while it delivers again");
    s.stop(CAM, 1, secs(2.0)).unwrap();
    assert!(s.indicator_on(secs(5.0)));
    assert!(!s.indicator_on(secs(5.1)));
}

#[test]
fn only_allowed_sensors_deliver_and_light_the_indicator() {
    let mut s = sensors();
    assert_eq!(s.start(SensorKind::CamAltFaceidDelayed, 1), Ok(Status::Denied));
    assert_eq!(s.start(SensorKind::CamAltFaceid, 1), Ok(Status::Control));
    assert!(!s.delivering(SensorKind::CamAltFaceidDelayed) && !s.delivering(SensorKind::CamAltFaceid));
    assert!(!s.indicator_on(0));
    s.stop(SensorKind::CamAltFaceidDelayed, 1, 5).unwrap();
    assert_eq!(s.min_on_deadline(SensorKind::CamAltFaceidDelayed, 6), 0, "a sensor that never delivered keeps nothing on");
    let mut pending = Sensors::new([Consent::Ask; 4], HZ);
    assert_eq!(pending.start(MIC, 1), Ok(Status::Pending));
    assert!(!pending.indicator_on(0));
}

#[test]
fn a_client_that_goes_stops_its_starts() {
    let mut s = sensors();
    s.start(MIC, 1).unwrap();
    s.start(MIC, 1).unwrap();
    s.start(CAM, 1).unwrap();
    s.start(CAM, 2).unwrap();
    s.client_gone(1, secs(10.0));
    assert!(!s.delivering(MIC), "its two microphone starts went");
    assert!(s.delivering(CAM), "client 2's camera start stays");
    assert_eq!(s.stop(MIC, 1, secs(10.0)), Err(Error::NotStarted));
    assert!(s.indicator_on(secs(13.0)));
    assert_eq!(s.min_on_deadline(MIC, secs(10.0)), secs(10.0) + secs(3.1));
}

#[test]
fn clients_are_bounded() {
    let mut s = sensors();
    for c in 0..MAX_CLIENTS as u32 {
        s.start(MIC, c).unwrap();
    }
    assert_eq!(s.start(MIC, 999), Err(Error::TooManyClients));
    assert_eq!(s.start(MIC, 0), Ok(Status::Allowed), "a client with starts may add more");
}

#[test]
fn the_minimum_time_is_rounded_up_to_whole_ticks() {
    let s = Sensors::new([Consent::Allow; 4], 3);
    // 3.1 s at 3 Hz is 9.3 ticks: the indicator stays on through tick 9.
    assert_eq!(s.min_on_ticks, 10);
}

#[derive(Debug, Clone)]
enum Op {
    Start(usize, Client),
    Stop(usize, Client),
    Gone(Client),
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..4, 0u32..4).prop_map(|(k, c)| Op::Start(k, c)),
        (0usize..4, 0u32..4).prop_map(|(k, c)| Op::Stop(k, c)),
        (0u32..4).prop_map(Op::Gone),
        (0u64..secs(5.0)).prop_map(Op::Wait),
    ]
}

proptest! {
    /// Against a model that counts starts per (sensor, client): the same
    /// stops are refused, and the indicator is on whenever an allowed
    /// sensor runs and until 3.1 s after an allowed sensor's last stop.
    #[test]
    fn the_indicator_is_never_off_early(ops in prop::collection::vec(op(), 0..200)) {
        let policy = [Consent::Allow, Consent::Allow, Consent::Deny, Consent::Allow];
        let mut s = Sensors::new(policy, HZ);
        let mut model = [[0u32; 4]; 4];
        let mut lit_until = 0u64;
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Start(k, c) => {
                    prop_assert!(s.start(SensorKind::ALL[k], c).is_ok());
                    model[k][c as usize] += 1;
                }
                Op::Stop(k, c) => {
                    let result = s.stop(SensorKind::ALL[k], c, now);
                    if model[k][c as usize] == 0 {
                        prop_assert_eq!(result, Err(Error::NotStarted));
                    } else {
                        prop_assert!(result.is_ok());
                        model[k][c as usize] -= 1;
                        if policy[k] == Consent::Allow && model[k].iter().sum::<u32>() == 0 {
                            lit_until = lit_until.max(now + secs(3.1));
                        }
                    }
                }
                Op::Gone(c) => {
                    s.client_gone(c, now);
                    for k in 0..4 {
                        let had = model[k][c as usize];
                        model[k][c as usize] = 0;
                        if had > 0 && policy[k] == Consent::Allow && model[k].iter().sum::<u32>() == 0 {
                            lit_until = lit_until.max(now + secs(3.1));
                        }
                    }
                }
                Op::Wait(t) => now += t,
            }
            let running = (0..4).any(|k| policy[k] == Consent::Allow && model[k].iter().sum::<u32>() > 0);
            prop_assert_eq!(s.indicator_on(now), running || now < lit_until);
        }
    }
}
