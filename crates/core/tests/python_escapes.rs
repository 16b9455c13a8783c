//! Escape attempts against the Python sandbox, run for real through [`MontyWorker`].
//!
//! Every case is a script an attacker (or a confused model) might send. Each one must either be
//! **refused** with a plain error that names the Python exception, or be **harmless-supported**:
//! Monty runs it, but nothing outside the interpreter is reached (the expected result proves it).
//! After every case, and again at the end, the machine is checked:
//! - the files the cases tried to write do not exist (or are byte-for-byte as before);
//! - the worker's working directory (a fresh temp dir) is still empty;
//! - a planted secret in this test process's environment never appears in any answer or error,
//!   and the worker's own environment (read from `/proc`) is empty;
//! - the worker holds no descriptor on a SQLite file this process has open, and that file's hash
//!   is unchanged.
//!
//! Some cases list a second, tolerated outcome: that is a known product bug (a misleading message,
//! not an escape), printed as `KNOWN BUG` when it happens; the first outcome is the right one.

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use plainsight_core::python::{CodeRunner, MontyWorker, PyError, PyLimits, PyOutput};
use serde_json::{json, Value};

/// The exception a refused OS call raises (Monty without a host, or the host's refusal).
const OS_REFUSED: &[&str] = &["NotImplementedError", "PermissionError"];

struct Setup {
    program: PathBuf,
    /// The planted secret's value (in this process's environment only).
    planted: String,
    /// The worker's working directory: this process's, set before any worker starts.
    cwd: tempfile::TempDir,
}

/// Builds the worker once, plants the secret and moves into an empty temp dir, before any test
/// here starts a worker (every test calls this first).
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let program = common::worker_program();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let planted = format!("pplx-PLANTED-{}-{nanos}", std::process::id());
        std::env::set_var("PLAINSIGHT_PLANTED", &planted);
        // `MontyWorker` does not choose the worker's working directory: it inherits this one.
        let cwd = tempfile::tempdir().expect("temp dir");
        std::env::set_current_dir(cwd.path()).expect("cd into the temp dir");
        Setup {
            program,
            planted,
            cwd,
        }
    })
}

fn limits() -> PyLimits {
    PyLimits {
        time: Duration::from_secs(1),
        memory_bytes: 64 << 20,
        max_output: 64 << 10,
        max_depth: 200,
    }
}

/// What a case must end in.
#[derive(Debug)]
enum Expect {
    /// Refused: `PyError::Script` whose message names one of these (the Python exception).
    Refused(&'static [&'static str]),
    /// Refused as too large to show (result or printed output): `PyError::Shape` naming this.
    TooLarge(&'static str),
    /// Stopped by the time limit.
    Timeout,
    /// Stopped by the memory limit.
    Memory,
    /// Harmless-supported: Monty runs it; the table's rows are exactly these (nothing from the host).
    Supported(Value),
    /// Only in known-bug alternatives: refused, but the message is not the exception's.
    AnyScript,
    /// Only in known-bug alternatives: the worker was replaced.
    Crashed,
    /// The first alternative is the right outcome; the others are known bugs, tolerated and printed.
    AnyOf(Vec<Expect>),
}

struct Case {
    name: &'static str,
    script: String,
    expect: Expect,
}

fn case(name: &'static str, script: &str, expect: Expect) -> Case {
    Case {
        name,
        script: script.to_string(),
        expect,
    }
}

fn refused(needle: &'static str) -> Expect {
    Expect::Refused(match needle {
        "AttributeError" => &["AttributeError"],
        "ImportError" => &["ImportError"],
        "KeyboardInterrupt" => &["KeyboardInterrupt"],
        "ModuleNotFoundError" => &["ModuleNotFoundError"],
        "NameError" => &["NameError"],
        "NotImplementedError" => &["NotImplementedError"],
        "RecursionError" => &["RecursionError"],
        "RuntimeError" => &["RuntimeError"],
        "SystemExit" => &["SystemExit"],
        "TypeError" => &["TypeError"],
        "too large" => &["too large to show"],
        "os" => OS_REFUSED,
        other => panic!("add {other} to refused()"),
    })
}

/// Harmless-supported with a one-value result.
fn one(value: Value) -> Expect {
    Expect::Supported(Value::Array(vec![Value::Array(vec![value])]))
}

