//! The app database (`plainsight.sqlite` in the data directory): schema migrations and the
//! history of asked questions. WAL, append-only migrations, one transaction per change. Every
//! text recorded passes [`crate::redact::redact`] first: no key or password is ever stored.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::redact::redact;

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
    // Money as whole nano-dollars (see `crate::money`): every amount column becomes an INTEGER,
    // each row converted once with ROUND(usd * 1e9); the ledger also says what a charge paid for.
    "
CREATE TABLE budget_scopes_nanos (
    scope TEXT PRIMARY KEY,
    limit_nanos INTEGER NOT NULL CHECK (limit_nanos >= 0),
    period TEXT NOT NULL CHECK (period IN ('day', 'month', 'total')),
    soft REAL NOT NULL DEFAULT 0.8 CHECK (soft > 0 AND soft <= 1)
);
INSERT INTO budget_scopes_nanos(scope, limit_nanos, period, soft)
    SELECT scope, CAST(ROUND(limit_usd * 1e9) AS INTEGER), period, soft FROM budget_scopes;
DROP TABLE budget_scopes;
ALTER TABLE budget_scopes_nanos RENAME TO budget_scopes;
CREATE TABLE budget_ledger_nanos (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    period_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reserved', 'settled')),
    nanos INTEGER NOT NULL,
    purpose TEXT NOT NULL DEFAULT 'ai' CHECK (purpose IN ('ai', 'sandbox', 'embedding')),
    reservation TEXT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO budget_ledger_nanos(id, scope, period_key, kind, nanos, reservation, at)
    SELECT id, scope, period_key, kind, CAST(ROUND(usd * 1e9) AS INTEGER), reservation, at FROM budget_ledger;
DROP TABLE budget_ledger;
ALTER TABLE budget_ledger_nanos RENAME TO budget_ledger;
CREATE INDEX budget_ledger_scope ON budget_ledger(scope, period_key);
CREATE INDEX budget_ledger_reservation ON budget_ledger(reservation);
ALTER TABLE history ADD COLUMN cost_nanos INTEGER NOT NULL DEFAULT 0;
UPDATE history SET cost_nanos = CAST(ROUND(cost_usd * 1e9) AS INTEGER),
    cost_breakdown = coalesce((SELECT json_group_array(json_object('item', json_extract(value, '$.item'),
        'nanos', CAST(ROUND(coalesce(json_extract(value, '$.usd'), 0) * 1e9) AS INTEGER))) FROM json_each(history.cost_breakdown)), '[]')
    WHERE json_valid(cost_breakdown);
ALTER TABLE history DROP COLUMN cost_usd;
ALTER TABLE llm_cache ADD COLUMN cost_nanos INTEGER NOT NULL DEFAULT 0;
UPDATE llm_cache SET cost_nanos = CAST(ROUND(cost_usd * 1e9) AS INTEGER);
ALTER TABLE llm_cache DROP COLUMN cost_usd;
ALTER TABLE cache_stats ADD COLUMN saved_nanos INTEGER NOT NULL DEFAULT 0;
UPDATE cache_stats SET saved_nanos = CAST(ROUND(saved_usd * 1e9) AS INTEGER);
ALTER TABLE cache_stats DROP COLUMN saved_usd;
",
    // Every time in UTC (RFC 3339, `…Z`); until now history, sources and the ledger held this
    // computer's local time, which SQLite's `utc` modifier converts (a text it cannot read stays).
    "
UPDATE history SET asked_at = coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', asked_at, 'utc'), asked_at)
    WHERE asked_at NOT LIKE '%Z';
UPDATE sources SET added_at = coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', added_at, 'utc'), added_at)
    WHERE added_at NOT LIKE '%Z' AND added_at <> '';
UPDATE budget_ledger SET at = coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', at, 'utc'), at)
    WHERE at NOT LIKE '%Z';
",
    // History worth keeping: which data each question was asked of, and a name for a saved one.
    "
ALTER TABLE history ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE history ADD COLUMN saved_name TEXT;
CREATE INDEX history_saved ON history(saved_name) WHERE saved_name IS NOT NULL;
",
    // MariaDB/MySQL servers and large files answered in place are sources too: the kind's CHECK
    // is rebuilt (SQLite cannot alter one), every row kept as it was.
    "
CREATE TABLE sources_new (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'workspace', 'sqlite', 'postgres', 'mysql', 'in_place')),
    location TEXT NOT NULL,
    added_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, location)
);
INSERT INTO sources_new (id, name, kind, location, added_at, active)
    SELECT id, name, kind, location, added_at, active FROM sources;
