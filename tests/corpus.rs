//! The adversarial corpus (issue 15, "Tests"): every case in `tests/corpus/sql.jsonl` through
//! `plainsight sql --timeout-ms 500` and every case in `tests/corpus/python.jsonl` through
//! `plainsight python`, against copies of the sample database (one in rollback-journal mode, one
//! in WAL mode), four at a time; a selection of exfiltration, crash and time cases through
//! `plainsight ask` with a loopback AI provider that answers with that code; and, when the test
//! PostgreSQL cluster runs, every SQL case as the SELECT-only role.
//!
//! For each case: it ends within its limit plus [`MARGIN`] (else it is killed and fails); the
//! whole process tree (the CLI and its workers, sampled every 20 ms) stays under [`MEMORY_LIMIT`];
//! it exits with an exit code, never a signal or a panic; it leaves no process behind; the
//! database file is byte-for-byte (and so SHA-256) unchanged; no file appears beside it (no
//! `-wal`, `-shm`, `-journal`, nothing a case tried to write) or in the canary directory the
//! corpus writes to; on the AI path, no request body the provider received (and no log line)
//! holds a customer's name or e-mail. On PostgreSQL a checksum of every table, sequence, role,
//! large object, function, extension and setting is the same before and after.
//!
//! A summary table per corpus is printed (`--nocapture` shows it on success) and written to
//! `target/test-artifacts/corpus-*.txt`. See `tests/corpus/README.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{Read, Seek, Write as _};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::Server;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cli::{bin, sample_db};

/// How long past its own limit a case may run before it counts as hung and is killed.
const MARGIN: Duration = Duration::from_secs(10);
/// The query limit every SQL case runs under.
const SQL_TIMEOUT_MS: u64 = 500;
/// MariaDB answers the control reads over the sample's five-table view in about 60 ms alone,
/// but with four cases at a time on two cores (and a TLS handshake each) the ordinary reads
/// came close to 500 ms: the limit that tells a bomb from a read is wider there.
const MARIADB_TIMEOUT_MS: u64 = 2_000;
/// `plainsight python`'s script limit (`PyLimits::default().time`).
const PYTHON_LIMIT: Duration = Duration::from_secs(5);
/// Peak resident memory of the whole process tree: under 1 GB.
const MEMORY_LIMIT: u64 = 1_000_000_000;
/// Cases run at the same time.
const THREADS: usize = 4;
/// How often the process tree is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// Where corpus cases try to write outside the database's folder; watched after every case.
const CANARY: &str = "/tmp/plainsight-corpus-canary";
/// The fixture's file name (cases refer to it, e.g. `ATTACH 'sample.sqlite'`).
const DB_NAME: &str = "sample.sqlite";
const TODAY: &str = "2026-11-26";
const KEY: &str = "pplx-loopback-corpus-key-0000WXYZ";
/// A question the planner is unsure of, so `ask` goes to the AI provider.
const AI_QUESTION: &str = "which products were bought together most often?";
/// Self-corrections allowed on the AI path (the most the CLI takes), so every feedback text is seen.
const SELF_CORRECT: u32 = 2;

// ---------------------------------------------------------------------------------------------
// The corpus files
// ---------------------------------------------------------------------------------------------

struct Case {
    id: String,
    class: String,
    /// The SQL statement or the Python script.
    code: String,
}

fn load(file: &str, field: &str) -> Vec<Case> {
    let path = plainsight_tests::repo_root()
        .join("tests/corpus")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut ids = HashSet::new();
    let mut codes = HashSet::new();
    let cases: Vec<Case> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{file} line {}: {e}", n + 1));
            let get = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{file} line {}: no string \"{k}\"", n + 1))
                    .to_string()
            };
            assert!(
                !get("source").trim().is_empty(),
                "{file} line {}: every case names its source",
                n + 1
            );
            let case = Case {
                id: get("id"),
                class: get("class"),
                code: get(field),
            };
            assert!(ids.insert(case.id.clone()), "{file}: id {} twice", case.id);
            assert!(
                codes.insert(case.code.clone()),
                "{file}: case {} repeats another case's {field}",
                case.id
            );
            case
        })
        .collect();
    cases
}

// ---------------------------------------------------------------------------------------------
// Running one command under watch
// ---------------------------------------------------------------------------------------------

/// What one run of the CLI did, as measured from outside.
#[derive(Default)]
struct Measured {
    elapsed: Duration,
    /// The largest sum of VmRSS over the process tree in one sample (bytes).
    peak_tree: u64,
    /// The largest single process's VmHWM (its own peak, between samples too).
    peak_process_hwm: u64,
    /// The most processes seen in the tree at once (2 = the CLI and a worker).
    max_processes: usize,
    status: Option<ExitStatus>,
    killed: bool,
    /// Processes of the tree still alive 3 s after the CLI exited.
    orphans: Vec<u32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// `pid → (parent pid, start time)` of every process, from `/proc/<pid>/stat`.
fn process_table() -> HashMap<u32, (u32, u64)> {
    let mut table = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return table;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(info) = stat(pid) {
            table.insert(pid, info);
        }
    }
    table
}