/// Paths the cases try to create, relative ones in the worker's working directory.
const WRITTEN: &[&str] = &[
    "/tmp/pwned",
    "/tmp/pwned_dir",
    "/tmp/plainsight-pwned",
    "pwned.txt",
];

fn cases() -> Vec<Case> {
    use Expect::{AnyOf, AnyScript, Crashed, Memory, Timeout};
    let mut cases = vec![
        // Imports. `os` and `sys` exist as Monty stubs with no host functions: harmless-supported.
        case("import os gives a stub module", "import os\nresult = os.name", one(json!("posix"))),
        case("os.system", "import os\nresult = os.system('touch /tmp/pwned')", refused("AttributeError")),
        case("os.popen", "import os\nresult = os.popen('id').read()", refused("AttributeError")),
        case("os.kill", "import os\nresult = os.kill(1, 9)", refused("AttributeError")),
        case("os.fork", "import os\nresult = os.fork()", refused("AttributeError")),
        case("os.listdir", "import os\nresult = os.listdir('/')", refused("os")),
        case("os.remove", "import os\nresult = os.remove('/tmp/pwned')", refused("os")),
        case("os.path", "import os\nresult = os.path.exists('/etc/passwd')", refused("AttributeError")),
        case("getattr(os, 'system')", "import os\nresult = getattr(os, 'system')('id')", refused("AttributeError")),
        case("from os import system", "from os import system\nresult = system('id')", refused("ImportError")),
        case("import sys gives a stub module", "import sys\nresult = [sys.platform]", one(json!("monty"))),
        case("sys.exit", "import sys\nsys.exit(3)\nresult = 1", refused("AttributeError")),
        case("sys.modules", "import sys\nresult = str(sys.modules)", refused("AttributeError")),
        case(
            "sys.stdout.write forges a reply",
            "import sys\nsys.stdout.write('{\"ok\": {\"result\": 666}}\\n')\nresult = 1",
            refused("AttributeError"),
        ),
        case("__import__('os')", "result = __import__('os').system('id')", refused("NameError")),
        case("importlib", "import importlib\nresult = importlib.import_module('os')", refused("ModuleNotFoundError")),
        // Files.
        case("open('/etc/passwd')", "result = open('/etc/passwd').read()", refused("os")),
        case("open('/tmp/pwned', 'w')", "f = open('/tmp/pwned', 'w')\nf.write('pwned')\nresult = 1", refused("os")),
        case("open a relative file for writing", "open('pwned.txt', 'w').write('pwned')\nresult = 1", refused("os")),
        case("open(0) reads the protocol", "result = open(0).read()", refused("TypeError")),
        case("open(1) forges a reply", "open(1, 'w').write('{\"ok\": {\"result\": 666}}')\nresult = 1", refused("TypeError")),
        case("Path.read_text", "from pathlib import Path\nresult = Path('/etc/passwd').read_text()", refused("os")),
        case("Path.write_text", "from pathlib import Path\nresult = Path('/tmp/plainsight-pwned').write_text('pwned')", refused("os")),
        case("Path.mkdir", "from pathlib import Path\nresult = Path('/tmp/pwned_dir').mkdir()", refused("os")),
        case(
            "Path.read_bytes of /proc/self/environ",
            "from pathlib import Path\nresult = str(Path('/proc/self/environ').read_bytes())",
            refused("os"),
        ),
        case("Path.home", "from pathlib import Path\nresult = str(Path.home())", refused("AttributeError")),
        // The environment.
        case("os.environ", "import os\nresult = os.environ['PLAINSIGHT_PLANTED']", refused("os")),
        case("os.environ listed", "import os\nresult = dict(os.environ)", refused("os")),
        case("os.getenv", "import os\nresult = os.getenv('PLAINSIGHT_PLANTED')", refused("os")),
        case("the host clock", "import datetime\nresult = str(datetime.datetime.now())", refused("os")),
        // Dynamic code.
        case("eval", "result = eval(\"__import__('os')\")", refused("NameError")),
        case("exec", "exec('import os')\nresult = 1", refused("NameError")),
        case("compile", "result = compile('1', 'x', 'eval')", refused("NameError")),
        // Introspection.
        case(
            "().__class__.__bases__[0].__subclasses__()",
            "result = str(().__class__.__bases__[0].__subclasses__())",
            refused("AttributeError"),
        ),
        case("().__class__.__mro__", "result = str(().__class__.__mro__)", refused("AttributeError")),
        case("object.__subclasses__()", "result = str(object.__subclasses__())", refused("AttributeError")),
        case("function __globals__", "def f():\n    return 1\nresult = str(f.__globals__)", refused("AttributeError")),
        case("lambda __globals__", "result = str((lambda: 0).__globals__)", refused("AttributeError")),
        case("function __code__", "def f():\n    return 1\nresult = str(f.__code__)", refused("AttributeError")),
        case("__builtins__.__import__", "result = __builtins__.__import__('os')", refused("NameError")),
        case("__builtins__['open']", "result = __builtins__['open']('/etc/passwd').read()", refused("NameError")),
        case("import builtins", "import builtins\nresult = builtins.open('/etc/passwd').read()", refused("ModuleNotFoundError")),
        case("'{0.__class__}'.format(1)", "result = '{0.__class__}'.format(1)", refused("AttributeError")),
        case("'{0.__globals__}'.format(f)", "def f():\n    pass\nresult = '{0.__globals__}'.format(f)", refused("AttributeError")),
        case("f-string attribute access", "result = f'{(1).__class__}'", refused("AttributeError")),
        case("getattr chain", "x = ()\nresult = str(getattr(getattr(x, '__class__'), '__subclasses__')())", refused("AttributeError")),
        case("type(x).__bases__", "result = str(type(()).__bases__)", refused("AttributeError")),
        case("type() builds a class (harmless)", "T = type('T', (), {})\nresult = str(T)", one(json!("<class 'T'>"))),
        case("type(len)() builds a builtin", "result = type(len)('x')", refused("TypeError")),
        case(
            "exception traceback frames",
            "try:\n    1 / 0\nexcept Exception as e:\n    result = str(e.__traceback__.tb_frame.f_globals)",
            refused("AttributeError"),
        ),
        case("super()", "class A:\n    pass\nresult = str(super(A, A()))", refused("NameError")),
        case("class inheritance", "class A(int):\n    pass\nresult = 1", refused("NotImplementedError")),
        case(
            "__getattr__ trick",
            "class A:\n    def __getattr__(self, n):\n        return n\nresult = A().anything",
            refused("AttributeError"),
        ),
        case("globals()", "secret = 1\nresult = str(globals())", refused("NameError")),
        case("locals()", "result = str(locals())", refused("NameError")),
        case("vars()", "result = str(vars())", refused("NameError")),
        case("dir()", "result = str(dir())", refused("NameError")),
        case("setattr on a builtin", "setattr(len, 'x', 1)\nresult = 1", refused("AttributeError")),
        case("setattr on a builtin type", "setattr(int, 'x', 1)\nresult = 1", refused("AttributeError")),
        case("del __builtins__", "del __builtins__\nresult = 1", refused("NotImplementedError")),
        case("shadowing a builtin stays in the script", "len = lambda x: 0\nresult = len([1, 2])", one(json!(0))),
        case("the next script has the real builtin", "result = len([1, 2])", one(json!(2))),
        case("names defined by one script", "leaked_name = 'x'\nresult = 1", one(json!(1))),
        case("are gone in the next", "result = leaked_name", refused("NameError")),
        // Interactive and process control.
        case("breakpoint()", "breakpoint()\nresult = 1", refused("NameError")),
        case("input()", "result = input()", refused("NameError")),
        case("exit()", "exit()\nresult = 1", refused("NameError")),
        case("quit()", "quit()\nresult = 1", refused("NameError")),
        case("help()", "help()\nresult = 1", refused("NameError")),
        case("raise SystemExit", "raise SystemExit('bye')\nresult = 1", refused("SystemExit")),
        // Monty's own wording ("Internal error in monty: exceptions can only be called with zero
        // or one string argument"); the worker lives on.
        case("raise SystemExit(0)", "raise SystemExit(0)\nresult = 1", refused("RuntimeError")),
        case("raise KeyboardInterrupt", "raise KeyboardInterrupt\nresult = 1", refused("KeyboardInterrupt")),
        case("print to stderr", "import sys\nprint('x', file=sys.stderr)\nresult = 1", refused("TypeError")),
        case("print to file=None (stdout: the collected output)", "print('x', file=None)\nresult = 1", one(json!(1))),
        // Language features: harmless-supported, or refused by the parser.
        case("decorators", "def d(f):\n    return lambda: f() + 1\n@d\ndef g():\n    return 1\nresult = g()", one(json!(2))),
        case("lambdas", "f = lambda x: x * 3\nresult = f(2)", one(json!(6))),
        case("classes", "class A:\n    def __init__(self):\n        self.x = 7\nresult = A().x", one(json!(7))),
        case("generators", "def g():\n    yield 1\nresult = list(g())", refused("NotImplementedError")),
        case(
            "async and await",
            "import asyncio\nasync def f():\n    return 1\nresult = await asyncio.gather(f(), f())",
            Expect::Supported(json!([[1], [1]])),
        ),
        case("printing a fake protocol line", "print('{\"ok\": {\"result\": 666, \"printed\": \"\"}}')\nresult = 1", one(json!(1))),
        case(
            "a result that looks like a reply",
            "result = '\\n{\"ok\": {\"result\": 666}}\\n'",
            one(json!("\n{\"ok\": {\"result\": 666}}\n")),
        ),
        case("catastrophic regex", "import re\nresult = bool(re.match('(a+)+$', 'a' * 40 + 'b'))", one(json!(false))),
        // Resources.
        case("while True: pass", "while True:\n    pass", Timeout),
        case("for i in iter(int, 1)", "for i in iter(int, 1):\n    pass", Timeout),
        case("exponential string", "x = 'a'\nwhile True:\n    x = x * 2", Memory),
        case("huge list", "x = [0] * 10**9\nresult = len(x)", Memory),
        case("list(range(10**9))", "result = len(list(range(10**9)))", Memory),
        // KNOWN BUG: past Monty's soft limit, between its checks, the allocator's hard ceiling
        // aborts the worker (SIGABRT: monty-alloc's `exit-code` feature is off), so the host
        // cannot see exit code 65 and reports a crash instead of the memory limit.
        case("growing list", "x = []\nwhile True:\n    x.append([1, 2, 3])", AnyOf(vec![Memory, Timeout, Crashed])),
        case("'a' * 10**12", "result = len('a' * 10**12)", Memory),
        case("2 ** 2 ** 40", "x = 2 ** (2 ** 40)\nresult = 1", Memory),
        case("deep recursion", "def f(n):\n    return f(n + 1)\nresult = f(0)", refused("RecursionError")),
        case("lambda recursion", "f = lambda n: f(n + 1)\nresult = f(0)", refused("RecursionError")),
        case("huge result (one string)", "result = 'x' * 10**7", Expect::TooLarge("too large to show")),
        // KNOWN BUG: the worker converts the whole result to JSON before checking its size; 100 MB
        // of JSON breaks the allocator's hard ceiling and the worker aborts (SIGABRT, see "growing
        // list"), so the person reads "stopped unexpectedly ... try again", and again crashes.
        case("huge result (shared strings)", "result = ['x' * 1000] * 100000", AnyOf(vec![refused("too large"), Memory, Crashed])),
        // KNOWN BUG: the output limit is raised as Monty's MemoryError, so the person reads "needed
        // more than 64 MB of memory" for 64 KB of printing.
        case("print('x' * 10**8)", "print('x' * 10**8)\nresult = 1", AnyOf(vec![refused("too large"), Memory])),
        case("print 10**7 lines", "for i in range(10**7):\n    print(i)\nresult = 1", Expect::TooLarge("printed more than 64 KB")),
        // KNOWN BUG: one big-integer operation is not interrupted by Monty's time limit (26 s in a
        // debug build); the host's wall (limit + 2 s) kills the worker and reports a crash.
        case("10 ** 10**7", "x = 10 ** 10000000\nresult = 1", AnyOf(vec![Timeout, Crashed])),
        // KNOWN BUG: the worker keeps the first 2,000 characters of an error, so a long traceback
        // loses its last line (the exception) and the person reads a fragment of a frame.
        case(
            "mutual recursion",
            "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\nresult = a(0)",
            AnyOf(vec![refused("RecursionError"), AnyScript]),
        ),
        // KNOWN BUG: the error kind is found by searching the message, so a script's own exception
        // text is taken for a limit.
        case(
            "an exception posing as the time limit",
            "raise ValueError('time limit exceeded')\nresult = 1",
            AnyOf(vec![Expect::Refused(&["ValueError"]), Timeout]),
        ),
        case(
            "a KeyError posing as the memory limit",
            "d = {}\nresult = d['MemoryError']",
            AnyOf(vec![Expect::Refused(&["KeyError"]), Memory]),
        ),
    ];
    // Modules that would reach the host: none exists.
    for module in [
        "subprocess",
        "socket",
        "ctypes",
        "io",
        "shutil",
        "pickle",
        "marshal",
        "threading",
        "multiprocessing",
        "signal",
        "gc",
        "inspect",
        "urllib.request",
        "http.client",
        "tempfile",
        "pty",
        "posix",
        "glob",
        "sqlite3",
        "time",
    ] {
        cases.push(Case {
            name: "import a host module",
            script: format!("import {module}\nresult = 1"),
            expect: refused("ModuleNotFoundError"),
        });
    }
    // Deeply nested source is a syntax error (whose message is the long source line: see above).
    cases.push(Case {
        name: "deeply nested source",
        script: format!("result = {}1{}", "(".repeat(300), ")".repeat(300)),
        expect: AnyOf(vec![Expect::Refused(&["SyntaxError"]), AnyScript]),
    });
    cases
}

