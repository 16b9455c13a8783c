//! What the commands share: the pipeline, the app database, the last answer (for export), and
//! which day "last month" is counted from.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::NaiveDate;
use plainsight_core::history::AppDb;
use plainsight_core::{Answer, Pipeline};

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
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map(Self::Fixed).map_err(|_| AppError::BadToday(value.to_string()))
    }

    pub fn get(self) -> NaiveDate {
        match self {
            Self::Local => chrono::Local::now().date_naive(),
            Self::Fixed(date) => date,
        }
    }
}

/// Tauri state, registered once in `setup`.
pub struct AppState {
    /// Shared with the blocking thread each question runs on.
    pub pipeline: Arc<Pipeline>,
    /// rusqlite connections are not `Sync`; questions are recorded one at a time.
    history: Mutex<AppDb>,
    /// The answer on screen, which "Export chart…" draws again at export size.
    last_answer: Mutex<Option<Answer>>,
    pub today: Today,
}

impl AppState {
    pub fn new(pipeline: Arc<Pipeline>, history: AppDb, today: Today) -> Self {
        Self { pipeline, history: Mutex::new(history), last_answer: Mutex::new(None), today }
    }

    /// The app database. A panic while it was held cannot leave SQLite half-written (each
    /// change is one statement or transaction), so a poisoned lock is safe to reuse.
    pub fn history(&self) -> MutexGuard<'_, AppDb> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn last_answer(&self) -> MutexGuard<'_, Option<Answer>> {
        self.last_answer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plain_iso_date_or_refused() {
        let fixed = NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date");
        assert_eq!(Today::parse("2026-11-26").ok(), Some(Today::Fixed(fixed)));
        assert_eq!(Today::parse(" 2026-11-26\n").ok(), Some(Today::Fixed(fixed)), "surrounding whitespace is ignored");
        assert!(matches!(Today::parse("26/11/2026"), Err(AppError::BadToday(_))));
    }
}
