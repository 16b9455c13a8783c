//! The budget controller: scopes (global, per provider, per data source) with a limit in USD per
//! day, per month or in total, a soft cap (warn) and a hard cap (block). Spending is **reserved**
//! before a call (an upper bound of its cost) and **settled** to the actual cost after, or
//! released on failure. Every change is one `BEGIN IMMEDIATE` transaction on the app database,
//! so settled + reserved never passes a hard cap, even with many questions in flight across the
//! app and CLI processes. A provider that reports more than was reserved is charged the excess.
//! Time comes from the caller (an injected clock), so periods roll over testably. Times are
//! stored in UTC; a period is counted in the person's local time (a daily budget resets at local
//! midnight), and its reset time is handed back in UTC for the screen to show in local time.
//!
//! Amounts are whole nano-dollars ([`crate::money`]): limits, reservations and charges are
//! stored as integers and held against each other exactly, with no tolerance; dollars appear only
//! in messages and in what is shown.

use chrono::{DateTime, Datelike, Local, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::clock::stamp;
use crate::history::{AppDb, HistoryError};
use crate::money::{dollars, nanos};

/// What a reservation pays for, kept with it in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A call to the AI provider.
    Ai,
    /// A run in a paid remote sandbox.
    Sandbox,
    /// Embedding a question for the answer cache with a paid service.
    Embedding,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ai => "ai",
            Self::Sandbox => "sandbox",
            Self::Embedding => "embedding",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
    Total,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Some(Self::Day),
            "month" | "monthly" => Some(Self::Month),
            "total" => Some(Self::Total),
            _ => None,
        }
    }

    /// The current period's key, and when it resets (`None`: never): counted in local time.
    fn window(self, now: DateTime<Utc>) -> (String, Option<DateTime<Utc>>) {
        self.window_in(&Local, now)
    }

    /// [`Self::window`] as counted in `zone`.
    fn window_in<Z: TimeZone>(
        self,
        zone: &Z,
        now: DateTime<Utc>,
    ) -> (String, Option<DateTime<Utc>>) {
        let (key, resets) = self.local_window(now.with_timezone(zone).naive_local());
        (key, resets.and_then(|t| utc_of_local(zone, t)))
    }

    /// [`Self::window`] on a local wall-clock time, with the reset in that wall-clock time.
    fn local_window(self, now: NaiveDateTime) -> (String, Option<NaiveDateTime>) {
        let day = now.date();
        match self {
            Self::Day => (
                day.to_string(),
                day.succ_opt()
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default()),
            ),
            Self::Month => {
                let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
                (
                    format!("{:04}-{:02}", day.year(), day.month()),
                    first
                        .checked_add_months(Months::new(1))
                        .and_then(|d| d.and_hms_opt(0, 0, 0)),
                )
            }
            Self::Total => ("total".into(), None),
        }
    }
}

/// The UTC instant of a wall-clock time in `zone` (the earlier one when a clock change makes it
/// ambiguous, the hour after when it is skipped).
fn utc_of_local<Z: TimeZone>(zone: &Z, t: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

/// One scope's limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// `global`, `provider:<name>` or `source:<name>`.
    pub name: String,
    /// The hard cap, in nano-dollars.
    pub limit_nanos: i64,
    pub period: Period,
    /// Share of the limit from which to warn (0.8 = 80 %).
    pub soft: f64,
}

impl Scope {
    /// The limit in dollars, for display.
    pub fn limit_usd(&self) -> f64 {
        dollars(self.limit_nanos)
    }
}

/// Where a scope stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeState {
    pub scope: Scope,
    /// Settled charges in the current period, in nano-dollars.
    pub spent_nanos: i64,
    /// Reservations of calls still in flight, in nano-dollars.
    pub reserved_nanos: i64,
    /// `ok`, `warning` (past the soft cap) or `blocked` (at the hard cap).
    pub state: &'static str,
    /// When the period ends (UTC; shown in local time).
    pub resets_at: Option<DateTime<Utc>>,
}

impl ScopeState {
    /// What was spent, in dollars, for display.
    pub fn spent_usd(&self) -> f64 {
        dollars(self.spent_nanos)
    }