DROP TABLE sources;
ALTER TABLE sources_new RENAME TO sources;
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
    /// The data source it was asked of (a path or a password-free URL; empty before this was
    /// recorded).
    pub source: String,
    /// What it cost, in nano-dollars.
    pub cost_nanos: i64,
    /// The name it was saved under, when the person saved it.
    pub saved_name: Option<String>,
    /// When, in UTC ([`crate::clock::stamp`]; [`crate::clock::shown`] for the screen).
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
        let conn = Connection::open(path).map_err(|source| HistoryError::Open {
            path: path.display().to_string(),
            source,
        })?;
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
            return Err(HistoryError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
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
        asked_at: chrono::DateTime<chrono::Utc>,
        code: Option<&str>,
        interpretation: &str,
    ) -> Result<i64, HistoryError> {
        self.conn.execute(
            "INSERT INTO history(question, route, asked_at, code, interpretation) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![redact(question), route, crate::clock::stamp(asked_at), code.map(redact), redact(interpretation)],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records an answer with what it cost and who wrote its code (the planner or the AI).
    pub fn record_answer(
        &self,
        answer: &crate::Answer,
        asked_at: chrono::DateTime<chrono::Utc>,
        source: &str,
    ) -> Result<i64, HistoryError> {
        let breakdown: Vec<serde_json::Value> = answer
            .cost
            .breakdown
            .iter()
            .map(|c| serde_json::json!({"item": c.item, "nanos": c.nanos}))
            .collect();
        let cost_source = match answer.cost.source {
            crate::CostSource::None => "none",
            crate::CostSource::Provider => "provider",
            crate::CostSource::Estimate => "estimate",
        };
        self.conn.execute(
            "INSERT INTO history(question, route, asked_at, code, interpretation, cost_nanos, cost_source, cost_breakdown, generated_by, error_kind, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                redact(&answer.question),
                answer.route.as_str(),
                crate::clock::stamp(asked_at),
                answer.code.as_deref().map(redact),
                redact(&answer.interpretation),
                answer.cost.total_nanos,
                cost_source,
                serde_json::Value::Array(breakdown).to_string(),
                answer.generated_by,
                answer.error_kind,
                redact(source)
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Total recorded spend, in nano-dollars (for the budget and the status line).
    pub fn total_spent(&self) -> Result<i64, HistoryError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(cost_nanos), 0) FROM history",
            [],
            |r| r.get(0),
        )?)
    }

    /// Spend per local day (`YYYY-MM-DD`, nano-dollars) for the `days` days up to and including
    /// `today`, oldest first, days without spend included as 0 (for the Spending page's chart).
    pub fn daily_spend(
        &self,
        today: chrono::NaiveDate,
        days: u32,
    ) -> Result<Vec<(String, i64)>, HistoryError> {
        let first = today - chrono::Duration::days(i64::from(days.max(1)) - 1);
        let mut stmt = self.conn.prepare(
            "SELECT date(asked_at, 'localtime') AS day, sum(cost_nanos) FROM history
             WHERE day BETWEEN ?1 AND ?2 GROUP BY day",
        )?;
        let spent: Vec<(String, i64)> = stmt
            .query_map(params![first.to_string(), today.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(first
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| {
                let day = d.to_string();
                let nanos = spent.iter().find(|(k, _)| *k == day).map_or(0, |(_, v)| *v);
                (day, nanos)
            })
            .collect())
    }

    /// The most recent answers that cost something, newest first: (question, asked at,
    /// nano-dollars, who was paid).
    pub fn recent_costs(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, String, i64, String)>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT question, asked_at, cost_nanos, generated_by FROM history WHERE cost_nanos > 0 ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The most recent questions, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<HistoryEntry>, HistoryError> {
        self.search("", limit)
    }

    /// The most recent questions whose words or saved name contain `text` (any case), newest
    /// first; every question for an empty `text`.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<HistoryEntry>, HistoryError> {
        self.entries(
            &format!("{MATCHES} ORDER BY id DESC LIMIT ?2"),
            params![matching(text), i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// The saved questions that match `text` as [`Self::search`] does (all for an empty
    /// `text`), by name.
    pub fn saved(&self, text: &str) -> Result<Vec<HistoryEntry>, HistoryError> {
        self.entries(
            &format!(
                "{MATCHES} AND saved_name IS NOT NULL ORDER BY saved_name COLLATE NOCASE, id DESC"
            ),
            params![matching(text)],
        )
    }

    /// The history rows `tail` (a `WHERE …` and what follows) selects.
    fn entries(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<HistoryEntry>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM history {tail}"))?;
        let rows = stmt.query_map(params, row_to_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Saves a question under `name` (trimmed, at most 120 characters); `false` when there is no
    /// such entry.
    pub fn save(&self, id: i64, name: &str) -> Result<bool, HistoryError> {
        let name: String = redact(name.trim()).chars().take(120).collect();
        let name = if name.is_empty() { None } else { Some(name) };
        Ok(self.conn.execute(
            "UPDATE history SET saved_name = coalesce(?2, question) WHERE id = ?1",
            params![id, name],
        )? == 1)
    }

    /// Takes a question out of the saved ones (it stays in the history).
    pub fn unsave(&self, id: i64) -> Result<bool, HistoryError> {
        Ok(self
            .conn
            .execute("UPDATE history SET saved_name = NULL WHERE id = ?1", [id])?
            == 1)
    }

    /// Deletes one entry (saved or not); `false` when there is no such entry. What it cost
    /// stays in the budget's ledger, which is where spending is counted.
    pub fn delete(&self, id: i64) -> Result<bool, HistoryError> {
        Ok(self
            .conn
            .execute("DELETE FROM history WHERE id = ?1", [id])?
            == 1)
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
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM history WHERE id = ?1"),
                [id],
                row_to_entry,
            )
            .optional()?)
    }
}

const ENTRY_COLUMNS: &str =
    "id, question, route, asked_at, code, interpretation, source, cost_nanos, saved_name";

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryEntry> {
    Ok(HistoryEntry {
        id: r.get(0)?,
        question: r.get(1)?,
        route: r.get(2)?,
        asked_at: r.get(3)?,
        code: r.get(4)?,
        interpretation: r.get(5)?,
        source: r.get(6)?,
        cost_nanos: r.get(7)?,
        saved_name: r.get(8)?,
    })
}

/// A question matches a search when its words or its saved name contain the text (`?1`, made by
/// [`matching`]); the parentheses let a caller add `AND …`.
const MATCHES: &str =
    "WHERE (question LIKE ?1 ESCAPE '\\' OR coalesce(saved_name, '') LIKE ?1 ESCAPE '\\')";

/// The LIKE pattern for a search: `text` trimmed, anywhere in the words.
fn matching(text: &str) -> String {
    format!("%{}%", like_escape(text.trim()))
}

/// `text` for a LIKE pattern with `\` as the escape: `%` and `_` match themselves.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local wall-clock time as the UTC instant the app stores.
    fn local(s: &str) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        chrono::Local
            .from_local_datetime(
                &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
            )
            .earliest()
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn history_survives_reopening_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        {
            let db = AppDb::open(&path).unwrap();
            db.record(
                "sales by region",
                "answer",
                local("2026-11-26 09:00"),
                Some("SELECT 1"),
                "",
            )
            .unwrap();
            db.record(
                "how are we doing?",
                "clarify",
                local("2026-11-26 09:01"),
                None,
                "",
            )
            .unwrap();
        }
        let db = AppDb::open(&path).unwrap();
        let recent = db.recent(10).unwrap();
        assert_eq!(
            recent
                .iter()
                .map(|e| e.question.as_str())
                .collect::<Vec<_>>(),
            ["how are we doing?", "sales by region"]
        );
        assert_eq!(
            db.get(recent[1].id).unwrap().unwrap().code.as_deref(),
            Some("SELECT 1")
        );
    }

    #[test]
    fn history_is_searched_saved_and_deleted() {
        let db = AppDb::open_in_memory().unwrap();
        let at = local("2026-11-26 09:00");
        let a = db
            .record("sales by region", "answer", at, None, "")
            .unwrap();
        let b = db
            .record("100% of orders_x", "answer", at, None, "")
            .unwrap();
        let c = db.record("top customers", "answer", at, None, "").unwrap();
        let ids = |v: Vec<HistoryEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(db.search("SALES", 10).unwrap()), [a]);
        assert_eq!(ids(db.search("", 10).unwrap()), [c, b, a]);
        assert_eq!(ids(db.search("%", 10).unwrap()), [b], "% is a character");
        assert_eq!(
            ids(db.search("sales_by", 10).unwrap()),
            Vec::<i64>::new(),
            "_ is a character"
        );
        assert!(db.save(c, "  Best customers  ").unwrap());
        assert!(
            db.save(a, "").unwrap(),
            "an empty name saves it under its question"
        );
        assert_eq!(
            db.saved("")
                .unwrap()
                .iter()
                .map(|e| e.saved_name.clone().unwrap())
                .collect::<Vec<_>>(),
            ["Best customers", "sales by region"]
        );
        assert_eq!(
            ids(db.search("best", 10).unwrap()),
            [c],
            "found by its saved name"
        );
        assert!(db.unsave(a).unwrap());
        assert!(db.delete(c).unwrap());
        assert!(!db.delete(c).unwrap(), "already gone");
        assert!(db.saved("").unwrap().is_empty());
        assert_eq!(ids(db.recent(10).unwrap()), [b, a]);
    }

    #[test]
    fn spend_per_day_fills_quiet_days_with_zero() {
        let db = AppDb::open_in_memory().unwrap();
        for (at, usd) in [
            ("2026-11-24 09:00", 0.25),
            ("2026-11-24 18:00", 0.5),
            ("2026-11-26 08:00", 0.125),
            ("2026-10-01 08:00", 9.0),
        ] {
            db.conn
                .execute(
                    "INSERT INTO history(question, route, asked_at, cost_nanos) VALUES ('q', 'answer', ?1, ?2)",
                    params![crate::clock::stamp(local(at)), crate::money::nanos(usd)],
                )
                .unwrap();
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            db.daily_spend(today, 3).unwrap(),
            [
                ("2026-11-24".to_string(), 750_000_000),
                ("2026-11-25".to_string(), 0),
                ("2026-11-26".to_string(), 125_000_000)
            ]
        );
        assert_eq!(
            db.recent_costs(2)
                .unwrap()
                .iter()
                .map(|c| c.2)
                .collect::<Vec<_>>(),
            [9_000_000_000, 125_000_000]
        );
        assert_eq!(db.total_spent().unwrap(), 9_875_000_000);
    }

    #[test]
    fn amounts_in_dollars_become_whole_nano_dollars_and_nothing_is_lost() {
        // A database as the version before integer money left it: dollars in REAL columns.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        {
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            for sql in &MIGRATIONS[..9] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 9).unwrap();
            tx.execute_batch(
                r#"
                INSERT INTO history(question, route, asked_at, cost_usd, cost_source, cost_breakdown) VALUES
                    ('top products', 'answer', '2026-11-26 09:00', 0.00748, 'provider',
                     '[{"item":"prompt","usd":0.001},{"item":"completion","usd":0.00048},{"item":"fees","usd":0.006}]'),
                    ('sales by region', 'answer', '2026-11-26 09:01', 0, 'none', '[]');
                INSERT INTO budget_scopes(scope, limit_usd, period, soft) VALUES ('global', 5, 'day', 0.8), ('provider:openai', 0.0001, 'total', 0.5);
                INSERT INTO budget_ledger(scope, period_key, kind, usd, reservation, at) VALUES
                    ('global', '2026-11-26', 'settled', 0.00748, 'r1', '2026-11-26 09:00:00'),
                    ('global', '2026-11-26', 'reserved', 0.1234567891, 'r2', '2026-11-26 09:01:00');
                INSERT INTO llm_cache(exact, bucket, question, slots, source, model, embedder, embedding, reply, cost_usd, created_at, expires_at, last_used_at)
                    VALUES ('e', 'b', 'q', '', 's', 'm', 'x', x'', '{}', 0.00249, 1, 2, 1);
                UPDATE cache_stats SET saved_usd = 0.00498;
                "#,
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let db = AppDb::open(&path).unwrap();
        let ints = |sql: &str| -> Vec<i64> {
            db.conn
                .prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(
            ints("SELECT cost_nanos FROM history ORDER BY id"),
            [7_480_000, 0]
        );
        assert_eq!(
            ints("SELECT limit_nanos FROM budget_scopes ORDER BY scope"),
            [5_000_000_000, 100_000]
        );
        assert_eq!(
            ints("SELECT nanos FROM budget_ledger ORDER BY id"),
            [7_480_000, 123_456_789]
        );
        assert_eq!(ints("SELECT count(*) FROM budget_ledger WHERE purpose = 'ai' AND reservation IN ('r1', 'r2')"), [2]);
        assert_eq!(ints("SELECT cost_nanos FROM llm_cache"), [2_490_000]);
        assert_eq!(ints("SELECT saved_nanos FROM cache_stats"), [4_980_000]);
        let breakdown: String = db
            .conn
            .query_row("SELECT cost_breakdown FROM history WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            breakdown,
            r#"[{"item":"prompt","nanos":1000000},{"item":"completion","nanos":480000},{"item":"fees","nanos":6000000}]"#
        );
        // No dollar column is left to drift from the integer one; the cache's count still works.
        for (table, column) in [
            ("history", "cost_usd"),
            ("budget_scopes", "limit_usd"),
            ("budget_ledger", "usd"),
            ("llm_cache", "cost_usd"),
        ] {
            let n: i64 = db
                .conn
                .query_row(
                    &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
                    [column],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "{table}.{column}");
        }
        // Local times became UTC stamps.
        let texts = |sql: &str| -> Vec<String> {
            db.conn
                .prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let utc = |s: &str| crate::clock::stamp(local(s));
        assert_eq!(
            texts("SELECT asked_at FROM history ORDER BY id"),
            [utc("2026-11-26 09:00"), utc("2026-11-26 09:01")]
        );
        assert_eq!(
            texts("SELECT at FROM budget_ledger ORDER BY id"),
            [utc("2026-11-26 09:00"), utc("2026-11-26 09:01")]
        );
        db.conn.execute("DELETE FROM llm_cache", []).unwrap();
        assert_eq!(ints("SELECT stored FROM cache_stats"), [0]);
        assert_eq!(
            db.recent_costs(5)
                .unwrap()
                .iter()
                .map(|c| c.2)
                .collect::<Vec<_>>(),
            [7_480_000]
        );
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            AppDb::open(&path),
            Err(HistoryError::TooNew { found: 99, .. })
        ));
    }
}
