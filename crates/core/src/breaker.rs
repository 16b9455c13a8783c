//! A circuit breaker per provider: after `threshold` outages in a row (server errors, timeouts,
//! unreachable — not a rejected key or a bad request) it **opens** and questions go offline
//! without calling the provider; after `cool_down` it lets one trial call through
//! (**half-open**): success closes it, another outage opens it again for twice as long (capped).
//! Pure state machine with an injected clock; the caller persists it if it likes.

use std::time::Duration;

use chrono::NaiveDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed { failures: u32 },
    Open { until: NaiveDateTime, cool_down: Duration },
    HalfOpen { cool_down: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    pub state: State,
    pub threshold: u32,
    pub cool_down: Duration,
    pub max_cool_down: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: State::Closed { failures: 0 },
            threshold: 3,
            cool_down: Duration::from_secs(30),
            max_cool_down: Duration::from_secs(15 * 60),
        }
    }
}

fn later(now: NaiveDateTime, d: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::seconds(60))
}

impl Breaker {
    /// May a call go out now? An open breaker whose cool-down has passed becomes half-open and
    /// lets this one call through.
    pub fn allow(&mut self, now: NaiveDateTime) -> Result<(), NaiveDateTime> {
        match self.state {
            State::Closed { .. } | State::HalfOpen { .. } => Ok(()),
            State::Open { until, cool_down } if now >= until => {
                self.state = State::HalfOpen { cool_down };
                Ok(())
            }
            State::Open { until, .. } => Err(until),
        }
    }

    pub fn success(&mut self) {
        self.state = State::Closed { failures: 0 };
    }

    /// An outage (server error, timeout, unreachable). Other failures do not count.
    pub fn outage(&mut self, now: NaiveDateTime) {
        self.state = match self.state {
            State::Closed { failures } if failures + 1 >= self.threshold => {
                State::Open { until: later(now, self.cool_down), cool_down: self.cool_down }
            }
            State::Closed { failures } => State::Closed { failures: failures + 1 },
            State::HalfOpen { cool_down } => {
                let longer = (cool_down * 2).min(self.max_cool_down);
                State::Open { until: later(now, longer), cool_down: longer }
            }
            open @ State::Open { .. } => open,
        };
    }

    /// "paused until 14:32" for the UI and CLI, or `None` when calls may go out.
    pub fn paused_until(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        match self.state {
            State::Open { until, .. } if now < until => Some(until),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_795_000_000 + secs, 0).unwrap().naive_utc()
    }

    #[test]
    fn opens_after_the_threshold_half_opens_after_the_cool_down_and_recovers() {
        let mut b = Breaker::default();
        for _ in 0..2 {
            b.outage(t(0));
            assert!(b.allow(t(0)).is_ok());
        }
        b.outage(t(0));
        assert_eq!(b.allow(t(10)), Err(t(30)), "open: nothing goes out");
        assert_eq!(b.paused_until(t(10)), Some(t(30)));
        assert!(b.allow(t(30)).is_ok(), "half-open: one trial");
        b.outage(t(30));
        assert_eq!(b.allow(t(60)), Err(t(90)), "failed trial: twice as long");
        assert!(b.allow(t(90)).is_ok());
        b.success();
        assert_eq!(b.state, State::Closed { failures: 0 });
    }

    #[test]
    fn any_sequence_keeps_the_invariants() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut b = Breaker::default();
        let mut now = 0i64;
        for _ in 0..10_000 {
            now += (next() % 20) as i64;
            let allowed = b.allow(t(now));
            match (allowed, b.state) {
                (Ok(()), State::Open { .. }) => panic!("an open breaker let a call out"),
                (Err(until), _) => assert!(until > t(now), "a pause always ends in the future"),
                _ => {}
            }
            if allowed.is_ok() {
                if next() % 3 == 0 {
                    b.success();
                } else {
                    b.outage(t(now));
                }
            }
            if let State::Open { cool_down, .. } | State::HalfOpen { cool_down } = b.state {
                assert!(cool_down <= b.max_cool_down && cool_down >= b.cool_down);
            }
            if let State::Closed { failures } = b.state {
                assert!(failures < b.threshold);
            }
        }
    }
}
