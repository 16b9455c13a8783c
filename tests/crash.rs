//! Crash safety (issue 15, item 8): the `plainsight` CLI is killed with SIGKILL at seeded random
//! points while it imports a CSV file, records questions in the history, stores AI answers in the
//! cache, reserves and settles budget, and defines budgets. After every kill both databases
//! (the app database and the workspace the imports go to) are opened as the next process would
//! open them and must be intact: `PRAGMA integrity_check` is `ok`, every record a command that
//! finished had committed is still there, and a table exists only with all of its rows.
//!
//! The seed is printed; `PLAINSIGHT_CRASH_SEED=<seed>` repeats a run.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::Server;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

use crate::cli::{bin, sample_db};

const TODAY: &str = "2026-11-26";
const KEY: &str = "pplx-loopback-crash-test-0000WXYZ";
/// Kills in all (each iteration runs one command and kills it at a random point, unless it
/// finished first).
const ITERATIONS: usize = 50;
/// The two CSV files imported over each other; their row counts tell which one a table holds.
const ROWS: [u64; 2] = [100_000, 60_000];
const TABLES: [&str; 3] = ["orders_a", "orders_b", "orders_c"];
/// Budget scopes the AI path reserves in (both defined, with room to spare, before the loop).
const AI_SCOPES: [&str; 2] = ["global", "provider:perplexity"];
/// The kill point of the set-up runs, which must finish: a hang fails the test, it never waits.
const NEVER_LONGER: Duration = Duration::from_secs(30);

const OFFLINE_QUESTIONS: [&str; 5] = [
    "show me last month's sales by region",
    "total revenue this year",
    "monthly revenue for the last 12 months",
    "top 5 products by revenue",
    "how many orders per segment",
];
/// Questions the planner is unsure of, so they go to the (loopback) AI provider.
const AI_QUESTIONS: [&str; 4] = [
    "which products were bought together most often",
    "which customer segments placed the most orders together",
    "what do loyal customers buy on their second visit",
    "which suppliers would we miss most if they stopped delivering",
];

/// SplitMix64: a seeded stream that is the same on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone)]
enum Op {
    Import { file: usize, table: &'static str },
    Ask { question: String },
    AiAsk { question: String },
    Budget { scope: String, limit: f64 },
    CacheClear,
}

impl Op {
    /// Which running-time estimate the kill point is drawn from.
    fn kind(&self) -> &'static str {
        match self {
            Op::Import { file: 0, .. } => "import-big",
            Op::Import { .. } => "import-small",
            Op::Ask { .. } => "ask",
            Op::AiAsk { .. } => "ai-ask",
            Op::Budget { .. } => "budget",
            Op::CacheClear => "cache-clear",
        }
    }
}

/// How one command ended.
struct Ended {
    killed: bool,
    elapsed: Duration,
    stdout: String,
}

struct Harness {
    data: tempfile::TempDir,
    files: [PathBuf; 2],
    server: Server,
}

impl Harness {
    fn command(&self, op: &Op) -> Command {
        let mut cmd = Command::new(bin());
        cmd.env("PLAINSIGHT_DATA_DIR", self.data.path())
            .env_remove("PERPLEXITY_API_KEY")
            .env_remove("OPENAI_API_KEY");
        let db = sample_db().to_str().expect("utf-8 path");
        match op {
            Op::Import { file, table } => {
                cmd.arg("import").arg(&self.files[*file]).args([
                    "--table",
                    table,
                    "--replace",
                    "--json",
                ]);
            }
            Op::Ask { question } => {
                cmd.args([
                    "ask",
                    "--db",
                    db,
                    "--today",
                    TODAY,
                    "--offline",
                    "--json",
                    question,
                ]);
            }
            Op::AiAsk { question } => {
                let url = self.server.url();
                cmd.args([
                    "ask",
                    "--db",
                    db,
                    "--today",
                    TODAY,
                    "--json",
                    "--provider",
                    "perplexity",
                    "--base-url",
                    &url,
                ])
                .args(["--max-cost", "1", question])
                .env("PERPLEXITY_API_KEY", KEY);
            }
            Op::Budget { scope, limit } => {
                cmd.args([
                    "budget",
                    "set",
                    scope,
                    "--limit",
                    &limit.to_string(),
                    "--period",
                    "month",
                ]);
            }
            Op::CacheClear => {
                cmd.args(["cache", "clear"]);
            }
        }
        cmd
    }

