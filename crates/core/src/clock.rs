//! `Clock`: where the pipeline reads the time. Every time is kept in UTC (breakers, the answer
//! cache, the budget ledger, history); a local time is derived only to show it (and by the budget
//! to find the local day a daily budget belongs to). The app and the CLI use [`SystemClock`]; tests hand the
//! pipeline a [`FixedClock`] and move it forward instead of sleeping.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Now as naive UTC (how breakers store their times).
    fn utc(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Seconds since 1970 (how the answer cache stores its times).
    fn epoch_secs(&self) -> i64 {
        self.now().timestamp()
    }
}

/// How a time is stored (app database, ledger, history): UTC, RFC 3339 to the second
/// (`2026-12-07T10:00:00Z`).
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A stored time as the person reads it: in this computer's time zone, `YYYY-MM-DD HH:MM`. A
/// text that is not a stored time is shown as it is.
pub fn shown(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored).map_or_else(
        |_| stored.to_string(),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: for tests, so that waiting for a pause to pass or a
/// cache entry to expire is a step, not a sleep.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_every_form_agrees() {
        let start = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = FixedClock::at(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.epoch_secs(), start.timestamp() + 1);
        assert_eq!(stamp(clock.now()), "2026-12-07T10:00:01Z");
        assert_eq!(
            shown(&stamp(clock.now())),
            clock
                .now()
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        );
        assert_eq!(shown("yesterday"), "yesterday");
        assert_eq!(
            clock.utc(),
            (start + chrono::Duration::milliseconds(1_500)).naive_utc()
        );
    }
}
