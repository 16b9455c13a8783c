//! A circuit breaker per provider: after `threshold` outages in a row (server errors, timeouts,
//! unreachable, rate limits, unreadable replies — not a rejected key or a bad request) it
//! **opens** and questions go offline without calling the provider; after `cool_down` it lets
//! one trial call through (**half-open**, with a lease so a process that dies mid-trial does not
//! wedge it): success closes it, another outage opens it again for twice as long (at most 8×).
//! Pure state machine with an injected clock; [`AppDb`] persists it so the app and every CLI
//! process share one breaker per provider and a restart does not hammer a failing provider.
//! Stored times are UTC (processes may disagree about the local zone); show them with
//! [`local_time`].

use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::history::{AppDb, HistoryError};

/// Environment defaults for the settings (see `.env.example`).
pub const THRESHOLD_ENV: &str = "CIRCUIT_BREAKER_FAILURE_THRESHOLD";
pub const RECOVERY_ENV: &str = "CIRCUIT_BREAKER_RECOVERY_TIMEOUT_MS";

/// How long a half-open trial call may take before another caller may try instead (longer than
/// one question's AI calls with their retries and corrections at the default timeout).
const PROBE_LEASE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: NaiveDateTime,
        cool_down: Duration,
    },
    /// One trial call is out until `probe_until`.
    HalfOpen {
        cool_down: Duration,
        probe_until: NaiveDateTime,
    },
}

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub threshold: u32,
    pub cool_down: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// The longest pause: the cool-down doubled three times.
    pub fn max_cool_down(self) -> Duration {
        self.cool_down * 8
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    pub state: State,
    pub config: Config,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

fn later(now: NaiveDateTime, d: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::seconds(60))
}

impl Breaker {
    pub fn new(config: Config) -> Self {
        Self {
            state: State::Closed { failures: 0 },
            config: Config {
                threshold: config.threshold.max(1),
                ..config
            },
        }
    }

    /// May a call go out now? `Err(when)` says when to try again. An open breaker whose
    /// cool-down has passed becomes half-open and lets this one call through.
    pub fn allow(&mut self, now: NaiveDateTime) -> Result<(), NaiveDateTime> {
        match self.state {
            State::Closed { .. } => Ok(()),
            State::HalfOpen { probe_until, .. } if now < probe_until => Err(probe_until),
            State::HalfOpen { cool_down, .. } | State::Open { cool_down, .. }
                if self.paused_until(now).is_none() =>
            {
                self.state = State::HalfOpen {
                    cool_down,
                    probe_until: later(now, PROBE_LEASE),
                };
                Ok(())
            }
            State::Open { until, .. }
            | State::HalfOpen {
                probe_until: until, ..
            } => Err(until),
        }
    }

    pub fn success(&mut self) {
        self.state = State::Closed { failures: 0 };
    }

    /// A call that proved nothing about the provider's health (bad request, rejected key,
    /// stopped, never sent): a half-open trial ends, and the next caller may try at once.
    pub fn neutral(&mut self, now: NaiveDateTime) {
        if let State::HalfOpen { cool_down, .. } = self.state {
            self.state = State::HalfOpen {
                cool_down,
                probe_until: now,
            };
        }
    }