    /// Runs `op` and kills it with SIGKILL after `kill_after` unless it ended before.
    fn run(&self, op: &Op, kill_after: Duration) -> Ended {
        let out = self.data.path().join("stdout.txt");
        let err = self.data.path().join("stderr.txt");
        let mut child = self
            .command(op)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("plainsight starts");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            let elapsed = started.elapsed();
            if elapsed >= kill_after {
                // SIGKILL on Unix; if the process ended just now, this is a no-op on a zombie.
                let _ = child.kill();
                break child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(2).min(kill_after - elapsed));
        };
        let elapsed = started.elapsed();
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        let killed = status.signal() == Some(9);
        assert!(
            killed || status.success(),
            "{op:?} failed ({status}): {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        Ended {
            killed,
            elapsed,
            stdout,
        }
    }
}

/// What the two databases hold, read after each command.
#[derive(Debug, Default, Clone, PartialEq)]
struct State {
    user_version: i64,
    /// History row id → question.
    history: BTreeMap<i64, String>,
    /// Budget scope → limit.
    budgets: BTreeMap<String, f64>,
    /// Reservation id → its kind (`reserved` or `settled`), the same in every scope.
    reservations: BTreeMap<String, String>,
    /// Cache entry id → question.
    cache: BTreeMap<i64, String>,
    /// Workspace table → rows.
    tables: BTreeMap<String, u64>,
}

fn integrity_ok(conn: &Connection, what: &str) {
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .expect("integrity_check");
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("integrity_check")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows, ["ok"], "{what}: PRAGMA integrity_check");
}

fn open(path: &Path) -> Option<Connection> {
    path.exists().then(|| {
        // Read-write, as the next CLI or app process opens it (recovering the WAL after a kill).
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

fn pairs<K: Ord, V>(
    conn: &Connection,
    sql: &str,
    f: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<(K, V)>,
) -> BTreeMap<K, V> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| f(r))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.unwrap_or_else(|e| panic!("{sql}: {e}")))
        .collect()
}

