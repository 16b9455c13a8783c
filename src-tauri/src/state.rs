//! What the commands share: the pipeline, the app database, the last answer (for export), and
//! which day "last month" is counted from.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use chrono::NaiveDate;
use plainsight_core::history::AppDb;
use plainsight_core::secrets::SecretStore;
use plainsight_core::Pipeline;

/// How every pipeline is opened: core's one composition of settings, keychain and services.
pub use plainsight_core::setup::Setup;

use crate::error::AppError;

/// Which day relative dates ("last month") are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Today {
    /// The computer's local date, read at each question so a long session crosses midnight.
    Local,
    /// A fixed date from `PLAINSIGHT_TODAY`, so window tests and screenshots are reproducible.
    Fixed(NaiveDate),
}

/// Name of the environment variable that pins today's date.
pub const TODAY_ENV: &str = "PLAINSIGHT_TODAY";

impl Today {
    pub fn from_env() -> Result<Self, AppError> {
        match std::env::var(TODAY_ENV) {
            Ok(value) if !value.trim().is_empty() => Self::parse(&value),
            _ => Ok(Self::Local),
        }
    }

    fn parse(value: &str) -> Result<Self, AppError> {
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map(Self::Fixed)
            .map_err(|_| AppError::BadToday(value.to_string()))
    }

    pub fn get(self) -> NaiveDate {
        match self {
            Self::Local => chrono::Local::now().date_naive(),
            Self::Fixed(date) => date,
        }
    }
}

/// A password typed into the PostgreSQL form: kept in memory for this session only (until
/// the keychain holds it), never printed.
struct SessionPassword(String);

impl std::fmt::Debug for SessionPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("••••")
    }
}

/// Tauri state, registered once in `setup`.
pub struct AppState {
    /// The pipeline over the active source. Questions take a clone of the `Arc`, so switching
    /// sources never disturbs a question already running.
    pipeline: RwLock<Arc<Pipeline>>,
    /// rusqlite connections are not `Sync`; questions are recorded one at a time.
    history: Mutex<AppDb>,
    /// The answer on screen, for "Export…".
    last_answer: Mutex<Option<crate::export::Shown>>,
    pub today: Today,
    pub data_dir: PathBuf,
    /// Set while an import runs; `cancel_import` raises it.
    import_cancel: Mutex<Option<Arc<AtomicBool>>>,
    /// PostgreSQL passwords typed this session, by stored (password-free) address.
    passwords: Mutex<HashMap<String, SessionPassword>>,
    /// Something the Data screen should tell the person (e.g. why the sample data is active).
    notice: Mutex<Option<String>>,
    /// The running question's Stop flag.
    asking: Mutex<Option<Arc<AtomicBool>>>,
    /// Thresholds, glossary and AI provider every pipeline is opened with (Settings changes it).
    setup: RwLock<Setup>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    pub fn new(
        pipeline: Pipeline,
        history: AppDb,
        today: Today,
        data_dir: PathBuf,
        notice: Option<String>,
        setup: Setup,
    ) -> Self {
        Self {
            pipeline: RwLock::new(Arc::new(pipeline)),
            history: Mutex::new(history),
            last_answer: Mutex::new(None),
            today,
            data_dir,
            import_cancel: Mutex::new(None),
            passwords: Mutex::new(HashMap::new()),
            notice: Mutex::new(notice),
            setup: RwLock::new(setup),
            asking: Mutex::new(None),
        }
    }

    /// A fresh Stop flag for a new question (the previous question's flag is dropped).
    pub fn begin_ask(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        *lock(&self.asking) = Some(Arc::clone(&flag));
        flag
    }

    /// Raises the running question's Stop flag.
    pub fn stop_ask(&self) -> bool {
        lock(&self.asking)
            .as_ref()
            .map(|f| f.store(true, std::sync::atomic::Ordering::Relaxed))
            .is_some()
    }