    /// An outage (server error, timeout, unreachable). Other failures do not count.
    pub fn outage(&mut self, now: NaiveDateTime) {
        self.state = match self.state {
            State::Closed { failures } if failures + 1 >= self.config.threshold => State::Open {
                until: later(now, self.config.cool_down),
                cool_down: self.config.cool_down,
            },
            State::Closed { failures } => State::Closed {
                failures: failures + 1,
            },
            State::HalfOpen { cool_down, .. } => {
                let longer = (cool_down * 2).min(self.config.max_cool_down());
                State::Open {
                    until: later(now, longer),
                    cool_down: longer,
                }
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

    pub fn state_name(&self, now: NaiveDateTime) -> &'static str {
        match self.state {
            State::Closed { .. } => "closed",
            State::Open { .. } if self.paused_until(now).is_some() => "open",
            State::Open { .. } | State::HalfOpen { .. } => "half-open",
        }
    }
}

/// A provider's breaker as stored, with the last outage's message (why it is paused).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub provider: String,
    pub breaker: Breaker,
    pub last_error: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// What happened to a call, for [`AppDb::breaker_record`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Success,
    /// An outage, with its plain message.
    Outage(String),
    /// A failure that says nothing about the provider's health (bad request, rejected key,
    /// stopped): a half-open trial ends without closing or reopening.
    Neutral,
}

/// A stored (UTC) time as the person's local "HH:MM".
pub fn local_time(utc: NaiveDateTime) -> String {
    chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(utc, chrono::Utc)
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string()
}

/// Now, as breakers store it.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn time_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

fn to_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn from_ms(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn load(
    conn: &rusqlite::Connection,
    provider: &str,
    config: Config,
) -> Result<Option<Status>, rusqlite::Error> {
    conn.query_row(
        "SELECT state, failures, until, cool_down_ms, last_error, updated_at FROM breakers WHERE provider = ?1",
        [provider],
        |r| {
            let kind: String = r.get(0)?;
            let failures: u32 = r.get(1)?;
            let until = r.get::<_, Option<String>>(2)?.as_deref().and_then(parse_time);
            let cool_down = from_ms(r.get(3)?);
            let state = match (kind.as_str(), until) {
                ("open", Some(until)) => State::Open { until, cool_down },
                ("half-open", Some(probe_until)) => State::HalfOpen { cool_down, probe_until },
                _ => State::Closed { failures },
            };
            Ok(Status {
                provider: provider.to_string(),
                breaker: Breaker { state, config: Breaker::new(config).config },
                last_error: r.get(4)?,
                updated_at: parse_time(&r.get::<_, String>(5)?).unwrap_or_default(),
            })
        },
    )
    .optional()
}

fn save(conn: &rusqlite::Connection, status: &Status) -> Result<(), rusqlite::Error> {
    let (kind, failures, until, cool_down) = match status.breaker.state {
        State::Closed { failures } => ("closed", failures, None, status.breaker.config.cool_down),
        State::Open { until, cool_down } => ("open", 0, Some(until), cool_down),
        State::HalfOpen {
            cool_down,
            probe_until,
        } => ("half-open", 0, Some(probe_until), cool_down),
    };
    conn.execute(
        "INSERT INTO breakers(provider, state, failures, until, cool_down_ms, last_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(provider) DO UPDATE SET state = excluded.state, failures = excluded.failures, until = excluded.until,
           cool_down_ms = excluded.cool_down_ms, last_error = excluded.last_error, updated_at = excluded.updated_at",
        params![status.provider, kind, failures, until.map(time_text), to_ms(cool_down), status.last_error, time_text(status.updated_at)],
    )?;
    Ok(())
}

impl AppDb {
    /// May a call to `provider` go out now? `Ok(Err((until, why)))` when it is paused. One
    /// transaction, so of several processes only one gets the half-open trial.
    pub fn breaker_allow(
        &mut self,
        provider: &str,
        config: Config,
        now: NaiveDateTime,
    ) -> Result<Result<(), (NaiveDateTime, Option<String>)>, HistoryError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut status) = load(&tx, provider, config)? else {
            return Ok(Ok(()));
        };
        let allowed = status.breaker.allow(now);
        if allowed.is_ok() && !matches!(status.breaker.state, State::Closed { .. }) {
            status.updated_at = now;
            save(&tx, &status)?;
        }
        tx.commit()?;
        Ok(allowed.map_err(|until| (until, status.last_error)))
    }