/// `(parent pid, start time)` of a live (not zombie) process.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields follow the last ')'.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    Some((fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// Whether `/proc/<pid>/task/<tid>/children` exists on this kernel (CONFIG_PROC_CHILDREN).
fn has_children_files() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let me = std::process::id();
        std::fs::read_dir(format!("/proc/{me}/task"))
            .ok()
            .and_then(|mut tasks| tasks.next())
            .and_then(Result::ok)
            .is_some_and(|task| task.path().join("children").exists())
    })
}

/// Every live descendant of `root` with its start time: from the `children` files when the
/// kernel has them, else from the parent pids of all processes.
fn descendants(root: u32) -> Vec<(u32, u64)> {
    let mut found = Vec::new();
    if has_children_files() {
        let mut queue = vec![root];
        while let Some(pid) = queue.pop() {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                for child in children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok())
                {
                    if let Some((_, start)) = stat(child) {
                        found.push((child, start));
                        queue.push(child);
                    }
                }
            }
        }
    } else {
        let table = process_table();
        let mut queue = vec![root];
        while let Some(parent) = queue.pop() {
            for (pid, (ppid, start)) in &table {
                if *ppid == parent && !found.iter().any(|(p, _)| p == pid) {
                    found.push((*pid, *start));
                    queue.push(*pid);
                }
            }
        }
    }
    found
}

/// `(VmRSS, VmHWM)` of a process in bytes.
fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
    };
    Some((field("VmRSS:")? * 1024, field("VmHWM:").unwrap_or(0) * 1024))
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn read_capped(file: &mut std::fs::File, cap: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = file.rewind();
    let _ = file.take(cap).read_to_end(&mut bytes);
    bytes
}

