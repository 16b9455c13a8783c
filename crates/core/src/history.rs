//! The app database (`plainsight.sqlite` in the data directory): schema migrations and the
//! history of asked questions. WAL, append-only migrations, one transaction per change.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// Append-only: never edit a shipped migration, add a new one.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    route TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    code TEXT,
    interpretation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_asked_at ON history(asked_at);
",
    "
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'workspace', 'sqlite', 'postgres')),
    location TEXT NOT NULL,
    added_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, location)
);
",
    "
CREATE TABLE glossary (
    term TEXT PRIMARY KEY COLLATE NOCASE,
    meaning TEXT NOT NULL
);
",
    "
ALTER TABLE history ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN cost_source TEXT NOT NULL DEFAULT 'none';
ALTER TABLE history ADD COLUMN cost_breakdown TEXT NOT NULL DEFAULT '[]';
ALTER TABLE history ADD COLUMN generated_by TEXT NOT NULL DEFAULT 'planner';
ALTER TABLE history ADD COLUMN error_kind TEXT;
",
    "
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
",
    "
CREATE TABLE budget_scopes (
    scope TEXT PRIMARY KEY,
    limit_usd REAL NOT NULL CHECK (limit_usd >= 0),
    period TEXT NOT NULL CHECK (period IN ('day', 'month', 'total')),
    soft REAL NOT NULL DEFAULT 0.8 CHECK (soft > 0 AND soft <= 1)
);
CREATE TABLE budget_ledger (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    period_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reserved', 'settled')),
    usd REAL NOT NULL,
    reservation TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX budget_ledger_scope ON budget_ledger(scope, period_key);
CREATE INDEX budget_ledger_reservation ON budget_ledger(reservation);
",
    "
CREATE TABLE breakers (
    provider TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
    failures INTEGER NOT NULL DEFAULT 0,
    until TEXT,
    cool_down_ms INTEGER NOT NULL,
    last_error TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE estimator_margins (
    model TEXT PRIMARY KEY,
    factor REAL NOT NULL CHECK (factor >= 1)
);
",
    "
CREATE TABLE llm_cache (
    id INTEGER PRIMARY KEY,
    exact TEXT NOT NULL UNIQUE,
    bucket TEXT NOT NULL,
    question TEXT NOT NULL,
    slots TEXT NOT NULL,
    source TEXT NOT NULL,
    model TEXT NOT NULL,
    embedder TEXT NOT NULL,
    embedding BLOB NOT NULL,
    reply TEXT NOT NULL,
    cost_usd REAL NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX llm_cache_bucket ON llm_cache(bucket, expires_at);
CREATE INDEX llm_cache_lru ON llm_cache(last_used_at);
CREATE TABLE cache_stats (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    lookups INTEGER NOT NULL DEFAULT 0,
    exact_hits INTEGER NOT NULL DEFAULT 0,
    semantic_hits INTEGER NOT NULL DEFAULT 0,
    saved_usd REAL NOT NULL DEFAULT 0,
    lookup_micros INTEGER NOT NULL DEFAULT 0
);
INSERT INTO cache_stats(id) VALUES (1);
",
    "
ALTER TABLE cache_stats ADD COLUMN stored INTEGER NOT NULL DEFAULT 0;
UPDATE cache_stats SET stored = (SELECT count(*) FROM llm_cache);
CREATE TRIGGER llm_cache_added AFTER INSERT ON llm_cache BEGIN UPDATE cache_stats SET stored = stored + 1 WHERE id = 1; END;
CREATE TRIGGER llm_cache_removed AFTER DELETE ON llm_cache BEGIN UPDATE cache_stats SET stored = stored - 1 WHERE id = 1; END;
",
];

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("could not open the app database {path}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the app database was made by a newer Plainsight (schema {found}, this version knows {known})")]
    TooNew { found: i64, known: usize },
    #[error("the app database could not be read or written")]
    Sql(#[from] rusqlite::Error),
}

/// A recorded question.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub question: String,
    pub route: String,
    pub asked_at: String,
    pub code: Option<String>,
    pub interpretation: String,
}

/// The app database.
pub struct AppDb {
    conn: Connection,
}