    /// Records how a call to `provider` went.
    pub fn breaker_record(
        &mut self,
        provider: &str,
        config: Config,
        outcome: &Outcome,
        now: NaiveDateTime,
    ) -> Result<(), HistoryError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut status = load(&tx, provider, config)?.unwrap_or_else(|| Status {
            provider: provider.to_string(),
            breaker: Breaker::new(config),
            last_error: None,
            updated_at: now,
        });
        match outcome {
            Outcome::Success => status.breaker.success(),
            Outcome::Outage(why) => {
                status.breaker.outage(now);
                // Shown on the Spending page and by `breaker show`: a provider's words may quote a key.
                status.last_error = Some(crate::redact::redact(why));
            }
            Outcome::Neutral => status.breaker.neutral(now),
        }
        status.updated_at = now;
        save(&tx, &status)?;
        tx.commit()?;
        Ok(())
    }

    /// Every provider's breaker.
    pub fn breakers(&self, config: Config) -> Result<Vec<Status>, HistoryError> {
        let names: Vec<String> = self
            .conn()
            .prepare("SELECT provider FROM breakers ORDER BY provider")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for name in names {
            out.extend(load(self.conn(), &name, config)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_795_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn opens_after_the_threshold_half_opens_after_the_cool_down_and_recovers() {
        let mut b = Breaker::new(Config {
            threshold: 3,
            cool_down: Duration::from_secs(30),
        });
        for _ in 0..2 {
            b.outage(t(0));
            assert!(b.allow(t(0)).is_ok());
        }
        b.outage(t(0));
        assert_eq!(b.allow(t(10)), Err(t(30)), "open: nothing goes out");
        assert_eq!(b.paused_until(t(10)), Some(t(30)));
        assert!(b.allow(t(30)).is_ok(), "half-open: one trial");
        assert_eq!(b.allow(t(31)), Err(t(630)), "only one trial at a time");
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
            if let State::Open { cool_down, .. } | State::HalfOpen { cool_down, .. } = b.state {
                assert!(cool_down <= b.config.max_cool_down() && cool_down >= b.config.cool_down);
            }
            if let State::Closed { failures } = b.state {
                assert!(failures < b.config.threshold);
            }
        }
    }

    #[test]
    fn the_stored_breaker_is_shared_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        let config = Config {
            threshold: 2,
            cool_down: Duration::from_secs(30),
        };
        {
            let mut db = AppDb::open(&path).unwrap();
            assert_eq!(db.breaker_allow("openai", config, t(0)).unwrap(), Ok(()));
            db.breaker_record("openai", config, &Outcome::Outage("HTTP 500".into()), t(0))
                .unwrap();
            db.breaker_record("openai", config, &Outcome::Outage("HTTP 502".into()), t(1))
                .unwrap();
        }
        // Another process (or the app after a restart) sees it paused, and why.
        let mut db = AppDb::open(&path).unwrap();
        assert_eq!(
            db.breaker_allow("openai", config, t(5)).unwrap(),
            Err((t(31), Some("HTTP 502".into())))
        );
        assert_eq!(
            db.breaker_allow("perplexity", config, t(5)).unwrap(),
            Ok(()),
            "each provider has its own"
        );
        // After the cool-down one caller gets the trial; a second waits for it.
        assert_eq!(db.breaker_allow("openai", config, t(31)).unwrap(), Ok(()));
        let mut other = AppDb::open(&path).unwrap();
        assert!(other
            .breaker_allow("openai", config, t(32))
            .unwrap()
            .is_err());
        db.breaker_record("openai", config, &Outcome::Success, t(33))
            .unwrap();
        assert_eq!(
            other.breaker_allow("openai", config, t(34)).unwrap(),
            Ok(())
        );
        let all = other.breakers(config).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].breaker.state_name(t(34)), "closed");
    }

    #[test]
    fn a_last_error_that_quotes_a_key_is_stored_masked() {
        let key = crate::secret::Secret::new("sk-breaker-test-0123456789abcdef");
        let mut db = AppDb::open_in_memory().unwrap();
        let config = Config {
            threshold: 1,
            cool_down: Duration::from_secs(30),
        };
        let why = format!(
            "OpenAI had a problem: upstream said key {} is over quota (postgres://u:pw123456@h/db)",
            key.expose()
        );
        db.breaker_record("openai", config, &Outcome::Outage(why), t(0))
            .unwrap();
        let stored: String = db
            .conn()
            .query_row("SELECT last_error FROM breakers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, "OpenAI had a problem: upstream said key [redacted] is over quota (postgres://u:[redacted]@h/db)");
    }
}