/// Whether `got` is `expect`; `None` when it is not, `Some(alternative)` for which one matched.
fn matches(expect: &Expect, got: &Result<PyOutput, PyError>, limits: PyLimits) -> Option<usize> {
    let ok = match (expect, got) {
        (Expect::AnyOf(alternatives), _) => {
            return alternatives
                .iter()
                .position(|e| matches(e, got, limits).is_some())
        }
        (Expect::Refused(needles), Err(PyError::Script(m))) => {
            needles.iter().any(|n| m.contains(n))
        }
        (Expect::TooLarge(needle), Err(PyError::Shape(m))) => m.contains(needle),
        (Expect::AnyScript, Err(PyError::Script(_)))
        | (Expect::Crashed, Err(PyError::Crashed))
        | (Expect::Timeout, Err(PyError::Timeout(1))) => true,
        (Expect::Memory, Err(PyError::Memory(mb))) => *mb == limits.memory_bytes >> 20,
        (Expect::Supported(rows), Ok(out)) => json!(out.rows) == *rows,
        _ => false,
    };
    ok.then_some(0)
}

/// A plain message: one line, no traceback, short, in the product's words.
fn assert_plain(name: &str, err: &PyError) {
    let message = err.to_string();
    assert!(
        !message.contains('\n') && !message.contains("Traceback"),
        "{name}: not one plain line: {message:?}"
    );
    assert!(
        message.chars().count() <= 400,
        "{name}: too long ({} chars): {message:.200}",
        message.chars().count()
    );
    assert!(
        message.starts_with("the Python script")
            || message.starts_with("Plainsight's Python sandbox"),
        "{name}: not in the product's words: {message}"
    );
}