    /// What is reserved, in dollars, for display.
    pub fn reserved_usd(&self) -> f64 {
        dollars(self.reserved_nanos)
    }
}

/// A limit typed in dollars (the CLI's `--limit`, a setting) as nano-dollars; refused unless it
/// is a number, 0 or more.
pub fn limit_nanos(usd: f64) -> Result<i64, BudgetError> {
    if usd.is_finite() && usd >= 0.0 {
        Ok(nanos(usd))
    } else {
        Err(BudgetError::Invalid(
            "the limit must be an amount in USD, 0 or more".into(),
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// Amounts in nano-dollars.
    #[error("the {scope} budget of ${:.2} per {period} is spent (${:.4} used{}); {}", dollars(*.limit), dollars(*.spent), if *.reserved > 0 { format!(", ${:.4} in flight", dollars(*.reserved)) } else { String::new() }, resets(*.resets_at))]
    Exceeded {
        scope: String,
        limit: i64,
        period: &'static str,
        spent: i64,
        reserved: i64,
        resets_at: Option<DateTime<Utc>>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] HistoryError),
}

fn resets(at: Option<DateTime<Utc>>) -> String {
    match at {
        Some(t) => format!(
            "it resets at {}",
            t.with_timezone(&Local).format("%Y-%m-%d %H:%M")
        ),
        None => "raise the limit in Settings to continue".into(),
    }
}

impl From<rusqlite::Error> for BudgetError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(HistoryError::from(e))
    }
}

/// A reservation to settle or release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation(pub String);

/// A scope's name as stored and matched: a `source:` scope names its file by canonical path, so
/// `./shop.db`, `shop.db` and `/home/ana/shop.db` are one budget (a path that does not exist, or
/// a database URL, is kept as written).
pub fn canonical_scope(name: &str) -> String {
    let name = name.trim();
    match name.strip_prefix("source:").map(str::trim) {
        Some(path) if !path.contains("://") => match std::fs::canonicalize(path) {
            Ok(real) => format!("source:{}", real.display()),
            Err(_) => format!("source:{path}"),
        },
        _ => name.to_string(),
    }
}

fn check_scope(name: &str) -> Result<(), BudgetError> {
    let ok = name == "global"
        || name
            .strip_prefix("provider:")
            .is_some_and(|n| !n.trim().is_empty())
        || name
            .strip_prefix("source:")
            .is_some_and(|n| !n.trim().is_empty());
    if ok {
        Ok(())
    } else {
        Err(BudgetError::Invalid(format!(
            "{name:?} is not a budget scope; use global, provider:<name> or source:<name>"
        )))
    }
}