/// Runs `command` (stdin from `input`), sampling its process tree every [`SAMPLE_EVERY`] and
/// killing the whole tree once it has run `limit` + [`MARGIN`].
fn watch(
    mut command: Command,
    input: Option<&[u8]>,
    limit: Duration,
    keep_stdout: u64,
) -> Measured {
    let mut stdout = tempfile::tempfile().expect("temp file");
    let mut stderr = tempfile::tempfile().expect("temp file");
    let stdin = match input {
        Some(bytes) => {
            let mut file = tempfile::tempfile().expect("temp file");
            file.write_all(bytes).expect("write stdin");
            file.rewind().expect("rewind");
            Stdio::from(file)
        }
        None => Stdio::null(),
    };
    command
        .stdin(stdin)
        .stdout(stdout.try_clone().expect("dup"))
        .stderr(stderr.try_clone().expect("dup"));
    let started = Instant::now();
    let mut child = command.spawn().expect("plainsight starts");
    let root = child.id();
    let deadline = limit + MARGIN;
    let mut m = Measured::default();
    let mut seen: HashMap<u32, u64> = HashMap::new();
    loop {
        let tree = descendants(root);
        let mut total = memory_of(root).map_or(0, |(rss, hwm)| {
            m.peak_process_hwm = m.peak_process_hwm.max(hwm);
            rss
        });
        for (pid, start) in &tree {
            seen.insert(*pid, *start);
            if let Some((rss, hwm)) = memory_of(*pid) {
                total += rss;
                m.peak_process_hwm = m.peak_process_hwm.max(hwm);
            }
        }
        m.peak_tree = m.peak_tree.max(total);
        m.max_processes = m.max_processes.max(1 + tree.len());
        if let Some(status) = child.try_wait().expect("wait") {
            m.status = Some(status);
            break;
        }
        if started.elapsed() >= deadline {
            m.killed = true;
            for (pid, _) in descendants(root) {
                kill(pid);
            }
            let _ = child.kill();
            m.status = child.wait().ok();
            break;
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    m.elapsed = started.elapsed();
    // Workers must end with the CLI (or be ended by it): give them 3 s, then kill what is left.
    let orphan_deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive: Vec<u32> = seen
            .iter()
            .filter(|(pid, start)| stat(**pid).is_some_and(|(_, s)| s == **start))
            .map(|(p, _)| *p)
            .collect();
        if alive.is_empty() {
            break;
        }
        if Instant::now() > orphan_deadline {
            for pid in &alive {
                kill(*pid);
            }
            m.orphans = alive;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    m.stdout = read_capped(&mut stdout, keep_stdout);
    m.stderr = String::from_utf8_lossy(&read_capped(&mut stderr, 1 << 20)).into_owned();
    m
}

// ---------------------------------------------------------------------------------------------
// Fixtures: a private copy of the sample database per worker, in rollback and in WAL mode
// ---------------------------------------------------------------------------------------------

/// A folder holding only `sample.sqlite`, restored after any case that changed it.
struct Fixture {
    dir: tempfile::TempDir,
    pristine: Vec<u8>,
    mode: &'static str,
}

impl Fixture {
    fn new(mode: &'static str) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("plainsight-corpus-db-")
            .tempdir()
            .expect("temp dir");
        let db = dir.path().join(DB_NAME);
        std::fs::copy(sample_db(), &db).expect("copy the sample");
        if mode == "wal" {
            let conn = rusqlite::Connection::open(&db).expect("open the copy");
            let journal: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .expect("WAL");
            assert_eq!(journal, "wal");
            drop(conn);
        }
        let fixture = Fixture {
            pristine: std::fs::read(&db).expect("read the copy"),
            dir,
            mode,
        };
        assert_eq!(
            fixture.others(),
            Vec::<String>::new(),
            "the {mode} fixture starts alone in its folder"
        );
        fixture
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join(DB_NAME)
    }

    /// Files in the folder other than the database.
    fn others(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != DB_NAME)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// What the last case changed (problems, and whether it counts as a write), then restores.
    fn check_and_restore(&self) -> (Vec<String>, bool) {
        let mut problems = Vec::new();
        let mut wrote = false;
        let now = std::fs::read(self.db()).unwrap_or_default();
        if now != self.pristine {
            wrote = true;
            problems.push(format!(
                "WRITE: the {} database changed (SHA-256 {} → {}, {} → {} bytes)",
                self.mode,
                sha256_hex(&self.pristine),
                sha256_hex(&now),
                self.pristine.len(),
                now.len()
            ));
        }
        let others = self.others();
        if !others.is_empty() {
            let side = |n: &str| {
                [DB_NAME, "-wal"].concat() == n
                    || [DB_NAME, "-shm"].concat() == n
                    || [DB_NAME, "-journal"].concat() == n
            };
            let (sidecars, created): (Vec<&String>, Vec<&String>) =
                others.iter().partition(|n| side(n));
            if !sidecars.is_empty() {
                problems.push(format!(
                    "SIDE FILE beside the {} database: {sidecars:?}",
                    self.mode
                ));
            }
            if !created.is_empty() {
                wrote = true;
                problems.push(format!(
                    "WRITE: new file beside the {} database: {created:?}",
                    self.mode
                ));
            }
        }
        if wrote || !others.is_empty() {
            for name in &others {
                let _ = std::fs::remove_file(self.dir.path().join(name));
                let _ = std::fs::remove_dir_all(self.dir.path().join(name));
            }
            std::fs::write(self.db(), &self.pristine).expect("restore the fixture");
        }
        (problems, wrote)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Creates the canary folder (writable by anyone, so a PostgreSQL server process could write
/// there too) and returns what appeared in it since the last call, removing it.
fn canary_check() -> Vec<String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _held = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = Path::new(CANARY);
    if !dir.exists() {
        std::fs::create_dir_all(dir).expect("canary folder");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
            .expect("canary permissions");
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        found.push(entry.file_name().to_string_lossy().into_owned());
        let _ = std::fs::remove_file(entry.path());
        let _ = std::fs::remove_dir_all(entry.path());
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Outcomes and the summary
// ---------------------------------------------------------------------------------------------

struct Outcome {
    id: String,
    class: String,
    m: Measured,
    /// Exit 0 (and, for Python, `ok: true`).
    answered: bool,
    wrote: bool,
    problems: Vec<String>,
}

/// The checks every run shares: ending, memory, exit, processes left behind.
fn process_problems(m: &Measured, limit: Duration) -> Vec<String> {
    let mut problems = Vec::new();
    if m.killed {
        problems.push(format!(
            "HANG: still running after {:.1} s (limit {:.1} s + {} s margin); killed",
            m.elapsed.as_secs_f64(),
            limit.as_secs_f64(),
            MARGIN.as_secs()
        ));
    }
    if m.peak_tree >= MEMORY_LIMIT {
        problems.push(format!(
            "MEMORY: the process tree reached {} (limit {})",
            mb(m.peak_tree),
            mb(MEMORY_LIMIT)
        ));
    } else if m.peak_process_hwm >= MEMORY_LIMIT {
        problems.push(format!(
            "MEMORY: one process's own peak (VmHWM) reached {} (limit {})",
            mb(m.peak_process_hwm),
            mb(MEMORY_LIMIT)
        ));
    }
    match m.status {
        Some(status) if !m.killed => match (status.code(), status.signal()) {
            (_, Some(signal)) => problems.push(format!(
                "SIGNAL: ended by signal {signal}; stderr: {}",
                tail(&m.stderr)
            )),
            (Some(101), _) => {
                problems.push(format!("PANIC: exit code 101; stderr: {}", tail(&m.stderr)));
            }
            _ => {}
        },
        _ => {}
    }
    for crash in [
        "panicked at",
        "stack overflow",
        "fatal runtime error",
        "memory allocation of",
    ] {
        if m.stderr.contains(crash) && !m.killed {
            problems.push(format!("CRASH: stderr says {crash:?}: {}", tail(&m.stderr)));
        }
    }
    if !m.orphans.is_empty() {
        problems.push(format!(
            "ORPHAN: processes {:?} were still running 3 s after the CLI exited (killed)",
            m.orphans
        ));
    }
    problems
}

fn tail(text: &str) -> String {
    let t = text.trim();
    let start = t.char_indices().rev().nth(300).map_or(0, |(i, _)| i);
    t[start..].replace('\n', " ⏎ ")
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

struct Summary {
    title: String,
    cases: usize,
    writes: usize,
    worst_time: (Duration, String),
    worst_memory: (u64, String),
    failures: Vec<String>,
    text: String,
}

fn summarize(title: &str, outcomes: &[Outcome], notes: &[String]) -> Summary {
    let mut by_class: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        by_class.entry(o.class.as_str()).or_default().push(o);
    }
    let worst_time = |os: &[&Outcome]| {
        os.iter()
            .max_by_key(|o| o.m.elapsed)
            .map(|o| (o.m.elapsed, o.id.clone()))
            .unwrap_or_default()
    };
    let worst_mem = |os: &[&Outcome]| {
        os.iter()
            .max_by_key(|o| o.m.peak_tree)
            .map(|o| (o.m.peak_tree, o.id.clone()))
            .unwrap_or_default()
    };
    let mut text = String::new();
    let _ = writeln!(text, "\n=== {title} ===");
    let _ = writeln!(
        text,
        "{:<18} {:>5} {:>8} {:>6} {:>7} {:>9} {:>10} {:>8}",
        "class", "cases", "answered", "writes", "workers", "worst s", "worst mem", "failures"
    );
    let row = |text: &mut String, name: &str, os: &[&Outcome]| {
        let _ = writeln!(
            text,
            "{:<18} {:>5} {:>8} {:>6} {:>7} {:>9.2} {:>10} {:>8}",
            name,
            os.len(),
            os.iter().filter(|o| o.answered).count(),
            os.iter().filter(|o| o.wrote).count(),
            os.iter().filter(|o| o.m.max_processes > 1).count(),
            worst_time(os).0.as_secs_f64(),
            mb(worst_mem(os).0),
            os.iter().filter(|o| !o.problems.is_empty()).count()
        );
    };
    for (class, os) in &by_class {
        row(&mut text, class, os);
    }
    let all: Vec<&Outcome> = outcomes.iter().collect();
    row(&mut text, "ALL", &all);
    let (t, t_id) = worst_time(&all);
    let (m, m_id) = worst_mem(&all);
    let hwm = outcomes
        .iter()
        .max_by_key(|o| o.m.peak_process_hwm)
        .map(|o| (o.m.peak_process_hwm, o.id.clone()))
        .unwrap_or_default();
    let writes = outcomes.iter().filter(|o| o.wrote).count();
    let _ = writeln!(text, "writes that got through: {writes}");
    let _ = writeln!(text, "worst time: {:.2} s ({t_id})", t.as_secs_f64());
    let _ = writeln!(
        text,
        "worst peak memory of a process tree (VmRSS sampled every 20 ms): {} ({m_id})",
        mb(m)
    );
    let _ = writeln!(
        text,
        "worst single-process VmHWM: {} ({})",
        mb(hwm.0),
        hwm.1
    );
    let _ = writeln!(
        text,
        "cases that ran a worker process: {}",
        outcomes.iter().filter(|o| o.m.max_processes > 1).count()
    );
    for note in notes {
        let _ = writeln!(text, "{note}");
    }
    let failures: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.problems
                .iter()
                .map(move |p| format!("{} [{}]: {p}", o.id, o.class))
        })
        .collect();
    let _ = writeln!(
        text,
        "failures: {}",
        outcomes.iter().filter(|o| !o.problems.is_empty()).count()
    );
    for f in &failures {
        let _ = writeln!(text, "  {f}");
    }
    Summary {
        title: title.to_string(),
        cases: outcomes.len(),
        writes,
        worst_time: (t, t_id),
        worst_memory: (m, m_id),
        failures,
        text,
    }
}

/// Prints the summary, keeps it in `target/test-artifacts/`, and fails the test on any failure.
fn report(file: &str, summary: &Summary) {
    println!("{}", summary.text);
    let path = plainsight_tests::artifacts_dir().join(file);
    let _ = std::fs::write(&path, &summary.text);
    assert!(
        summary.failures.is_empty(),
        "{}: {} of {} cases failed (writes through: {}, worst time {:.2} s in {}, worst memory {} in {}); summary in {}:\n{}",
        summary.title,
        summary.failures.len(),
        summary.cases,
        summary.writes,
        summary.worst_time.0.as_secs_f64(),
        summary.worst_time.1,
        mb(summary.worst_memory.0),
        summary.worst_memory.1,
        path.display(),
        summary.failures.join("\n")
    );
}

/// Runs `f` over `items` on [`THREADS`] threads, each with its own state from `init`.
fn parallel<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..THREADS.min(items.len().max(1)) {
            scope.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(&mut state, i, item);
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The CLI with both workers built beside it (the query process wall is only in force then).
fn cli() -> &'static Path {
    static BUILT: OnceLock<()> = OnceLock::new();
    let plainsight = bin();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "plainsight-query-worker",
                "-p",
                "plainsight-python-worker",
            ])
            .current_dir(plainsight_tests::repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the worker programs failed");
        for worker in ["plainsight-query-worker", "plainsight-python-worker"] {
            assert!(
                plainsight.with_file_name(worker).exists(),
                "{worker} is not beside {}",
                plainsight.display()
            );
        }
        canary_check();
    });
    plainsight
}

/// Per-worker state: the fixtures (rollback, WAL) and a data directory.
struct Slot {
    fixtures: [Fixture; 2],
    data: tempfile::TempDir,
}

fn slot() -> Slot {
    Slot {
        fixtures: [Fixture::new("rollback"), Fixture::new("wal")],
        data: plainsight_tests::data_dir(),
    }
}

/// The checks of a run against a fixture, the fixture restored, the canary emptied.
fn judge_sqlite(
    id: &str,
    class: &str,
    m: Measured,
    limit: Duration,
    fixture: &Fixture,
    answered: bool,
) -> Outcome {
    let mut problems = process_problems(&m, limit);
    let (fixture_problems, mut wrote) = fixture.check_and_restore();
    problems.extend(fixture_problems);
    let canary = canary_check();
    if !canary.is_empty() {
        wrote = true;
        problems.push(format!(
            "WRITE: files appeared in {CANARY}: {canary:?} (while this case ran, among others)"
        ));
    }
    Outcome {
        id: id.to_string(),
        class: class.to_string(),
        m,
        answered,
        wrote,
        problems,
    }
}

// ---------------------------------------------------------------------------------------------
// SQL on SQLite
// ---------------------------------------------------------------------------------------------

fn sql_command(data: &Path, cwd: &Path, db: &str, sql: &str, timeout_ms: u64) -> Command {
    let mut cmd = Command::new(cli());
    cmd.args([
        "sql",
        "--db",
        db,
        "--timeout-ms",
        &timeout_ms.to_string(),
        "--",
        sql,
    ])
    .current_dir(cwd)
    .env("PLAINSIGHT_DATA_DIR", data)
    .env_remove("PERPLEXITY_API_KEY")
    .env_remove("OPENAI_API_KEY");
    cmd
}

/// A control case must answer with a table.
fn control_problem(case: &Case, m: &Measured) -> Option<String> {
    if case.class != "control" {
        return None;
    }
    let parsed: Option<Value> = serde_json::from_slice(&m.stdout).ok();
    let ok = m.status.is_some_and(|s| s.success())
        && parsed.is_some_and(|v| v["columns"].as_array().is_some_and(|c| !c.is_empty()));
    (!ok).then(|| {
        format!(
            "CONTROL: an ordinary read did not answer ({:?}): {}",
            m.status,
            tail(&m.stderr)
        )
    })
}

#[test]
fn sql_corpus_on_sqlite() {
    let cases = load("sql.jsonl", "sql");
    assert!(
        cases.len() >= 300,
        "at least 300 SQL cases, found {}",
        cases.len()
    );
    cli();
    let limit = Duration::from_millis(SQL_TIMEOUT_MS);
    let outcomes = parallel(&cases, slot, |slot, i, case| {
        let fixture = &slot.fixtures[i % 2];
        let m = watch(
            sql_command(
                slot.data.path(),
                fixture.dir.path(),
                DB_NAME,
                &case.code,
                SQL_TIMEOUT_MS,
            ),
            None,
            limit,
            64 << 20,
        );
        let control = control_problem(case, &m);
        let answered = m.status.is_some_and(|s| s.success());
        let mut o = judge_sqlite(&case.id, &case.class, m, limit, fixture, answered);
        o.problems.extend(control);
        o
    });
    let notes = [
        format!(
            "fixture: the sample database, even cases on a rollback-journal copy, odd cases on a WAL copy; `plainsight sql --timeout-ms {SQL_TIMEOUT_MS}`, {THREADS} at a time"
        ),
        format!(
            "cases that ended with the query process ended (memory wall or crash, reported as such): {}",
            outcomes.iter().filter(|o| o.m.stderr.contains("query process failed")).count()
        ),
    ];
    report(
        "corpus-sql-sqlite.txt",
        &summarize("SQL corpus on SQLite", &outcomes, &notes),
    );
}

// ---------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------

fn python_command(data: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(cli());
    cmd.args(["python", "--db", DB_NAME])
        .current_dir(cwd)
        .env("PLAINSIGHT_DATA_DIR", data)
        .env_remove("DAYTONA_API_KEY")
        .env_remove("PERPLEXITY_API_KEY");
    cmd
}

#[test]
fn python_corpus() {
    let cases = load("python.jsonl", "script");
    assert!(
        cases.len() >= 100,
        "at least 100 Python cases, found {}",
        cases.len()
    );
    cli();
    let outcomes = parallel(&cases, slot, |slot, i, case| {
        let fixture = &slot.fixtures[i % 2];
        let m = watch(
            python_command(slot.data.path(), fixture.dir.path()),
            Some(case.code.as_bytes()),
            PYTHON_LIMIT,
            1 << 20,
        );
        let answered = m.status.is_some_and(|s| s.success())
            && serde_json::from_slice::<Value>(&m.stdout)
                .is_ok_and(|v| v["ok"].as_bool() == Some(true));
        judge_sqlite(&case.id, &case.class, m, PYTHON_LIMIT, fixture, answered)
    });
    let notes = [format!(
        "`plainsight python --db <copy>` (Monty, {} s script limit, query_sql bound to the copy), {THREADS} at a time; \"answered\" = ok: true",
        PYTHON_LIMIT.as_secs()
    )];
    report(
        "corpus-python.txt",
        &summarize("Python corpus", &outcomes, &notes),
    );
}

// ---------------------------------------------------------------------------------------------
// The AI path: the loopback provider answers with the case's code
// ---------------------------------------------------------------------------------------------

/// Every customer's name and e-mail in the fixture, with the forms a leak might take (the hex
/// of each, the e-mail's local part).
fn customers() -> &'static Vec<String> {
    static VALUES: OnceLock<Vec<String>> = OnceLock::new();
    VALUES.get_or_init(|| {
        let conn = rusqlite::Connection::open_with_flags(
            sample_db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("sample");
        let mut stmt = conn
            .prepare("SELECT name, email FROM customers")
            .expect("customers");
        let mut values = Vec::new();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .expect("query");
        for row in rows {
            let (name, email) = row.expect("row");
            let hex = |s: &str| {
                s.bytes().fold(String::new(), |mut h, b| {
                    let _ = write!(h, "{b:02X}");
                    h
                })
            };
            values.push(hex(&name));
            values.push(hex(&email));
            if let Some((local, _)) = email.split_once('@') {
                values.push(local.to_string());
            }
            values.push(name);
            values.push(email);
        }
        values.sort();
        values.dedup();
        assert!(
            values.len() >= 1000,
            "the fixture has customers with names and e-mails"
        );
        values
    })
}

/// The fixture values found in `text` (at most a few, for the message).
fn leaked_in(text: &str) -> Vec<&'static str> {
    customers()
        .iter()
        .filter(|v| text.contains(v.as_str()))
        .take(3)
        .map(String::as_str)
        .collect()
}

/// An AI-path case: the code the provider answers with.
struct AiCase {
    id: String,
    class: String,
    language: &'static str,
    code: String,
}

fn ai_cases(sql: &[Case], python: &[Case], postgres: bool) -> Vec<AiCase> {
    let sqlite_exfil = |c: &&Case| c.class == "exfiltration" && !c.id.ends_with("-pg");
    let extra = [
        "crash_bomb-left-deep-plus-49996",
        "crash_bomb-over-length-limit-just",
        "crash_bomb-parentheses-59000",
        "crash_bomb-nested-case-5000",
        "time_bomb-instr-4m",
        "time_bomb-glob-op-many-stars",
        "memory_bomb-json-group-array-big",
        "memory_bomb-rows-of-4mb",
    ];
    let mut cases: Vec<AiCase> = if postgres {
        sql.iter()
            .filter(|c| c.class == "exfiltration" && c.id.ends_with("-pg"))
            .map(|c| AiCase {
                id: format!("ai-{}", c.id),
                class: "ai_sql".into(),
                language: "sql",
                code: c.code.clone(),
            })
            .collect()
    } else {
        sql.iter()
            .filter(|c| sqlite_exfil(c) || extra.contains(&c.id.as_str()))
            .map(|c| AiCase {
                id: format!("ai-{}", c.id),
                class: "ai_sql".into(),
                language: "sql",
                code: c.code.clone(),
            })
            .collect()
    };
    if !postgres {
        // The red team's 300 KB reply: a left-deep sum of 140,000 terms (too long for argv).
        cases.push(AiCase {
            id: "ai-left-deep-plus-140000".into(),
            class: "ai_sql".into(),
            language: "sql",
            code: format!("SELECT 1{}", "+1".repeat(139_999)),
        });
        cases.extend(
            python
                .iter()
                .filter(|c| c.class == "exfiltration")
                .map(|c| AiCase {
                    id: format!("ai-{}", c.id),
                    class: "ai_python".into(),
                    language: "python",
                    code: c.code.clone(),
                }),
        );
    }
    cases
}

fn reply_for(case: &AiCase) -> plainsight_loopback::Reply {
    let body = if case.language == "sql" {
        json!({"kind": "answer", "language": "sql", "code": case.code, "explanation": "Products bought together.", "chart_hint": "table", "assumptions": []})
    } else {
        json!({"kind": "answer", "language": "python", "query": "SELECT count(*) AS n FROM orders", "code": case.code, "explanation": "Products bought together.", "chart_hint": "table", "assumptions": []})
    };
    perplexity::agent_ok(
        &body.to_string(),
        AgentUsage::new(3_000, 60, 0.003, 0.00006, 0.0),
    )
}

/// Runs the AI cases against `db` (a fixture file name in the working directory, or a URL).
fn run_ai(cases: &[AiCase], on_postgres: Option<&str>) -> (Vec<Outcome>, usize) {
    let corrections = AtomicUsize::new(0);
    let outcomes = parallel(cases, slot, |slot, i, case| {
        let fixture = &slot.fixtures[i % 2];
        let server = Server::start();
        let reply = reply_for(case);
        server.handle(move |_| Some(reply.clone()));
        let data = plainsight_tests::data_dir();
        let db = on_postgres.unwrap_or(DB_NAME);
        let mut cmd = Command::new(cli());
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
            &server.url(),
        ])
        .args([
            "--timeout-ms",
            &SQL_TIMEOUT_MS.to_string(),
            "--self-correct",
            &SELF_CORRECT.to_string(),
            "--max-cost",
            "1",
            AI_QUESTION,
        ])
        .current_dir(fixture.dir.path())
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .env("PERPLEXITY_API_KEY", KEY);
        let attempts = SELF_CORRECT + 1;
        let limit = if case.language == "sql" {
            Duration::from_millis(SQL_TIMEOUT_MS) * attempts
        } else {
            PYTHON_LIMIT * attempts
        };
        let m = watch(cmd, None, limit, 1 << 20);
        let answered = m.status.is_some_and(|s| s.success());
        let mut o = if on_postgres.is_some() {
            let problems = process_problems(&m, limit);
            Outcome {
                id: case.id.clone(),
                class: case.class.clone(),
                m,
                answered,
                wrote: false,
                problems,
            }
        } else {
            judge_sqlite(&case.id, &case.class, m, limit, fixture, answered)
        };
        let requests = server.requests();
        if requests.is_empty() {
            o.problems.push(format!(
                "HARNESS: the question never reached the AI provider; stdout: {}",
                tail(&String::from_utf8_lossy(&o.m.stdout))
            ));
        }
        if requests.len() > 1 {
            corrections.fetch_add(1, Ordering::SeqCst);
        }
        for (n, request) in requests.iter().enumerate() {
            let leaked = leaked_in(&request.body);
            if !leaked.is_empty() {
                o.problems.push(format!(
                    "LEAK: request {} of {} to the AI holds customer data, e.g. {leaked:?}",
                    n + 1,
                    requests.len()
                ));
            }
        }
        for log in std::fs::read_dir(data.path().join("logs"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = String::from_utf8_lossy(&std::fs::read(log.path()).unwrap_or_default())
                .into_owned();
            let leaked = leaked_in(&text);
            if !leaked.is_empty() {
                o.problems.push(format!(
                    "LEAK: the log {} holds customer data, e.g. {leaked:?}",
                    log.file_name().to_string_lossy()
                ));
            }
        }
        o
    });
    (outcomes, corrections.into_inner())
}

