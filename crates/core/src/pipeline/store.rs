//! The app database for one question: opened once when the question starts and handed to each
//! step that keeps something there (the answer cache and its statistics, the shared circuit
//! breakers, the budget, the history), instead of each step opening its own.

use std::path::Path;

use crate::history::AppDb;

pub(crate) enum Store {
    /// No app database is configured (a pipeline built for a test or a one-off run).
    Off,
    Open(AppDb),
    /// It is configured but could not be opened: optional jobs are skipped, the budget refuses.
    Failed(String),
}

impl Store {
    pub(crate) fn open(path: Option<&Path>) -> Self {
        match path.map(AppDb::open) {
            None => Self::Off,
            Some(Ok(db)) => Self::Open(db),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "the app database could not be opened for this question");
                Self::Failed(e.to_string())
            }
        }
    }

    /// The database, for jobs never worth failing a question for (cache, breakers, history).
    pub(crate) fn db(&mut self) -> Option<&mut AppDb> {
        match self {
            Self::Open(db) => Some(db),
            Self::Off | Self::Failed(_) => None,
        }
    }

    /// The database for the budget: `None` without one; an error when it is configured but
    /// could not be opened (no money is spent without the ledger).
    pub(crate) fn for_budget(&mut self) -> Result<Option<&mut AppDb>, String> {
        match self {
            Self::Off => Ok(None),
            Self::Open(db) => Ok(Some(db)),
            Self::Failed(why) => Err(why.clone()),
        }
    }

    /// Runs `work` on the database when there is one; a failure is logged with `failed` and
    /// gives `None`.
    pub(crate) fn with<T>(
        &mut self,
        failed: &str,
        work: impl FnOnce(&mut AppDb) -> Result<T, crate::history::HistoryError>,
    ) -> Option<T> {
        work(self.db()?)
            .inspect_err(|e| tracing::warn!(error = %e, "{failed}"))
            .ok()
    }
}
