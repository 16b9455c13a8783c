//! The app's one error type, and how it reaches the webview: as `IpcError { kind, message }`
//! with a stable `kind` the UI can match on and a message a non-technical person can act on.
//! Sources are kept for the log; only the plain message crosses IPC.

use std::path::PathBuf;

use plainsight_core::chart::ChartError;
use plainsight_core::datadir::DataDirError;
use plainsight_core::executor::ExecError;
use plainsight_core::history::HistoryError;
use plainsight_core::import::ImportError;
use plainsight_core::AskError;
use plainsight_ipc::IpcError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Plainsight could not set up its data folder")]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Ask(#[from] AskError),
    #[error("Plainsight could not read or save its question history")]
    History(#[from] HistoryError),
    #[error("The chart could not be drawn")]
    Chart(#[from] ChartError),
    #[error("PLAINSIGHT_TODAY must be a date like 2026-11-26, not {0:?}")]
    BadToday(String),
    #[error("There is no chart to export yet")]
    NoChart,
    #[error("The chart could not be saved to {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("The save dialog returned a location that is not a file on this computer")]
    NotAFile,
    #[error("Plainsight stopped working on this unexpectedly")]
    Interrupted(#[from] tauri::Error),
    #[error(transparent)]
    Source(ExecError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("That data source is no longer in the list")]
    NoSuchSource,
    #[error("The sample data is built in and cannot be removed")]
    SampleIsBuiltIn,
    #[error("There is no file at {}", .0.display())]
    NotAFileToOpen(PathBuf),
    #[error("Fill in the server, database and user name")]
    IncompleteConnection,
    #[error("Another import is still running")]
    ImportRunning,
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Keychain(#[from] plainsight_core::secrets::StoreError),
    #[error(transparent)]
    InvalidSetting(#[from] plainsight_core::settings::FieldError),
    #[error("A glossary entry needs both the word and what it means")]
    IncompleteGlossaryEntry,
}

impl From<plainsight_core::settings::SettingsError> for AppError {
    fn from(e: plainsight_core::settings::SettingsError) -> Self {
        match e {
            plainsight_core::settings::SettingsError::Field(f) => Self::InvalidSetting(f),
            plainsight_core::settings::SettingsError::Store(h) => Self::History(h),
        }
    }
}

impl AppError {
    /// A stable identifier for the UI and the log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::DataDir(_) => "data_dir_unavailable",
            Self::Ask(e) => e.kind(),
            Self::History(_) => "history_unavailable",
            Self::Chart(_) => "chart_failed",
            Self::BadToday(_) => "bad_today",
            Self::NoChart => "no_chart",
            Self::Write { .. } | Self::NotAFile => "export_failed",
            Self::Interrupted(_) => "interrupted",
            Self::Source(e) => source_kind(e),
            Self::Import(e) => import_kind(e),
            Self::NoSuchSource => "no_such_source",
            Self::SampleIsBuiltIn => "sample_is_built_in",
            Self::NotAFileToOpen(_) => "file_missing",
            Self::IncompleteConnection => "incomplete_connection",
            Self::ImportRunning => "import_running",
            Self::Setting(_) => "bad_setting",
            Self::Keychain(plainsight_core::secrets::StoreError::Locked) => "keychain_locked",
            Self::Keychain(_) => "keychain_unavailable",
            Self::InvalidSetting(_) => "invalid_setting",
            Self::IncompleteGlossaryEntry => "incomplete_glossary_entry",
        }
    }

    /// What the person in front of the app reads: what happened and what to do about it.
    pub fn user_message(&self) -> String {
        let message = match self {
            Self::DataDir(e) => format!("{self}: {e}"),
            Self::Ask(e) => e.to_string(),
            Self::History(_) => format!("{self}. Your answer is fine; restarting Plainsight usually helps"),
            Self::Chart(_) => format!("{self}. The table still has every number"),
            Self::NoChart => format!("{self}. Ask a question whose answer has a chart first"),
            Self::Write { .. } => format!("{self}. Check that the folder exists and that you can write to it"),
            Self::NotAFile => format!("{self}. Choose a folder on this computer"),
            Self::Interrupted(_) => format!("{self}. Please try again"),
            Self::BadToday(_) | Self::NoSuchSource | Self::SampleIsBuiltIn | Self::IncompleteConnection | Self::IncompleteGlossaryEntry => {
                self.to_string()
            }
            Self::Source(e) => e.to_string(),
            Self::Import(e) => import_message(e),
            Self::NotAFileToOpen(_) => format!("{self}. It may have been moved or renamed"),
            Self::ImportRunning => format!("{self}. Wait for it to finish or cancel it"),
            Self::Setting(_) | Self::Keychain(_) | Self::InvalidSetting(_) => self.to_string(),
        };
        sentence(&message)
    }
}

fn source_kind(e: &ExecError) -> &'static str {
    match e {
        ExecError::Missing(_) => "file_missing",
        ExecError::Open { .. } | ExecError::Corrupt(_) => "not_a_database",
        ExecError::Locked(_) => "database_locked",
        ExecError::Connect(_) => "connection_failed",
        _ => "source_failed",
    }
}

fn import_kind(e: &ImportError) -> &'static str {
    match e {
        ImportError::Cancelled => "import_cancelled",
        ImportError::TableExists(_) => "table_exists",
        _ => "import_failed",
    }
}

/// Import errors with a cause the person can act on get it appended.
fn import_message(e: &ImportError) -> String {
    match e {
        ImportError::Read { source, .. } => format!("{e} ({source})"),
        ImportError::Csv { source, .. } => format!("{e}: {source}"),
        ImportError::Workspace(source) => format!("{e} ({source}). Nothing already imported was changed"),
        _ => e.to_string(),
    }
}

/// Core's messages follow the Rust convention (lower case, no full stop); on screen they are
/// sentences.
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl From<AppError> for IpcError {
    fn from(error: AppError) -> Self {
        // The webview only gets the plain message; the chain of causes goes to the log.
        tracing::warn!(kind = error.kind(), error = ?error, "command failed");
        IpcError { kind: error.kind().to_string(), message: error.user_message() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(error: AppError, kind: &str, message: &str) {
        let ipc = IpcError::from(error);
        assert_eq!((ipc.kind.as_str(), ipc.message.as_str()), (kind, message), "kind and message the UI shows");
    }

    #[test]
    fn errors_reach_the_webview_in_plain_words() {
        check(AskError::EmptyQuestion.into(), "empty_question", "Type a question first, for example \"sales by region last month\".");
        check(AppError::NoChart, "no_chart", "There is no chart to export yet. Ask a question whose answer has a chart first.");
        check(
            AppError::Write { path: "/nope/chart.png".into(), source: std::io::ErrorKind::NotFound.into() },
            "export_failed",
            "The chart could not be saved to /nope/chart.png. Check that the folder exists and that you can write to it.",
        );
        check(AppError::BadToday("tomorrow".into()), "bad_today", "PLAINSIGHT_TODAY must be a date like 2026-11-26, not \"tomorrow\".");
    }
}