/// What a path holds: `None` when it does not exist, its bytes' hash otherwise.
fn fingerprint(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mut h = DefaultHasher::new();
    if meta.is_file() {
        std::fs::read(path).ok()?.hash(&mut h);
    }
    Some((meta.len(), h.finish()))
}

/// The running worker processes this test process started.
#[cfg(target_os = "linux")]
fn workers(program: &Path) -> Vec<u32> {
    let me = std::process::id();
    let program = std::fs::canonicalize(program).expect("worker path");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let child = status.lines().any(|l| {
            l.strip_prefix("PPid:")
                .is_some_and(|p| p.trim() == me.to_string())
        });
        if child && std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == program) {
            found.push(pid);
        }
    }
    found
}

/// The worker's environment is empty, its working directory is `cwd`, and none of its open
/// descriptors is `secret_file`.
#[cfg(target_os = "linux")]
fn assert_worker_isolated(program: &Path, cwd: &Path, secret_file: &Path) -> Vec<u32> {
    let pids = workers(program);
    assert!(!pids.is_empty(), "a worker is running");
    let secret_file = std::fs::canonicalize(secret_file).expect("db path");
    for pid in &pids {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let environ = std::fs::read(proc.join("environ")).expect("environ");
        assert!(
            environ.is_empty(),
            "the worker's environment is not empty: {:?}",
            String::from_utf8_lossy(&environ)
        );
        assert_eq!(
            std::fs::read_link(proc.join("cwd")).expect("cwd"),
            std::fs::canonicalize(cwd).expect("cwd")
        );
        for fd in std::fs::read_dir(proc.join("fd")).expect("fds").flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            assert_ne!(target, secret_file, "the worker holds the SQLite file open");
        }
    }
    pids
}