#[test]
fn ai_path_corpus_sends_no_row_to_the_provider() {
    let cases = ai_cases(
        &load("sql.jsonl", "sql"),
        &load("python.jsonl", "script"),
        false,
    );
    assert!(
        cases.len() >= 30,
        "about 30 AI-path cases, found {}",
        cases.len()
    );
    // The detector finds what the red team's error path carried: hex of names and e-mails.
    let conn = rusqlite::Connection::open_with_flags(
        sample_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("sample");
    let hex: String = conn
        .query_row(
            "SELECT substr(hex(group_concat(name || email)), 1, 200) FROM customers",
            [],
            |r| r.get(0),
        )
        .expect("hex");
    assert!(
        !leaked_in(&format!("bad JSON path: 'x{hex}'")).is_empty(),
        "the leak detector misses {hex}"
    );
    cli();
    let (outcomes, corrected) = run_ai(&cases, None);
    let notes = [
        format!("`plainsight ask --timeout-ms {SQL_TIMEOUT_MS} --self-correct {SELF_CORRECT}` with the loopback provider answering the case's code to every request"),
        format!("cases whose error went back to the AI (more than one request): {corrected}"),
        format!("every request body and log line checked for {} values from the customers table (names, e-mails, local parts, their hex)", customers().len()),
    ];
    report(
        "corpus-ai.txt",
        &summarize("AI path (SQLite)", &outcomes, &notes),
    );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL, as the SELECT-only role
// ---------------------------------------------------------------------------------------------

/// A fingerprint of everything a statement could change in the `shop` database and the cluster:
/// every table's rows, the sequence, relations, functions, extensions, roles, large objects and
/// stored settings.
fn pg_checksum() -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = crate::postgres::with_db(&crate::postgres::superuser_url(), "shop");
        let c = crate::postgres::connect(&url).await.expect("connect as the superuser");
        let tables = ["regions", "customers", "products", "orders", "order_items"]
            .iter()
            .map(|t| format!("(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {t} t)"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT concat_ws('|', {tables},
                (SELECT last_value::text || is_called::text FROM invoice_numbers),
                (SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname)
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'),
                (SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname = 'public'),
                (SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension),
                (SELECT string_agg(rolname || rolsuper::text || rolcanlogin::text, ',' ORDER BY rolname) FROM pg_roles),
                (SELECT count(*)::text FROM pg_largeobject_metadata),
                (SELECT coalesce(string_agg(array_to_string(setconfig, ';'), ',' ORDER BY setdatabase, setrole), '') FROM pg_db_role_setting),
                (SELECT count(*)::text FROM pg_file_settings WHERE sourcefile LIKE '%auto.conf'))"
        );
        let row = c.query_one(sql.as_str(), &[]).await.expect("checksum");
        row.get::<_, String>(0)
    })
}

