//! Shared test support: the repository's paths, isolated data directories, and a `tauri-driver`
//! that is always stopped cleanly.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from)
}

/// A binary built by cargo: `PLAINSIGHT_<NAME>_BIN` when set, else the newest of the debug and
/// release builds. Panics with the command to run when neither exists.
pub fn built_binary(name: &str) -> PathBuf {
    let var = format!("PLAINSIGHT_{}_BIN", name.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&var) {
        return PathBuf::from(path);
    }
    let newest = ["debug", "release"]
        .iter()
        .map(|profile| target_dir().join(profile).join(name))
        .filter_map(|path| Some((path.metadata().ok()?.modified().ok()?, path)))
        .max();
    match newest {
        Some((_, path)) => path,
        None => panic!("{name} is not built; run scripts/test (or `cargo build -p <its package>`), or set {var}"),
    }
}

/// Where tests leave files worth looking at (screenshots), kept after the run.
pub fn artifacts_dir() -> PathBuf {
    let dir = target_dir().join("test-artifacts");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A fresh, empty data directory for one test (`PLAINSIGHT_DATA_DIR`), removed afterwards.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("plainsight-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"))
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
    listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no local address: {e}"))
}

/// Waits until something accepts connections on `port`, or `timeout` passes.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Environment variable that marks every process a [`TauriDriver`] starts (WebKitWebDriver, the
/// app, WebKit's helpers inherit it), so the guard can find and stop exactly those.
const RUN_MARKER: &str = "PLAINSIGHT_TEST_DRIVER_RUN";

/// A running `tauri-driver` whose whole process tree is stopped when dropped.
///
/// Two hazards shape this. Killed with SIGKILL, tauri-driver leaves WebKitWebDriver behind; and
/// the app can outlive the WebDriver session. Any survivor holding the test's stdout or stderr
/// keeps `cargo test` (or whatever reads its output) waiting forever. So the driver's output
/// goes to a log file, never to the test's pipes, and on drop everything carrying this run's
/// marker gets SIGTERM, and SIGKILL only if it ignores that.
pub struct TauriDriver {
    child: Child,
    marker: String,
    pub port: u16,
    pub log: PathBuf,
}

impl TauriDriver {
    /// Starts `tauri-driver` on a free loopback port with `envs` (it passes its environment on to
    /// the app it launches) and waits until it listens. Its output goes to `log`.
    pub fn start(envs: &[(&str, &OsStr)], log: PathBuf) -> Self {
        let port = free_port();
        let native_port = free_port();
        let marker = format!("{}-{port}", std::process::id());
        let output = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let errors = output
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
        let mut command = Command::new("tauri-driver");
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env(RUN_MARKER, &marker)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors);
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start tauri-driver (scripts/test installs it): {e}")
        });
        let driver = Self {
            child,
            marker,
            port,
            log,
        };
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "tauri-driver did not listen on 127.0.0.1:{port} within 20 s; see {}",
            driver.log.display()
        );
        // tauri-driver forwards to the WebKitWebDriver it starts on the native port; on a busy
        // machine that one can still be starting when tauri-driver already listens, and a new
        // session would then be refused ("Connection refused").
        assert!(
            wait_for_port(native_port, Duration::from_secs(30)),
            "WebKitWebDriver did not listen on 127.0.0.1:{native_port} within 30 s; see {}",
            driver.log.display()
        );
        driver
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Processes started for this run, found by the marker in their environment.
    fn marked_processes(&self) -> Vec<u32> {
        let needle = format!("{RUN_MARKER}={}", self.marker);
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
            })
            .collect()
    }

    /// Sends `signal` to every marked process, then waits up to `grace` for them to exit.
    fn signal_all_and_wait(&mut self, signal: &str, grace: Duration) -> bool {
        for pid in self.marked_processes() {
            let _ = Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
        }
        let deadline = Instant::now() + grace;
        loop {
            // Reap our direct child so it does not linger as a zombie that still matches.
            let _ = self.child.try_wait();
            if self.marked_processes().is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        if !self.signal_all_and_wait("-TERM", Duration::from_secs(10)) {
            self.signal_all_and_wait("-KILL", Duration::from_secs(5));
        }
        let _ = self.child.wait();
    }
}
