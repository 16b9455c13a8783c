//! The local log: `tracing` events to a file in `<data dir>/logs` that rolls over daily, keeping at
//! most [`MAX_LOG_FILES`] files, and the "Copy diagnostics" bundle built from it.
//!
//! What is logged never holds a secret or a data row: keys are [`crate::secret::Secret`]s (which
//! print `•••• 1234`), the pipeline logs stage names, durations, outcomes, routes and costs, never
//! results. And every line passes [`crate::redact::redact`] on its way to the file or the
//! terminal, so a key a provider quotes back in an error (or a dependency's trace of a request
//! header) is masked whatever logged it; the diagnostics bundle is masked once more.

use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Log lines waiting for the writer thread before more are dropped (the default is 128,000; a
/// burst larger than this only happens at `trace` level).
const LOG_QUEUE_LINES: usize = 4_096;

/// Daily files kept (a week).
pub const MAX_LOG_FILES: usize = 7;
const PREFIX: &str = "plainsight";
const SUFFIX: &str = "log";

/// A writer that passes what it is given through [`crate::redact::redact`] first. `tracing`
/// writes each event as one buffer, so a secret is never split between two writes.
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .write_all(crate::redact::redact(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The terminal, through the redaction wall.
fn redacted_stderr() -> Redacting<std::io::Stderr> {
    Redacting(std::io::stderr())
}

/// Where the log files are.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The daily-rolling appender in `dir` (created if missing); old files beyond the bound are
/// removed now and at every rollover.
pub fn appender(dir: &Path) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("could not create the log folder {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(MAX_LOG_FILES)
        .build(dir)
        .map_err(|e| format!("could not open the log in {}: {e}", dir.display()))
}

/// Installs the process's subscriber: the log file at `level` (`RUST_LOG` syntax, e.g. `info` or
/// `warn,plainsight_core=debug`), and stderr at `stderr_level` when given. Keep the returned
/// guard alive: dropping it flushes the file.
pub fn init(
    data_dir: &Path,
    level: &str,
    stderr_level: Option<&str>,
) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    // A bounded queue of [`LOG_QUEUE_LINES`] lines: the default (128,000) is allocated and
    // touched up front, 4 MB in every process that logs, which was a third of the CLI's memory.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(Redacting(appender(&log_dir(data_dir))?));
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let file = fmt::layer()
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(filter);
    let stderr = stderr_level.map(|l| {
        fmt::layer()
            .with_writer(redacted_stderr)
            .with_filter(EnvFilter::try_new(l).unwrap_or_else(|_| EnvFilter::new("warn")))
    });
    tracing_subscriber::registry()
        .with(file)
        .with(stderr)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(guard)
}

/// The app's and CLI's logging: the log file in the data folder at the Settings' `log_level`, and
/// stderr at `PLAINSIGHT_LOG` (else `stderr_default`). Without a data folder, stderr only; logging
/// never stops the program. Keep the returned guard alive to the end (it flushes the file).
pub fn init_from_settings(
    stderr_default: &str,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let stderr = std::env::var("PLAINSIGHT_LOG").unwrap_or_else(|_| stderr_default.into());
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let file_level = crate::datadir::data_dir().ok().and_then(|dir| {
        let level = crate::history::AppDb::open(&crate::datadir::app_db_path(&dir))
            .ok()?
            .settings(&env)
            .ok()?
            .get("log_level")
            .to_string();
        Some((dir, level))
    });
    if let Some((dir, level)) = file_level {
        match init(&dir, &level, Some(&stderr)) {
            Ok(guard) => return Some(guard),
            Err(error) => eprintln!("plainsight: the log file could not be opened ({error}); logging to the terminal only"),
        }
    }
    let filter = EnvFilter::try_new(&stderr).unwrap_or_else(|_| EnvFilter::new(stderr_default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(redacted_stderr)
        .try_init();
    None
}

/// Log files, oldest first.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    files
}

/// The "Copy diagnostics" text: version, platform, where things are, and the end of the newest
/// log file (at most `max_lines`), with anything key-like masked.
pub fn diagnostics(data_dir: &Path, max_lines: usize) -> String {
    let dir = log_dir(data_dir);
    let files = files(&dir);
    let mut out = format!(
        "Plainsight {} ({} {})\nData folder: {}\nLog files: {} (newest shown)\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        data_dir.display(),
        files.len()
    );
    if let Some(newest) = files.last() {
        let text = std::fs::read_to_string(newest).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!(
            "--- {} (last {} lines) ---\n",
            newest.display(),
            lines.len().min(max_lines)
        ));
        for line in &lines[lines.len().saturating_sub(max_lines)..] {
            out.push_str(&crate::redact::redact(line));
            out.push('\n');
        }
    } else {
        out.push_str("No log yet.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_written_passes_the_redaction_wall() {
        let key = crate::secret::Secret::new("pplx-logs-test-0123456789WXYZ");
        let mut out = Redacting(Vec::new());
        let line = format!(
            "WARN the provider said: invalid key {} (postgres://ann:hunter2@db/shop) plan 3 ms\n",
            key.expose()
        );
        assert_eq!(
            out.write(line.as_bytes()).unwrap(),
            line.len(),
            "the whole buffer counts as written"
        );
        let written = String::from_utf8(out.0).unwrap();
        assert_eq!(written, "WARN the provider said: invalid key [redacted] (postgres://ann:[redacted]@db/shop) plan 3 ms\n");
    }

    #[test]
    fn the_log_folder_keeps_at_most_a_week_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let logs = log_dir(dir.path());
        std::fs::create_dir_all(&logs).unwrap();
        for day in 1..=12 {
            std::fs::write(
                logs.join(format!("plainsight.2026-11-{day:02}.log")),
                "old\n",
            )
            .unwrap();
            // The appender keeps the newest by creation time: make the days' files distinct.
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        std::fs::write(logs.join("notes.txt"), "not a log").unwrap();
        let mut a = appender(&logs).unwrap();
        std::io::Write::write_all(&mut a, b"today\n").unwrap();
        drop(a);
        let kept = files(&logs);
        assert!(kept.len() <= MAX_LOG_FILES, "{kept:?}");
        assert!(
            kept.iter()
                .any(|f| f.ends_with("plainsight.2026-11-12.log"))
                && !kept
                    .iter()
                    .any(|f| f.ends_with("plainsight.2026-11-01.log")),
            "{kept:?}"
        );
        assert!(
            logs.join("notes.txt").exists(),
            "other files are left alone"
        );
        let d = diagnostics(dir.path(), 10);
        assert!(d.starts_with("Plainsight ") && d.contains("today"), "{d}");
    }
}