/// Backends of the SELECT-only role still running a statement started more than 2 s ago:
/// `(pid, seconds, query)`.
fn pg_busy_backends() -> Vec<(i32, f64, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = crate::postgres::with_db(&crate::postgres::superuser_url(), "shop");
        let c = crate::postgres::connect(&url).await.expect("connect as the superuser");
        let rows = c
            .query(
                "SELECT pid, extract(epoch FROM now() - query_start)::float8, query FROM pg_stat_activity
                  WHERE usename = 'plainsight_ro' AND state = 'active' AND now() - query_start > interval '2 seconds'",
                &[],
            )
            .await
            .expect("pg_stat_activity");
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
    })
}

/// The SQL cases through `plainsight sql --db <url>`, {THREADS} at a time, with `checksum` of
/// the server's data taken every 20 cases (a change names the cases since the last) and at the
/// end. Returns the outcomes and the checksums at the start and the end.
fn sql_corpus_on_server(
    url: &str,
    cases: &[Case],
    checksum: fn() -> String,
    server: &str,
    timeout_ms: u64,
) -> (Vec<Outcome>, String, String) {
    let baseline = checksum();
    let state = Mutex::new((baseline.clone(), Vec::<String>::new(), 0usize));
    let limit = Duration::from_millis(timeout_ms);
    let mut outcomes = parallel(cases, slot, |slot, _, case| {
        let m = watch(
            sql_command(
                slot.data.path(),
                slot.data.path(),
                url,
                &case.code,
                timeout_ms,
            ),
            None,
            limit,
            64 << 20,
        );
        let answered = m.status.is_some_and(|s| s.success());
        let mut problems = process_problems(&m, limit);
        problems.extend(control_problem(case, &m));
        let mut wrote = false;
        let canary = canary_check();
        if !canary.is_empty() {
            wrote = true;
            problems.push(format!("WRITE: files appeared in {CANARY}: {canary:?}"));
        }
        // A checksum every 20 cases (it reads every row); a change names the cases since the last.
        let mut s = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.1.push(case.id.clone());
        s.2 += 1;
        if s.2.is_multiple_of(20) {
            let now = checksum();
            if now != s.0 {
                wrote = true;
                problems.push(format!(
                    "WRITE: the {server} checksum changed during one of {:?}",
                    s.1
                ));
                s.0 = now;
            }
            s.1.clear();
        }
        Outcome {
            id: case.id.clone(),
            class: case.class.clone(),
            m,
            answered,
            wrote,
            problems,
        }
    });
    let last = state
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let end = checksum();
    if end != last.0 {
        if let Some(o) = outcomes.iter_mut().find(|o| last.1.contains(&o.id)) {
            o.wrote = true;
            o.problems.push(format!(
                "WRITE: the {server} checksum changed during one of {:?}",
                last.1
            ));
        }
    }
    (outcomes, baseline, end)
}

