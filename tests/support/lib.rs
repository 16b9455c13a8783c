//! Shared test support: the repository's paths, isolated data directories, and a `tauri-driver`
//! that is always stopped cleanly.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".."))
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
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A fresh, empty data directory for one test (`PLAINSIGHT_DATA_DIR`), removed afterwards.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("plainsight-test-").tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"))
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| panic!("no free loopback port: {e}"));
    listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("no local address: {e}"))
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

/// A running `tauri-driver`, stopped with SIGTERM when dropped.
///
/// SIGTERM, not SIGKILL: killed outright, tauri-driver leaves WebKitWebDriver holding the test's
/// output pipe and `cargo test` never returns.
pub struct TauriDriver {
    child: Child,
    pub port: u16,
}

impl TauriDriver {
    /// Starts `tauri-driver` on a free loopback port with `envs` (it passes its environment on to
    /// the app it launches) and waits until it listens.
    pub fn start(envs: &[(&str, &OsStr)]) -> Self {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new("tauri-driver");
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start tauri-driver (scripts/test installs it): {e}"));
        let driver = Self { child, port };
        assert!(wait_for_port(port, Duration::from_secs(20)), "tauri-driver did not listen on 127.0.0.1:{port} within 20 s");
        driver
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Still alive after 10 s: only now force it, accepting the pipe risk over a hung run.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
