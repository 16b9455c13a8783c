//! The query process's own walls, with the real `plainsight-query-worker`: a query is ended at its
//! time limit whatever one call is doing, Stop ends it within a second, its memory is bounded, and
//! a worker that dies is replaced. The in-process walls are tested in `executor.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use plainsight_core::executor::process::{Pool, WORKER_NAME};
use plainsight_core::executor::{ExecError, Limits};
use rusqlite::Connection;

/// Builds `plainsight-query-worker` (debug) once and returns its path.
fn program() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "plainsight-query-worker"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the worker");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join(WORKER_NAME)
    })
    .clone()
}

fn shop(dir: &Path) -> PathBuf {
    let path = dir.join("shop.db");
    let conn = Connection::open(&path).expect("a new database");
    conn.execute_batch("CREATE TABLE orders(id INTEGER PRIMARY KEY, region TEXT); INSERT INTO orders(region) VALUES ('North'), ('South');")
        .expect("the fixture");
    path
}

const ENDLESS: &str =
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n";

#[test]
fn answers_come_back_through_the_worker_and_it_stays_warm() {
    let d = tempfile::tempdir().unwrap();
    let path = shop(d.path());
    let pool = Pool::new(program());
    for _ in 0..3 {
        let r = pool
            .query(
                &path,
                "SELECT region, count(*) FROM orders GROUP BY region ORDER BY region",
                &Limits::default(),
                None,
            )
            .unwrap();
        assert_eq!(r.columns, ["region", "count(*)"]);
        assert_eq!(
            r.rows,
            [
                [serde_json::json!("North"), serde_json::json!(1)],
                [serde_json::json!("South"), serde_json::json!(1)]
            ]
        );
    }
    let err = pool
        .query(&path, "DELETE FROM orders", &Limits::default(), None)
        .unwrap_err();
    assert!(matches!(err, ExecError::NotAllowed(_)), "{err:?}");
    let schema = pool.schema(&path).unwrap();
    assert_eq!(schema.tables[0].name, "orders");
}

/// Waiting on another program's lock happens inside one SQLite call, where the progress handler
/// never runs: only the process wall ends it at the time limit (in-process it would wait 2 s
/// and say "locked").
#[test]
fn a_query_stuck_inside_one_call_is_killed_at_its_time_limit() {
    let d = tempfile::tempdir().unwrap();
    let path = shop(d.path());
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch("BEGIN EXCLUSIVE; INSERT INTO orders(region) VALUES ('East');")
        .unwrap();
    let pool = Pool::new(program());
    let limits = Limits {
        timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let started = Instant::now();
    let err = pool
        .query(&path, "SELECT count(*) FROM orders", &limits, None)
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, ExecError::TimedOut(200)), "{err:?}");
    // The limit plus the grace, with a generous margin for a loaded machine; 2 s is the lock wait.
    assert!(took < Duration::from_millis(1_900), "{took:?}");
    writer.execute_batch("ROLLBACK").unwrap();
    // The next query gets a fresh worker.
    assert!(pool
        .query(
            &path,
            "SELECT count(*) FROM orders",
            &Limits::default(),
            None
        )
        .is_ok());
}

#[test]
fn stop_ends_a_running_query_within_a_second() {
    let d = tempfile::tempdir().unwrap();
    let path = shop(d.path());
    let pool = Pool::new(program());
    let cancel = AtomicBool::new(false);
    let limits = Limits {
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    // Stop is pressed once a worker is running the query (no sleep).
    let (err, raised_at) = std::thread::scope(|s| {
        let stopper = s.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while pool.running() == 0 && Instant::now() < deadline {
                std::thread::yield_now();
            }
            assert_eq!(pool.running(), 1, "the query is running");
            cancel.store(true, Ordering::Relaxed);
            Instant::now()
        });
        let err = pool
            .query(&path, ENDLESS, &limits, Some(&cancel))
            .unwrap_err();
        (err, stopper.join().unwrap())
    });
    assert!(matches!(err, ExecError::Cancelled), "{err:?}");
    let waited = raised_at.elapsed();
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    assert_eq!(
        pool.running(),
        0,
        "nothing is counted as running after it ended"
    );
}

/// A query that keeps a growing set for DISTINCT (5 KB a row: a million rows would be 5 GB) meets
/// a wall of the worker — SQLite's heap limit, the address-space limit or the size limit on its
/// temporary files — not the machine's memory or disk.
#[test]
fn a_query_that_needs_too_much_memory_or_space_is_stopped() {
    let d = tempfile::tempdir().unwrap();
    let path = shop(d.path());
    let pool = Pool::new(program());
    let limits = Limits {
        timeout: Duration::from_secs(120),
        ..Limits::default()
    };
    let sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000) \
               SELECT count(*) FROM (SELECT DISTINCT printf('%.5000c', 'x') || x FROM n)";
    let err = pool.query(&path, sql, &limits, None).unwrap_err();
    assert!(
        matches!(
            err,
            ExecError::OutOfMemory(_) | ExecError::WorkerDied(_) | ExecError::TempTooBig(_)
        ),
        "{err:?}"
    );
    eprintln!("stopped with: {err}");
    assert!(err.to_string().contains("than the"), "{err}");
    assert!(
        pool.query(&path, "SELECT 1", &Limits::default(), None)
            .is_ok(),
        "a fresh worker answers"
    );
}

#[test]
fn a_hostile_view_cannot_hang_reading_the_tables() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("views.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE t(x); INSERT INTO t VALUES (1); CREATE VIEW forever AS {ENDLESS};
         CREATE VIEW odd AS SELECT sqlite_version() AS v, randomblob(8) AS b FROM t;"
    ))
    .unwrap();
    drop(conn);
    let pool = Pool::new(program());
    let schema = pool.schema(&path).unwrap();
    assert!(
        schema.tables.iter().any(|t| t.name == "forever"),
        "the view is listed with its columns"
    );
    // A view calling functions the authorizer denies cannot be asked about: it is left out, and
    // the file still opens.
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["forever", "t"]);
}