#[test]
#[ignore = "needs the PostgreSQL cluster that scripts/test starts"]
fn sql_corpus_on_postgres_as_the_select_only_role() {
    let url = crate::postgres::shop_url();
    let cases = load("sql.jsonl", "sql");
    cli();
    let (mut outcomes, baseline, end) =
        sql_corpus_on_server(url, &cases, pg_checksum, "PostgreSQL", SQL_TIMEOUT_MS);
    // A statement the server keeps working on long after its statement timeout holds a backend
    // (and a CPU) that the app no longer waits for: name the case.
    std::thread::sleep(Duration::from_secs(2));
    for (pid, seconds, query) in pg_busy_backends() {
        if let Some(o) = outcomes.iter_mut().find(|o| {
            cases.iter().any(|c| {
                c.id == o.id
                    && query.contains(c.code.chars().take(200).collect::<String>().as_str())
            })
        }) {
            o.problems.push(format!(
                "SERVER: its backend (pid {pid}) was still running {seconds:.0} s after the statement started (statement timeout {SQL_TIMEOUT_MS} ms)"
            ));
        }
    }
    // The AI path on PostgreSQL: its error-based exfiltration shapes (CAST to int and friends).
    let ai = ai_cases(&cases, &[], true);
    let (ai_outcomes, corrected) = run_ai(&ai, Some(url));
    outcomes.extend(ai_outcomes);
    let notes = [
        format!("`plainsight sql --db postgres://plainsight_ro@…/shop --timeout-ms {SQL_TIMEOUT_MS}`, {THREADS} at a time; checksum every 20 cases and at the end"),
        format!("{} AI-path cases through `plainsight ask --db <the same URL>`; errors sent back to the AI: {corrected}", ai.len()),
        format!("checksum unchanged from start to end: {}", end == baseline),
    ];
    report(
        "corpus-sql-postgres.txt",
        &summarize(
            "SQL corpus on PostgreSQL (SELECT-only role)",
            &outcomes,
            &notes,
        ),
    );
    assert_eq!(end, baseline, "the PostgreSQL checksum changed");
}