    pub fn setup(&self) -> Setup {
        self.setup
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_setup(&self, setup: Setup) {
        *self.setup.write().unwrap_or_else(PoisonError::into_inner) = setup;
    }

    pub fn pipeline(&self) -> Arc<Pipeline> {
        Arc::clone(&self.pipeline.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn replace_pipeline(&self, pipeline: Pipeline) {
        *self
            .pipeline
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(pipeline);
    }

    /// Starts an import: `None` if one is already running.
    pub fn begin_import(&self, flag: Arc<AtomicBool>) -> Option<ImportGuard<'_>> {
        let mut slot = lock(&self.import_cancel);
        if slot.is_some() {
            return None;
        }
        *slot = Some(flag);
        Some(ImportGuard(self))
    }

    /// Asks the running import (if any) to stop; it rolls back.
    pub fn cancel_import(&self) -> bool {
        lock(&self.import_cancel)
            .as_ref()
            .map(|flag| flag.store(true, std::sync::atomic::Ordering::Relaxed))
            .is_some()
    }

    /// A PostgreSQL connection's password: typed this session, else from the OS keychain (or
    /// `PGPASSWORD`).
    pub fn password(&self, location: &str) -> Option<String> {
        if let Some(typed) = lock(&self.passwords).get(location).map(|p| p.0.clone()) {
            return Some(typed);
        }
        let env = |n: &str| std::env::var(n).ok();
        let name = plainsight_core::secrets::KeyName::database_password(location);
        match plainsight_core::secrets::lookup(&plainsight_core::secrets::Keychain, &name, &env) {
            Ok(found) => found.map(|(s, _)| s.expose().to_string()),
            Err(error) => {
                tracing::info!(%error, "no keychain for the database password");
                None
            }
        }
    }

    /// Keeps a typed PostgreSQL password in the OS keychain; if the keychain cannot be used, in
    /// memory until Plainsight closes (and says so).
    pub fn remember_password(&self, location: &str, password: String) -> Option<String> {
        let name = plainsight_core::secrets::KeyName::database_password(location);
        let saved = plainsight_core::secrets::Keychain.set(
            &name,
            &plainsight_core::secret::Secret::new(password.clone()),
        );
        lock(&self.passwords).insert(location.to_string(), SessionPassword(password));
        saved
            .err()
            .map(|e| format!("{e}. The password is kept only until Plainsight closes."))
    }

    pub fn forget_password(&self, location: &str) {
        lock(&self.passwords).remove(location);
        let name = plainsight_core::secrets::KeyName::database_password(location);
        if let Err(error) = plainsight_core::secrets::Keychain.delete(&name) {
            tracing::info!(%error, "the database password could not be removed from the keychain");
        }
    }

    pub fn notice(&self) -> Option<String> {
        lock(&self.notice).clone()
    }

    pub fn set_notice(&self, notice: Option<String>) {
        *lock(&self.notice) = notice;
    }

    /// The app database. A panic while it was held cannot leave SQLite half-written (each
    /// change is one statement or transaction), so a poisoned lock is safe to reuse.
    pub fn history(&self) -> MutexGuard<'_, AppDb> {
        lock(&self.history)
    }

    pub fn last_answer(&self) -> MutexGuard<'_, Option<crate::export::Shown>> {
        lock(&self.last_answer)
    }
}

/// Clears the running-import slot when the import ends, however it ends.
pub struct ImportGuard<'a>(&'a AppState);

impl Drop for ImportGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.0.import_cancel) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plain_iso_date_or_refused() {
        let fixed = NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date");
        assert_eq!(Today::parse("2026-11-26").ok(), Some(Today::Fixed(fixed)));
        assert_eq!(
            Today::parse(" 2026-11-26\n").ok(),
            Some(Today::Fixed(fixed)),
            "surrounding whitespace is ignored"
        );
        assert!(matches!(
            Today::parse("26/11/2026"),
            Err(AppError::BadToday(_))
        ));
    }
}