#[test]
fn escape_attempts_are_refused_and_the_machine_is_unchanged() {
    let setup = setup();
    assert_eq!(
        std::env::var("PLAINSIGHT_PLANTED").as_deref(),
        Ok(setup.planted.as_str()),
        "planted in this process"
    );
    // A database this process has open the whole time; the worker must never see it.
    let data = tempfile::tempdir().expect("temp dir");
    let db_path = data.path().join("shop.sqlite");
    let db = rusqlite::Connection::open(&db_path).expect("db");
    db.execute_batch("CREATE TABLE t(secret TEXT); INSERT INTO t VALUES ('row-1'), ('row-2');")
        .expect("fill");
    let db_before = fingerprint(&db_path).expect("db exists");
    let written: Vec<PathBuf> = WRITTEN.iter().map(|p| setup.cwd.path().join(p)).collect();
    let written_before: Vec<_> = written.iter().map(|p| fingerprint(p)).collect();

    let w = MontyWorker::new(setup.program.clone());
    let limits = limits();
    assert_eq!(
        w.run("result = 1", &[], limits).expect("warm").rows,
        [vec![json!(1)]]
    );
    #[cfg(target_os = "linux")]
    let first = assert_worker_isolated(&setup.program, setup.cwd.path(), &db_path);

    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    let (mut n_refused, mut n_supported, mut n_bugs) = (0, 0, 0);
    for c in &cases {
        let got = w.run(&c.script, &[], limits);
        let label = format!(
            "case `{}` ({:?})",
            c.name,
            c.script.chars().take(60).collect::<String>()
        );
        match matches(&c.expect, &got, limits) {
            None => failures.push(format!("{label}: expected {:?}, got {got:?}", c.expect)),
            Some(0) => {
                if let Err(e) = &got {
                    assert_plain(&label, e);
                }
            }
            Some(_) => {
                n_bugs += 1;
                eprintln!("KNOWN BUG in {label}: {got:?}");
            }
        }
        match &got {
            Ok(out) => {
                n_supported += 1;
                eprintln!("supported  {label}: {}", json!(out.rows));
            }
            Err(e) => {
                n_refused += 1;
                eprintln!("refused    {label}: {e}");
            }
        }
        let shown = format!(
            "{got:?} {}",
            got.as_ref()
                .map_or_else(ToString::to_string, |o| o.printed.clone())
        );
        assert!(
            !shown.contains(&setup.planted),
            "{label}: the planted secret escaped: {shown:.300}"
        );
        assert!(
            !shown.contains("root:x:0:0"),
            "{label}: /etc/passwd escaped: {shown:.300}"
        );
        let now: Vec<_> = written.iter().map(|p| fingerprint(p)).collect();
        assert_eq!(
            now, written_before,
            "{label}: a file it tried to write changed: {WRITTEN:?}"
        );
        let entries: Vec<_> = std::fs::read_dir(setup.cwd.path())
            .expect("cwd")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            entries.is_empty(),
            "{label}: the worker's directory is no longer empty: {entries:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("{} cases: {n_refused} refused or stopped, {n_supported} harmless-supported, {n_bugs} known bugs", cases.len());

    // After all that, the same runner still answers, the worker is still isolated, and dropping
    // the runner ends every worker it started.
    assert_eq!(
        w.run("result = 6 * 7", &[], limits).expect("runs").rows,
        [vec![json!(42)]]
    );
    #[cfg(target_os = "linux")]
    {
        let last = assert_worker_isolated(&setup.program, setup.cwd.path(), &db_path);
        drop(w);
        for pid in first.iter().chain(&last) {
            assert!(
                !Path::new(&format!("/proc/{pid}")).exists(),
                "worker {pid} outlived its runner"
            );
        }
    }
    drop(db);
    assert_eq!(
        fingerprint(&db_path),
        Some(db_before),
        "the SQLite file changed"
    );
}