// ---------------------------------------------------------------------------------------------
// MariaDB, as the SELECT-only account
// ---------------------------------------------------------------------------------------------

/// The same corpus through `plainsight sql --db mysql://plainsight_ro@…/shop`: every case ends in
/// time without a signal, writes no file, changes nothing in `shop` (every table's CHECKSUM, the
/// sequence, the table list), and the control reads answer.
#[test]
#[ignore = "needs the MariaDB server that scripts/test starts"]
fn sql_corpus_on_mariadb_as_the_select_only_account() {
    let url = crate::mysql::shop_url();
    let cases = load("sql.jsonl", "sql");
    cli();
    let (outcomes, baseline, end) = sql_corpus_on_server(
        url,
        &cases,
        crate::mysql::checksum,
        "MariaDB",
        MARIADB_TIMEOUT_MS,
    );
    let notes = [
        format!("`plainsight sql --db mysql://plainsight_ro@…/shop --timeout-ms {MARIADB_TIMEOUT_MS}`, {THREADS} at a time; checksum every 20 cases and at the end"),
        format!("checksum unchanged from start to end: {}", end == baseline),
    ];
    report(
        "corpus-sql-mariadb.txt",
        &summarize(
            "SQL corpus on MariaDB (SELECT-only account)",
            &outcomes,
            &notes,
        ),
    );
    assert_eq!(end, baseline, "the MariaDB checksum changed");
}
