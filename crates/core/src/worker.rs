//! Helper processes: Plainsight runs what it cannot fully trust (generated SQL, Python scripts) in
//! small worker programs that it can kill. A worker reads one JSON request per line on stdin and
//! writes JSON lines on stdout; a reader thread hands the lines over, so the host can stop
//! waiting at a deadline or on Stop, kill the worker and start another next time.
//!
//! The workers: `plainsight-query-worker` ([`crate::executor::process`]) and
//! `plainsight-python-worker` ([`crate::python`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Where a worker program is: the environment variable `env` (a developer override), or beside
/// this program (or one folder up, for test binaries in `target/*/deps`).
pub fn find_program(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).map(PathBuf::from) {
        return Some(path);
    }
    let exe = std::env::current_exe().ok()?;
    let name = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
}

/// A running worker. Dropping it kills it.
pub struct Worker {
    pub child: Child,
    pub stdin: ChildStdin,
    /// Lines the worker wrote, one per message.
    pub replies: mpsc::Receiver<String>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How waiting for a worker's line ended.
#[derive(Debug)]
pub enum Waited {
    Line(String),
    /// The deadline passed.
    Late,
    /// The cancel flag was raised.
    Cancelled,
    /// The worker closed its output: it exited or was killed.
    Gone,
}

impl Worker {
    /// Starts `program` with `args`, an empty environment and no stderr.
    pub fn spawn(program: &Path, args: &[String]) -> std::io::Result<Self> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_clear()
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            replies,
        })
    }

    /// Writes one message as one line (one write: the pipe is unbuffered and requests can be
    /// megabytes).
    pub fn send(&mut self, message: &impl serde::Serialize) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        self.stdin.flush()
    }

    /// Waits for the next line until `deadline`, looking at `cancel` every 50 ms, so Stop is
    /// answered well within a second.
    pub fn wait(&self, deadline: Instant, cancel: Option<&AtomicBool>) -> Waited {
        loop {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Waited::Cancelled;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Waited::Late;
            }
            match self
                .replies
                .recv_timeout(left.min(Duration::from_millis(50)))
            {
                Ok(line) => return Waited::Line(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Waited::Gone,
            }
        }
    }

    /// How the worker ended, once it has (waits a moment for the exit after its output closed).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        for _ in 0..20 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}