impl AppDb {
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let conn = Connection::open(path).map_err(|source| HistoryError::Open { path: path.display().to_string(), source })?;
        Self::init(conn)
    }

    pub fn open_in_memory() -> Result<Self, HistoryError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, HistoryError> {
        conn.pragma_update(None, "journal_mode", "wal")?;
        conn.pragma_update(None, "synchronous", "normal")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() as i64 {
            return Err(HistoryError::TooNew { found: version, known: MIGRATIONS.len() });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }

    /// Records one asked question and returns its id.
    pub fn record(
        &self,
        question: &str,
        route: &str,
        asked_at: &str,
        code: Option<&str>,
        interpretation: &str,
    ) -> Result<i64, HistoryError> {
        self.conn.execute(
            "INSERT INTO history(question, route, asked_at, code, interpretation) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![question, route, asked_at, code, interpretation],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records an answer with what it cost and who wrote its code (the planner or the AI).
    pub fn record_answer(&self, answer: &crate::Answer, asked_at: &str) -> Result<i64, HistoryError> {
        let breakdown: Vec<serde_json::Value> =
            answer.cost.breakdown.iter().map(|c| serde_json::json!({"item": c.item, "usd": c.usd})).collect();
        let source = match answer.cost.source {
            crate::CostSource::None => "none",
            crate::CostSource::Provider => "provider",
            crate::CostSource::Estimate => "estimate",
        };
        self.conn.execute(
            "INSERT INTO history(question, route, asked_at, code, interpretation, cost_usd, cost_source, cost_breakdown, generated_by, error_kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                answer.question,
                answer.route.as_str(),
                asked_at,
                answer.code,
                answer.interpretation,
                answer.cost.total_usd,
                source,
                serde_json::Value::Array(breakdown).to_string(),
                answer.generated_by,
                answer.error_kind
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Total recorded spend, in USD (for the budget and the status line).
    pub fn total_spent(&self) -> Result<f64, HistoryError> {
        Ok(self.conn.query_row("SELECT coalesce(sum(cost_usd), 0) FROM history", [], |r| r.get(0))?)
    }

    /// Spend per day (`YYYY-MM-DD`, USD) for the `days` days up to and including `today`, oldest
    /// first, days without spend included as 0 (for the Spending page's chart).
    pub fn daily_spend(&self, today: chrono::NaiveDate, days: u32) -> Result<Vec<(String, f64)>, HistoryError> {
        let first = today - chrono::Duration::days(i64::from(days.max(1)) - 1);
        let mut stmt = self.conn.prepare(
            "SELECT substr(asked_at, 1, 10) AS day, sum(cost_usd) FROM history
             WHERE substr(asked_at, 1, 10) BETWEEN ?1 AND ?2 GROUP BY day",
        )?;
        let spent: Vec<(String, f64)> =
            stmt.query_map(params![first.to_string(), today.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(first
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| {
                let day = d.to_string();
                let usd = spent.iter().find(|(k, _)| *k == day).map_or(0.0, |(_, v)| *v);
                (day, usd)
            })
            .collect())
    }

    /// The most recent answers that cost something, newest first: (question, asked at, USD,
    /// who was paid).
    pub fn recent_costs(&self, limit: usize) -> Result<Vec<(String, String, f64, String)>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT question, asked_at, cost_usd, generated_by FROM history WHERE cost_usd > 0 ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The most recent questions, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<HistoryEntry>, HistoryError> {
        let mut stmt =
            self.conn.prepare("SELECT id, question, route, asked_at, code, interpretation FROM history ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], row_to_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The connection, for the other tables of the app database (sources, later settings).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn get(&self, id: i64) -> Result<Option<HistoryEntry>, HistoryError> {
        Ok(self
            .conn
            .query_row("SELECT id, question, route, asked_at, code, interpretation FROM history WHERE id = ?1", [id], row_to_entry)
            .optional()?)
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryEntry> {
    Ok(HistoryEntry {
        id: r.get(0)?,
        question: r.get(1)?,
        route: r.get(2)?,
        asked_at: r.get(3)?,
        code: r.get(4)?,
        interpretation: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_survives_reopening_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        {
            let db = AppDb::open(&path).unwrap();
            db.record("sales by region", "answer", "2026-11-26 09:00", Some("SELECT 1"), "").unwrap();
            db.record("how are we doing?", "clarify", "2026-11-26 09:01", None, "").unwrap();
        }
        let db = AppDb::open(&path).unwrap();
        let recent = db.recent(10).unwrap();
        assert_eq!(recent.iter().map(|e| e.question.as_str()).collect::<Vec<_>>(), ["how are we doing?", "sales by region"]);
        assert_eq!(db.get(recent[1].id).unwrap().unwrap().code.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn spend_per_day_fills_quiet_days_with_zero() {
        let db = AppDb::open_in_memory().unwrap();
        for (at, usd) in [("2026-11-24 09:00", 0.25), ("2026-11-24 18:00", 0.5), ("2026-11-26 08:00", 0.125), ("2026-10-01 08:00", 9.0)] {
            db.conn
                .execute("INSERT INTO history(question, route, asked_at, cost_usd) VALUES ('q', 'answer', ?1, ?2)", params![at, usd])
                .unwrap();
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            db.daily_spend(today, 3).unwrap(),
            [("2026-11-24".to_string(), 0.75), ("2026-11-25".to_string(), 0.0), ("2026-11-26".to_string(), 0.125)]
        );
        assert_eq!(db.recent_costs(2).unwrap().iter().map(|c| c.2).collect::<Vec<_>>(), [9.0, 0.125]);
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(AppDb::open(&path), Err(HistoryError::TooNew { found: 99, .. })));
    }
}