/// Opens both databases, checks what must hold whatever ran before, and reads their records.
fn observe(data: &Path) -> State {
    let mut state = State::default();
    if let Some(app) = open(&data.join("plainsight.sqlite")) {
        integrity_ok(&app, "app database");
        state.user_version = app
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version");
        let has = |table: &str| -> bool {
            app.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .expect("schema")
                > 0
        };
        if has("history") {
            state.history = pairs(&app, "SELECT id, question FROM history", |r| {
                Ok((r.get(0)?, r.get(1)?))
            });
        }
        if has("budget_scopes") {
            // Limits are stored in whole nano-dollars; the test's limits are whole dollars.
            state.budgets = pairs(
                &app,
                "SELECT scope, limit_nanos / 1e9 FROM budget_scopes",
                |r| Ok((r.get(0)?, r.get(1)?)),
            );
            let rows: BTreeMap<(String, String), String> = pairs(
                &app,
                "SELECT reservation, scope, kind FROM budget_ledger",
                |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
            );
            for ((reservation, scope), kind) in &rows {
                assert!(
                    AI_SCOPES.contains(&scope.as_str()),
                    "a reservation in an unexpected scope: {reservation} {scope}"
                );
                let seen = state
                    .reservations
                    .entry(reservation.clone())
                    .or_insert_with(|| kind.clone());
                assert_eq!(seen, kind, "reservation {reservation} is {seen} in one scope and {kind} in another: {rows:?}");
            }
            for reservation in state.reservations.keys() {
                for scope in AI_SCOPES {
                    assert!(
                        rows.contains_key(&(reservation.clone(), scope.to_string())),
                        "reservation {reservation} is missing in {scope} (a reservation is all scopes or none): {rows:?}"
                    );
                }
            }
        }
        if has("llm_cache") {
            state.cache = pairs(&app, "SELECT id, question FROM llm_cache", |r| {
                Ok((r.get(0)?, r.get(1)?))
            });
            let stored: i64 = app
                .query_row("SELECT stored FROM cache_stats WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .expect("cache_stats");
            assert_eq!(
                usize::try_from(stored).ok(),
                Some(state.cache.len()),
                "cache_stats.stored counts the cache in the same transaction"
            );
        }
    }
    if let Some(ws) = open(&data.join("workspace.db")) {
        integrity_ok(&ws, "workspace database");
        let names: BTreeMap<String, String> = pairs(
            &ws,
            "SELECT name, type FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
            |r| Ok((r.get(0)?, r.get(1)?)),
        );
        for (name, ty) in names {
            assert!(
                TABLES.contains(&name.as_str()) && ty == "table",
                "unexpected {ty} {name:?} in the workspace"
            );
            let (count, sum): (i64, i64) = ws
                .query_row(
                    &format!("SELECT count(*), coalesce(sum(id), 0) FROM \"{name}\""),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .expect("count");
            let count = u64::try_from(count).unwrap_or_default();
            // All of one file's rows, each once: a half-imported table has neither count nor sum.
            assert!(
                ROWS.contains(&count),
                "table {name} has {count} rows, not one file's {ROWS:?}: a half-imported table"
            );
            assert_eq!(
                u64::try_from(sum).unwrap_or_default(),
                count * (count + 1) / 2,
                "table {name}: ids 1..={count} each once"
            );
            state.tables.insert(name, count);
        }
    }
    // Schema profiles are written to a temporary file and renamed: a profile is whole or absent.
    if let Ok(dir) = std::fs::read_dir(data.join("profiles")) {
        for entry in dir
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        {
            let text = std::fs::read_to_string(entry.path()).expect("profile");
            assert!(
                serde_json::from_str::<Value>(&text).is_ok(),
                "{} is not whole JSON",
                entry.path().display()
            );
        }
    }
    state
}

/// Checks `after` against `before` for one command that ended (`killed` or finished).
fn check(op: &Op, ended: &Ended, before: &State, after: &State) {
    let killed = ended.killed;
    let answer: Option<Value> =
        (!killed).then(|| serde_json::from_str(&ended.stdout).unwrap_or(Value::Null));
    assert!(
        after.user_version >= before.user_version,
        "migrations never go back"
    );
    if !killed {
        assert!(
            after.user_version > 0,
            "a finished command leaves a migrated app database"
        );
    }

    // History: nothing recorded is lost; an ask adds its one row when it finished, at most one
    // when it was killed.
    for (id, q) in &before.history {
        assert_eq!(after.history.get(id), Some(q), "history row {id} was lost");
    }
    let added: Vec<&String> = after
        .history
        .iter()
        .filter(|(id, _)| !before.history.contains_key(id))
        .map(|(_, q)| q)
        .collect();
    match op {
        Op::Ask { question } | Op::AiAsk { question } => {
            let range = if killed { 0..=1 } else { 1..=1 };
            assert!(
                range.contains(&added.len()),
                "{op:?} (killed: {killed}) added {} history rows",
                added.len()
            );
            assert!(
                added.iter().all(|q| *q == question),
                "history rows added: {added:?}"
            );
        }
        _ => assert!(added.is_empty(), "{op:?} added history rows {added:?}"),
    }

    // Budgets: a scope keeps its limit unless this command set it; then it has the new limit
    // (finished) or the old or the new one (killed), never anything else.
    let scopes: BTreeSet<&String> = before.budgets.keys().chain(after.budgets.keys()).collect();
    for scope in scopes {
        let (was, now) = (before.budgets.get(scope), after.budgets.get(scope));
        match op {
            Op::Budget { scope: set, limit } if set == scope => {
                assert!(
                    now == Some(limit) || (killed && now == was),
                    "{scope}: was {was:?}, now {now:?}, set to {limit} (killed: {killed})"
                );
            }
            _ => assert_eq!(now, was, "{op:?} changed the {scope} budget"),
        }
    }

    // Ledger: a settled charge is never lost or reopened. An answer the provider charged for
    // settles a reservation and leaves none open; a killed ask may leave one open (it cannot know
    // whether the provider billed), or nothing, or a settled one.
    for (id, kind) in &before.reservations {
        let now = after.reservations.get(id);
        if kind == "settled" {
            assert_eq!(
                now.map(String::as_str),
                Some("settled"),
                "settled charge {id} was lost"
            );
        } else {
            assert!(now.is_some(), "open reservation {id} vanished");
        }
    }
    let new: Vec<&String> = after
        .reservations
        .iter()
        .filter(|(id, _)| !before.reservations.contains_key(*id))
        .map(|(_, k)| k)
        .collect();
    match op {
        Op::AiAsk { .. } if !killed => {
            let charged = answer
                .as_ref()
                .is_some_and(|a| a["cost"]["source"] == "provider");
            if charged {
                assert_eq!(
                    new,
                    ["settled"],
                    "a charged answer settles its one reservation"
                );
            } else {
                assert!(new.is_empty(), "no charge, no reservation left: {new:?}");
            }
        }
        Op::AiAsk { .. } => assert!(new.len() <= 1, "one reservation per AI call: {new:?}"),
        _ => assert!(new.is_empty(), "{op:?} reserved budget: {new:?}"),
    }

    // Cache: only a clear removes entries, and then all of them (or none, when killed first).
    let kept = before
        .cache
        .iter()
        .filter(|(id, q)| after.cache.get(id) == Some(q))
        .count();
    match op {
        Op::CacheClear => {
            assert!(
                after.cache.is_empty() || (killed && kept == before.cache.len()),
                "a clear is all or nothing: {} of {} kept",
                kept,
                before.cache.len()
            );
        }
        _ => assert_eq!(kept, before.cache.len(), "{op:?} lost cached answers"),
    }
    // (The cache keeps the question as normalised for lookup, not as typed.)
    let stored: Vec<&String> = after
        .cache
        .iter()
        .filter(|(id, _)| !before.cache.contains_key(id))
        .map(|(_, q)| q)
        .collect();
    match op {
        Op::AiAsk { .. } => {
            let missed = answer
                .as_ref()
                .is_some_and(|a| a["cache"] == "miss" && a["route"] == "answer");
            if missed {
                assert_eq!(
                    stored.len(),
                    1,
                    "a finished AI answer is in the cache: {stored:?}"
                );
            }
            assert!(
                stored.len() <= 1,
                "one AI answer, at most one cache entry: {stored:?}"
            );
        }
        _ => assert!(stored.is_empty(), "{op:?} added cache entries {stored:?}"),
    }

    // Workspace: an import leaves its table with all of the file's rows (finished), or as it was
    // (killed before its commit); every other table is untouched.
    let tables: BTreeSet<&String> = before.tables.keys().chain(after.tables.keys()).collect();
    for table in tables {
        let (was, now) = (before.tables.get(table), after.tables.get(table));
        match op {
            Op::Import { file, table: t } if t == table => {
                let rows = ROWS[*file];
                assert!(
                    now == Some(&rows) || (killed && now == was),
                    "{table}: was {was:?}, now {now:?}, imported {rows} rows (killed: {killed})"
                );
            }
            _ => assert_eq!(now, was, "{op:?} changed table {table}"),
        }
    }
}

fn write_csv(path: &Path, rows: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("csv"));
    let regions = ["North", "South", "East", "West"];
    writeln!(f, "id,day,region,amount,qty,note").expect("write");
    for i in 1..=rows {
        let region = regions[usize::try_from(i % 4).unwrap_or(0)];
        writeln!(
            f,
            "{i},2026-{:02}-{:02},{region},{:.2},{},item number {i}",
            1 + i % 12,
            1 + i % 28,
            i as f64 * 0.37,
            i % 17
        )
        .expect("write");
    }
    f.flush().expect("flush");
}

fn seed() -> u64 {
    match std::env::var("PLAINSIGHT_CRASH_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("PLAINSIGHT_CRASH_SEED={s:?} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

#[test]
fn sigkill_during_imports_history_cache_and_budget_writes_loses_nothing_committed() {
    // Built and generated once for all CLI tests; not part of this test's time.
    let _ = (bin(), sample_db());
    let started = Instant::now();
    let seed = seed();
    println!("crash test seed: {seed} (repeat with PLAINSIGHT_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let data = tempfile::Builder::new()
        .prefix("plainsight-crash-")
        .tempdir()
        .expect("temp dir");
    let files = [
        data.path().join("orders_big.csv"),
        data.path().join("orders_small.csv"),
    ];
    for (file, rows) in files.iter().zip(ROWS) {
        write_csv(file, rows);
    }
    let server = Server::start();
    // Every request is answered, a little late, so that kills also land while the call is out.
    let sql = "SELECT c.segment, COUNT(DISTINCT o.order_id) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.segment";
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Orders per customer segment.", "chart_hint": "bar", "assumptions": []});
    let reply = perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(3_000, 60, 0.003, 0.00006, 0.0),
    )
    .after(Duration::from_millis(100));
    server.handle(move |_| Some(reply.clone()));
    let h = Harness {
        data,
        files,
        server,
    };

    // Finished runs of each kind first: room in the AI scopes, and how long each kind takes (the
    // median of its finished runs so far).
    let mut takes: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut state = observe(h.data.path());
    let setup = [
        Op::Budget {
            scope: "global".into(),
            limit: 1000.0,
        },
        Op::Budget {
            scope: "provider:perplexity".into(),
            limit: 1000.0,
        },
        Op::Import {
            file: 0,
            table: TABLES[0],
        },
        Op::Import {
            file: 1,
            table: TABLES[1],
        },
        Op::Ask {
            question: OFFLINE_QUESTIONS[0].into(),
        },
        Op::AiAsk {
            question: format!("{} (setup)", AI_QUESTIONS[0]),
        },
        Op::CacheClear,
    ];
    for op in setup {
        let ended = h.run(&op, NEVER_LONGER);
        assert!(
            !ended.killed,
            "{op:?} did not finish within {NEVER_LONGER:?}"
        );
        let after = observe(h.data.path());
        check(&op, &ended, &state, &after);
        state = after;
        takes.entry(op.kind()).or_default().push(ended.elapsed);
    }
    println!(
        "setup took {:?}; running times: {takes:?}",
        started.elapsed()
    );

    let mut tally: BTreeMap<(&'static str, bool), usize> = BTreeMap::new();
    for i in 0..ITERATIONS {
        let op = match rng.below(20) {
            0..=5 => Op::Import {
                file: rng.below(ROWS.len()),
                table: TABLES[rng.below(TABLES.len())],
            },
            6..=10 => Op::Ask {
                question: OFFLINE_QUESTIONS[rng.below(OFFLINE_QUESTIONS.len())].into(),
            },
            11..=15 => Op::AiAsk {
                question: format!(
                    "{} (crash run {i})",
                    AI_QUESTIONS[rng.below(AI_QUESTIONS.len())]
                ),
            },
            16..=18 => Op::Budget {
                scope: [
                    "global",
                    "provider:perplexity",
                    "provider:openai",
                    "source:crash",
                ][rng.below(4)]
                .into(),
                // Room for every AI call in the AI scopes whatever is set.
                limit: 100.0 + rng.below(900) as f64,
            },
            _ => Op::CacheClear,
        };
        // Half the kill points anywhere in the run, half late in it, where the writes are; about a
        // third of the runs finish first, so later kills also test records they committed.
        let typical = takes.get_mut(op.kind()).map_or(0.2, |t| {
            t.sort_unstable();
            t[t.len() / 2].as_secs_f64()
        });
        let at = if rng.below(2) == 0 {
            rng.unit() * 1.3
        } else {
            0.7 + rng.unit() * 0.5
        };
        let kill_after = Duration::from_secs_f64(typical * at);
        let ended = h.run(&op, kill_after);
        let after = observe(h.data.path());
        check(&op, &ended, &state, &after);
        println!(
            "{:>2}: {:<11} {} after {:>4} ms (kill point {:>4} ms); history {}, cache {}, reservations {}, tables {:?}",
            i + 1,
            op.kind(),
            if ended.killed { "killed  " } else { "finished" },
            ended.elapsed.as_millis(),
            kill_after.as_millis(),
            after.history.len(),
            after.cache.len(),
            after.reservations.len(),
            after.tables
        );
        if !ended.killed {
            takes.entry(op.kind()).or_default().push(ended.elapsed);
        }
        *tally.entry((op.kind(), ended.killed)).or_default() += 1;
        state = after;
    }
    let killed: usize = tally.iter().filter(|((_, k), _)| *k).map(|(_, n)| n).sum();
    println!(
        "{ITERATIONS} iterations, {killed} killed, every check passed, in {:?}: {tally:?}",
        started.elapsed()
    );
    assert!(
        killed >= ITERATIONS / 3,
        "at least a third of the runs are killed, not finished first: {tally:?}"
    );
}
