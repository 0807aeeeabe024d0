//! MK0011 (with `timer_late`, `timer_keeper` and the timer driver): checks
//! the driver's refusals, then, once `timer_late` has set its own deadline,
//! sets and cancels one deadline and sets another, which must be notified
//! when the driver's time has reached it, and one already past, which must
//! be notified too. It judges the driver; `timer_late` judges that none of
//! this moved its deadline.
#![no_std]
#![no_main]

use sel4_microkit::{get_mr, protection_domain, set_mr, Channel, ChannelSet, Handler, MessageInfo};
use timer_client::{Method, Status};

const TIMER: Channel = Channel::new(1);
const LATE: Channel = Channel::new(2);
const NAME: &str = "MK0011";
const DESCRIPTION: &str = "the timer driver tells a deadline once its time has reached it, and refuses malformed calls";
/// A deadline that is cancelled, and the one that must be told.
const CANCELLED_NS: u64 = 1_000_000;
const DEADLINE_NS: u64 = 3_000_000;

protection_domain!(init);

enum State {
    /// Waiting for `timer_late` to have set its deadline.
    AwaitLate,
    /// Waiting to be told of this deadline.
    Armed(u64),
    /// Waiting to be told of a deadline set in the past.
    Past,
    Done,
}

struct Early {
    state: State,
}

/// The driver's reply label to `method`'s label (or `label`) with `words` words.
fn reply_label(label: u64, words: usize) -> Result<u64, &'static str> {
    for i in 0..words {
        set_mr(i, 0).map_err(|_| "a word below 64 could not be set")?;
    }
    let reply = TIMER.pp_call(MessageInfo::new(label, words)).map_err(|_| "pp_call refused on the timer channel")?;
    Ok(reply.label())
}

fn refusals() -> Result<(), &'static str> {
    let refused = |label, words, status: Status| reply_label(label, words).map(|l| l == status as u64);
    let ensure = microkit_examples::ensure;
    ensure(refused(99, 0, Status::UnknownMethod)?, "an unknown method was not refused")?;
    ensure(refused(Method::SetDeadline as u64, 0, Status::BadLength)?, "SET_DEADLINE without its word was not refused")?;
    ensure(refused(Method::SetDeadline as u64, 2, Status::BadLength)?, "SET_DEADLINE with two words was not refused")?;
    ensure(refused(Method::Now as u64, 1, Status::BadLength)?, "NOW with a word was not refused")?;
    ensure(refused(Method::Cancel as u64, 1, Status::BadLength)?, "CANCEL with a word was not refused")?;
    // A refusal carries no words.
    ensure(get_mr(0).is_err(), "a refusal carried a word")?;
    let first = timer_client::now(TIMER).map_err(|_| "NOW failed")?;
    let second = timer_client::now(TIMER).map_err(|_| "NOW failed")?;
    ensure(second >= first, "NOW went backwards")
}

fn init() -> Early {
    match refusals() {
        Ok(()) => Early { state: State::AwaitLate },
        Err(e) => {
            microkit_examples::report(NAME, DESCRIPTION, Err(e));
            Early { state: State::Done }
        }
    }
}

impl Early {
    /// The next state, or the verdict.
    fn step(&mut self, channels: ChannelSet) -> Result<State, &'static str> {
        let now = || timer_client::now(TIMER).map_err(|_| "NOW failed");
        match self.state {
            State::AwaitLate => {
                microkit_examples::ensure(channels.contains(LATE), "notified before timer_late set its deadline")?;
                let start = now()?;
                timer_client::set_deadline(TIMER, start + CANCELLED_NS).map_err(|_| "SET_DEADLINE failed")?;
                timer_client::cancel(TIMER).map_err(|_| "CANCEL failed")?;
                let deadline = start + DEADLINE_NS;
                timer_client::set_deadline(TIMER, deadline).map_err(|_| "SET_DEADLINE failed")?;
                Ok(State::Armed(deadline))
            }
            State::Armed(deadline) => {
                microkit_examples::ensure(channels.contains(TIMER), "notified on a channel other than the timer's")?;
                // Told early, or told of the cancelled deadline, this fails.
                microkit_examples::ensure(now()? >= deadline, "told of the deadline before the driver's time reached it")?;
                timer_client::set_deadline(TIMER, 1).map_err(|_| "SET_DEADLINE in the past failed")?;
                Ok(State::Past)
            }
            State::Past => {
                microkit_examples::ensure(channels.contains(TIMER), "notified on a channel other than the timer's")?;
                Ok(State::Done)
            }
            State::Done => Err("notified after the test ended"),
        }
    }
}

impl Handler for Early {
    fn notified(&mut self, channels: ChannelSet) {
        if matches!(self.state, State::Done) {
            return;
        }
        match self.step(channels) {
            Ok(State::Done) => {
                microkit_examples::report(NAME, DESCRIPTION, Ok::<(), &str>(()));
                self.state = State::Done;
            }
            Ok(next) => self.state = next,
            Err(e) => {
                microkit_examples::report(NAME, DESCRIPTION, Err(e));
                self.state = State::Done;
            }
        }
    }
}