/// (settled, reserved) in a scope's period, in nano-dollars.
fn used(tx: &rusqlite::Connection, scope: &str, key: &str) -> Result<(i64, i64), rusqlite::Error> {
    tx.query_row(
        "SELECT coalesce(sum(CASE WHEN kind = 'settled' THEN nanos END), 0), coalesce(sum(CASE WHEN kind = 'reserved' THEN nanos END), 0)
         FROM budget_ledger WHERE scope = ?1 AND period_key = ?2",
        params![scope, key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

fn load(conn: &rusqlite::Connection, name: &str) -> Result<Option<Scope>, rusqlite::Error> {
    conn.query_row(
        "SELECT scope, limit_nanos, period, soft FROM budget_scopes WHERE scope = ?1",
        [name],
        |r| {
            Ok(Scope {
                name: r.get(0)?,
                limit_nanos: r.get(1)?,
                period: Period::parse(&r.get::<_, String>(2)?).unwrap_or(Period::Total),
                soft: r.get(3)?,
            })
        },
    )
    .optional()
}

/// The global daily budget of `daily_usd` (5 when it is not an amount) that warns at
/// `soft_pct` percent (the Settings screen's `budget_daily_usd` and `budget_soft_cap_pct`).
pub fn global_daily(daily_usd: &str, soft_pct: &str) -> Scope {
    let usd: f64 = daily_usd.parse().unwrap_or(5.0);
    Scope {
        name: "global".into(),
        limit_nanos: limit_nanos(usd).unwrap_or(nanos(5.0)),
        period: Period::Day,
        soft: (soft_pct.parse::<f64>().unwrap_or(80.0) / 100.0).clamp(0.01, 1.0),
    }
}

impl AppDb {
    /// Defines `scope` when no scope of its name is defined yet (a budget set elsewhere stays).
    pub fn ensure_budget(&self, scope: &Scope) -> Result<(), BudgetError> {
        if load(self.conn(), &canonical_scope(&scope.name))?.is_none() {
            self.set_budget(scope)?;
        }
        Ok(())
    }

    /// Defines or updates a scope.
    pub fn set_budget(&self, scope: &Scope) -> Result<(), BudgetError> {
        check_scope(&scope.name)?;
        let name = canonical_scope(&scope.name);
        if scope.limit_nanos < 0 {
            return Err(BudgetError::Invalid(
                "the limit must be an amount in USD, 0 or more".into(),
            ));
        }
        if !(scope.soft > 0.0 && scope.soft <= 1.0) {
            return Err(BudgetError::Invalid(
                "the warning level must be between 0 and 1 (e.g. 0.8 for 80 %)".into(),
            ));
        }
        self.conn().execute(
            "INSERT INTO budget_scopes(scope, limit_nanos, period, soft) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(scope) DO UPDATE SET limit_nanos = excluded.limit_nanos, period = excluded.period, soft = excluded.soft",
            params![name, scope.limit_nanos, scope.period.as_str(), scope.soft],
        )?;
        Ok(())
    }

    /// Reserves `nanos` nano-dollars for `purpose` in every one of `scopes` that is defined,
    /// atomically: all or none.
    pub fn reserve(
        &mut self,
        purpose: Purpose,
        scopes: &[&str],
        nanos: i64,
        now: DateTime<Utc>,
    ) -> Result<Reservation, BudgetError> {
        if nanos < 0 {
            return Err(BudgetError::Invalid(
                "a reservation must be an amount, 0 or more".into(),
            ));
        }
        let id = format!("r{}-{}", std::process::id(), crate::random_hex(8));
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for name in scopes.iter().map(|n| canonical_scope(n)) {
            let name = name.as_str();
            let Some(scope) = load(&tx, name)? else {
                continue;
            };
            let (key, resets_at) = scope.period.window(now);
            let (spent, reserved) = used(&tx, name, &key)?;
            // Whole nano-dollars: an exact fit fits, one nano-dollar more does not.
            if i128::from(spent) + i128::from(reserved) + i128::from(nanos)
                > i128::from(scope.limit_nanos)
            {
                return Err(BudgetError::Exceeded {
                    scope: scope.name,
                    limit: scope.limit_nanos,
                    period: scope.period.as_str(),
                    spent,
                    reserved,
                    resets_at,
                });
            }
            tx.execute(
                "INSERT INTO budget_ledger(scope, period_key, kind, nanos, purpose, reservation, at) VALUES (?1, ?2, 'reserved', ?3, ?4, ?5, ?6)",
                params![name, key, nanos, purpose.as_str(), id, stamp(now)],
            )?;
        }
        tx.commit()?;
        Ok(Reservation(id))
    }

    /// Replaces a reservation with the actual cost in nano-dollars (charged in full, even above
    /// the reservation).
    pub fn settle(
        &mut self,
        reservation: &Reservation,
        actual_nanos: i64,
        now: DateTime<Utc>,
    ) -> Result<(), BudgetError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE budget_ledger SET kind = 'settled', nanos = ?2, at = ?3 WHERE reservation = ?1 AND kind = 'reserved'",
            params![reservation.0, actual_nanos.max(0), stamp(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives a reservation back (the call failed before anything was billed).
    pub fn release(&mut self, reservation: &Reservation) -> Result<(), BudgetError> {
        self.conn().execute(
            "DELETE FROM budget_ledger WHERE reservation = ?1 AND kind = 'reserved'",
            [&reservation.0],
        )?;
        Ok(())
    }

    /// Every scope and where it stands now.
    pub fn budgets(&self, now: DateTime<Utc>) -> Result<Vec<ScopeState>, BudgetError> {
        let names: Vec<String> = self
            .conn()
            .prepare("SELECT scope FROM budget_scopes ORDER BY scope")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for name in names {
            let Some(scope) = load(self.conn(), &name)? else {
                continue;
            };
            let (key, resets_at) = scope.period.window(now);
            let (spent, reserved) = used(self.conn(), &name, &key)?;
            let busy = spent.saturating_add(reserved);
            // The warning level as a whole nano-dollar amount; the comparisons are exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let warn_at = (scope.limit_nanos as f64 * scope.soft).ceil() as i64;
            let state = if busy >= scope.limit_nanos {
                "blocked"
            } else if busy >= warn_at {
                "warning"
            } else {
                "ok"
            };
            out.push(ScopeState {
                scope,
                spent_nanos: spent,
                reserved_nanos: reserved,
                state,
                resets_at,
            });
        }
        Ok(out)
    }
}

/// The most a model's estimates are ever scaled.
const MAX_MARGIN: f64 = 10.0;

impl AppDb {
    /// How much to scale this model's upper-bound estimates (1 until a provider once charged
    /// more than was reserved).
    pub fn estimator_margin(&self, model: &str) -> Result<f64, BudgetError> {
        let factor: Option<f64> = self
            .conn()
            .query_row(
                "SELECT factor FROM estimator_margins WHERE model = ?1",
                [model],
                |r| r.get(0),
            )
            .optional()?;
        Ok(factor.unwrap_or(1.0).clamp(1.0, MAX_MARGIN))
    }

    /// A provider charged `actual` against a reservation of `reserved` (nano-dollars): the excess
    /// was charged, and from now on this model's estimates are scaled so the same call would fit,
    /// plus 25 %.
    pub fn grow_estimator_margin(
        &self,
        model: &str,
        reserved: i64,
        actual: i64,
    ) -> Result<f64, BudgetError> {
        if !(actual > reserved && reserved > 0) {
            return self.estimator_margin(model);
        }
        // At most 10×: one wrong figure from a provider must not block every later question.
        #[allow(clippy::cast_precision_loss)]
        let overrun = actual as f64 / reserved as f64;
        let factor = (self.estimator_margin(model)? * overrun * 1.25).min(MAX_MARGIN);
        self.conn().execute(
            "INSERT INTO estimator_margins(model, factor) VALUES (?1, ?2)
             ON CONFLICT(model) DO UPDATE SET factor = max(factor, excluded.factor)",
            params![model, factor],
        )?;
        tracing::warn!(
            model,
            reserved,
            actual,
            factor,
            "the provider charged more than the estimate; the margin grows"
        );
        self.estimator_margin(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local wall-clock time as the UTC instant callers pass.
    fn at(s: &str) -> DateTime<Utc> {
        utc_of_local(
            &Local,
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
        )
        .unwrap()
    }

    fn scope(name: &str, limit: f64, period: Period) -> Scope {
        Scope {
            name: name.into(),
            limit_nanos: nanos(limit),
            period,
            soft: 0.8,
        }
    }

    const AI: Purpose = Purpose::Ai;

    #[test]
    fn periods_are_counted_in_local_time_and_stamps_stored_in_utc() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 23:30 UTC on the 26th is already the 27th in Tokyo, whose day ends at 15:00 UTC.
        let tokyo = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
        let late = utc("2026-11-26T23:30:00Z");
        assert_eq!(
            Period::Day.window_in(&tokyo, late),
            ("2026-11-27".to_string(), Some(utc("2026-11-27T15:00:00Z")))
        );
        assert_eq!(
            Period::Month
                .window_in(&tokyo, utc("2026-11-30T16:00:00Z"))
                .0,
            "2026-12"
        );
        // West of UTC the same instant is still the 26th.
        let chicago = chrono::FixedOffset::west_opt(6 * 3600).unwrap();
        assert_eq!(
            Period::Day.window_in(&chicago, late),
            ("2026-11-26".to_string(), Some(utc("2026-11-27T06:00:00Z")))
        );
        let mut db = AppDb::open_in_memory().unwrap();
        db.set_budget(&scope("global", 1.0, Period::Day)).unwrap();
        let r = db.reserve(AI, &["global"], nanos(0.1), late).unwrap();
        db.settle(&r, nanos(0.05), utc("2026-11-26T23:31:05Z"))
            .unwrap();
        let at: String = db
            .conn()
            .query_row("SELECT at FROM budget_ledger", [], |r| r.get(0))
            .unwrap();
        assert_eq!(at, "2026-11-26T23:31:05Z");
    }

    #[test]
    fn reservations_hold_the_line_and_settle_to_the_actual_cost() {
        let mut db = AppDb::open_in_memory().unwrap();
        db.set_budget(&scope("global", 1.0, Period::Day)).unwrap();
        let now = at("2026-11-26 10:00");
        let a = db.reserve(AI, &["global"], nanos(0.6), now).unwrap();
        let err = db.reserve(AI, &["global"], nanos(0.5), now).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "the global budget of $1.00 per day is spent ($0.0000 used, $0.6000 in flight); it resets at 2026-11-27 00:00"
            ),
            "{err}"
        );
        db.settle(&a, nanos(0.2), now).unwrap();
        let b = db.reserve(AI, &["global"], nanos(0.5), now).unwrap();
        db.release(&b).unwrap();
        let s = &db.budgets(now).unwrap()[0];
        assert_eq!(
            (s.spent_nanos, s.reserved_nanos, s.state),
            (200_000_000, 0, "ok")
        );
        assert_eq!((s.spent_usd(), s.scope.limit_usd()), (0.2, 1.0));
        // A provider charging more than reserved: the excess is charged.
        let c = db.reserve(AI, &["global"], nanos(0.1), now).unwrap();
        db.settle(&c, nanos(0.85), now).unwrap();
        assert_eq!(db.budgets(now).unwrap()[0].state, "blocked");
        // Tomorrow the day's budget is fresh.
        assert!(db
            .reserve(AI, &["global"], nanos(0.9), at("2026-11-27 00:00"))
            .is_ok());
        assert_eq!(
            db.budgets(at("2026-11-27 00:01")).unwrap()[0].state,
            "warning"
        );
        assert!(db.set_budget(&scope("team", 1.0, Period::Day)).is_err());
        assert!(
            db.reserve(AI, &["global"], -1, now).is_err(),
            "no negative reservations"
        );
        assert!(limit_nanos(f64::NAN).is_err() && limit_nanos(-0.01).is_err());
        assert_eq!(limit_nanos(0.01).unwrap(), 10_000_000);
    }

    #[test]
    fn an_exact_fit_fits_and_one_nano_dollar_more_does_not() {
        // Ten charges of the provider's 0.00748 fill a 0.0748 budget exactly: with dollars in
        // floating point their sum is 0.07479999999999999 or 0.07480000000000001.
        let mut db = AppDb::open_in_memory().unwrap();
        db.set_budget(&scope("global", 0.0748, Period::Total))
            .unwrap();
        let now = at("2026-11-26 10:00");
        for _ in 0..10 {
            let r = db.reserve(AI, &["global"], nanos(0.00748), now).unwrap();
            db.settle(&r, nanos(0.00748), now).unwrap();
        }
        let s = &db.budgets(now).unwrap()[0];
        assert_eq!(
            (s.spent_nanos, s.state, s.spent_usd()),
            (74_800_000, "blocked", 0.0748)
        );
        assert!(
            db.reserve(AI, &["global"], 0, now).is_ok(),
            "nothing more still fits"
        );
        assert!(matches!(
            db.reserve(AI, &["global"], 1, now),
            Err(BudgetError::Exceeded {
                spent: 74_800_000,
                ..
            })
        ));
    }

    #[test]
    fn the_ledger_says_what_each_charge_paid_for() {
        let mut db = AppDb::open_in_memory().unwrap();
        db.set_budget(&scope("global", 1.0, Period::Day)).unwrap();
        let now = at("2026-11-26 10:00");
        let r = db
            .reserve(Purpose::Embedding, &["global", "provider:openai"], 300, now)
            .unwrap();
        db.settle(&r, 140, now).unwrap();
        let rows: Vec<(String, String, i64)> = db
            .conn()
            .prepare("SELECT purpose, kind, nanos FROM budget_ledger")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [("embedding".to_string(), "settled".to_string(), 140)],
            "only the defined scope is charged"
        );
    }

    #[test]
    fn any_sequence_of_operations_keeps_reserved_plus_settled_under_the_cap() {
        // Property test with our own PRNG: reserve, settle (at most what was reserved), release.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let cent = 10_000_000_i64;
        for round in 0..30 {
            let mut db = AppDb::open_in_memory().unwrap();
            let limit = 50 * cent + (next() % 100) as i64 * cent;
            db.set_budget(&Scope {
                name: "global".into(),
                limit_nanos: limit,
                period: Period::Month,
                soft: 0.8,
            })
            .unwrap();
            db.set_budget(&Scope {
                name: "provider:perplexity".into(),
                limit_nanos: limit * 7 / 10,
                period: Period::Total,
                soft: 0.8,
            })
            .unwrap();
            let now = at("2026-11-26 10:00");
            let mut open: Vec<(Reservation, i64)> = Vec::new();
            for _ in 0..200 {
                match next() % 3 {
                    0 => {
                        let amount = (next() % 30) as i64 * cent + (next() % 1000) as i64;
                        if let Ok(r) =
                            db.reserve(AI, &["global", "provider:perplexity"], amount, now)
                        {
                            open.push((r, amount));
                        }
                    }
                    1 if !open.is_empty() => {
                        let (r, amount) = open.swap_remove((next() as usize) % open.len());
                        db.settle(&r, amount * (next() % 101) as i64 / 100, now)
                            .unwrap();
                    }
                    _ if !open.is_empty() => {
                        let (r, _) = open.swap_remove((next() as usize) % open.len());
                        db.release(&r).unwrap();
                    }
                    _ => {}
                }
                for s in db.budgets(now).unwrap() {
                    assert!(
                        s.spent_nanos + s.reserved_nanos <= s.scope.limit_nanos,
                        "round {round}: {s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn two_hundred_concurrent_reservations_never_pass_the_hard_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plainsight.sqlite");
        AppDb::open(&path)
            .unwrap()
            .set_budget(&scope("global", 1.0, Period::Day))
            .unwrap();
        let now = at("2026-11-26 10:00");
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut db = AppDb::open(&path).unwrap();
                    let amount = nanos(0.005) + i64::from(i % 7) * nanos(0.002);
                    match db.reserve(AI, &["global"], amount, now) {
                        Ok(r) => {
                            db.settle(&r, amount * 8 / 10, now).unwrap();
                            true
                        }
                        Err(BudgetError::Exceeded { .. }) => false,
                        Err(other) => panic!("{other}"),
                    }
                })
            })
            .collect();
        let granted = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        let s = &AppDb::open(&path).unwrap().budgets(now).unwrap()[0];
        assert!(s.spent_nanos <= nanos(1.0), "{s:?}");
        assert!(
            granted > 50 && granted < 200,
            "some got through, the rest were told the budget is spent: {granted}"
        );
    }

    #[test]
    fn a_source_budget_holds_however_the_path_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shop.db");
        std::fs::write(&file, b"").unwrap();
        let mut db = AppDb::open_in_memory().unwrap();
        // Set with one spelling of the path, spent with another: one budget.
        let dotted = format!("source:{}/./shop.db", dir.path().display());
        db.set_budget(&scope(&dotted, 0.01, Period::Day)).unwrap();
        let plain = format!("source:{}", file.display());
        let err = db
            .reserve(AI, &[plain.as_str()], nanos(12.5), at("2026-11-26 10:00"))
            .unwrap_err();
        assert!(err.to_string().contains("budget"), "{err}");
        assert_eq!(
            canonical_scope("source:postgres://u@127.0.0.1/shop"),
            "source:postgres://u@127.0.0.1/shop"
        );
        assert_eq!(canonical_scope(" global "), "global");
    }
}
