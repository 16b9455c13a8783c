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
use plainsight_ipc::{ErrorKind, IpcError};

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
    #[error("There is no answer to export yet")]
    NoAnswer,
    #[error("The export failed: {0}")]
    Export(plainsight_core::export::ExportError),
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
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::DataDir(_) => ErrorKind::DataDirUnavailable,
            Self::Ask(e) => core_kind(e.kind()).unwrap_or(ErrorKind::QueryFailed),
            Self::History(_) => ErrorKind::HistoryUnavailable,
            Self::Chart(_) => ErrorKind::ChartFailed,
            Self::BadToday(_) => ErrorKind::BadToday,
            Self::NoChart => ErrorKind::NoChart,
            Self::Export(plainsight_core::export::ExportError::NoChart) => ErrorKind::NoChart,
            Self::Export(_) | Self::NotAFile => ErrorKind::ExportFailed,
            Self::NoAnswer => ErrorKind::NoChart,
            Self::Interrupted(_) => ErrorKind::Interrupted,
            Self::Source(e) => source_kind(e),
            Self::Import(e) => import_kind(e),
            Self::NoSuchSource => ErrorKind::NoSuchSource,
            Self::SampleIsBuiltIn => ErrorKind::SampleIsBuiltIn,
            Self::NotAFileToOpen(_) => ErrorKind::FileMissing,
            Self::IncompleteConnection => ErrorKind::IncompleteConnection,
            Self::ImportRunning => ErrorKind::ImportRunning,
            Self::Setting(_) => ErrorKind::BadSetting,
            Self::Keychain(plainsight_core::secrets::StoreError::Locked) => {
                ErrorKind::KeychainLocked
            }
            Self::Keychain(_) => ErrorKind::KeychainUnavailable,
            Self::InvalidSetting(_) => ErrorKind::InvalidSetting,
            Self::IncompleteGlossaryEntry => ErrorKind::IncompleteGlossaryEntry,
        }
    }

    /// What the person in front of the app reads: what happened and what to do about it.
    pub fn user_message(&self) -> String {
        let message = match self {
            Self::DataDir(e) => format!("{self}: {e}"),
            Self::Ask(e) => e.to_string(),
            Self::History(_) => {
                format!("{self}. Your answer is fine; restarting Plainsight usually helps")
            }
            Self::Chart(_) => format!("{self}. The table still has every number"),
            Self::NoChart => format!("{self}. Ask a question whose answer has a chart first"),
            Self::Export(plainsight_core::export::ExportError::Write { .. }) => {
                format!("{self}. Check that the folder exists and that you can write to it")
            }
            Self::Export(_) => self.to_string(),
            Self::NoAnswer => format!("{self}. Ask a question first"),
            Self::NotAFile => format!("{self}. Choose a folder on this computer"),
            Self::Interrupted(_) => format!("{self}. Please try again"),
            Self::BadToday(_)
            | Self::NoSuchSource
            | Self::SampleIsBuiltIn
            | Self::IncompleteConnection
            | Self::IncompleteGlossaryEntry => self.to_string(),
            Self::Source(e) => e.to_string(),
            Self::Import(e) => import_message(e),
            Self::NotAFileToOpen(_) => format!("{self}. It may have been moved or renamed"),
            Self::ImportRunning => format!("{self}. Wait for it to finish or cancel it"),
            Self::Setting(_) | Self::Keychain(_) | Self::InvalidSetting(_) => self.to_string(),
        };
        sentence(&message)
    }
}

/// Core's kinds (`AskError::kind`, `LlmError::kind`, an answer's `error_kind`) are strings, as
/// its CLI prints them; here, at the boundary, they become [`ErrorKind`]. A kind core made up
/// that the IPC enum does not know is logged (and a test below keeps that from happening).
pub fn core_kind(kind: &str) -> Option<ErrorKind> {
    let known = ErrorKind::parse(kind);
    if known.is_none() {
        tracing::error!(
            kind,
            "core reported a kind the window does not know; add it to plainsight_ipc::ErrorKind"
        );
    }
    known
}

fn source_kind(e: &ExecError) -> ErrorKind {
    match e {
        ExecError::Missing(_) => ErrorKind::FileMissing,
        ExecError::Open { .. } | ExecError::Corrupt(_) => ErrorKind::NotADatabase,
        ExecError::Locked(_) => ErrorKind::DatabaseLocked,
        ExecError::Connect(_) => ErrorKind::ConnectionFailed,
        _ => ErrorKind::SourceFailed,
    }
}

fn import_kind(e: &ImportError) -> ErrorKind {
    match e {
        ImportError::Cancelled => ErrorKind::ImportCancelled,
        ImportError::TableExists(_) => ErrorKind::TableExists,
        _ => ErrorKind::ImportFailed,
    }
}

/// Import errors with a cause the person can act on get it appended.
fn import_message(e: &ImportError) -> String {
    match e {
        ImportError::Read { source, .. } => format!("{e} ({source})"),
        ImportError::Csv { source, .. } => format!("{e}: {source}"),
        ImportError::Workspace(source) => {
            format!("{e} ({source}). Nothing already imported was changed")
        }
        _ => e.to_string(),
    }
}

/// Core's messages follow the Rust convention (lower case, no full stop); on screen they are
/// sentences.
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl From<AppError> for IpcError {
    fn from(error: AppError) -> Self {
        // The webview only gets the plain message; the chain of causes goes to the log.
        tracing::warn!(kind = error.kind().as_str(), error = ?error, "command failed");
        IpcError {
            kind: error.kind(),
            message: error.user_message(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(error: AppError, kind: &str, message: &str) {
        let ipc = IpcError::from(error);
        assert_eq!(
            (ipc.kind.as_str(), ipc.message.as_str()),
            (kind, message),
            "kind and message the UI shows"
        );
    }

    /// Every kind core can report (errors and an answer's `error_kind`) is one the window knows.
    #[test]
    fn every_core_kind_is_an_ipc_kind() {
        use plainsight_core::llm::provider::LlmError;
        let provider = "Perplexity";
        let llm = [
            LlmError::NoKey {
                provider,
                env: "PERPLEXITY_API_KEY",
            },
            LlmError::Unauthorized { provider },
            LlmError::Rejected {
                provider,
                message: "no".into(),
            },
            LlmError::RateLimited {
                provider,
                retry_after: None,
            },
            LlmError::Server {
                provider,
                status: 500,
            },
            LlmError::Timeout { provider, secs: 1 },
            LlmError::Connect {
                provider,
                url: "http://127.0.0.1:9".into(),
            },
            LlmError::Cancelled,
            LlmError::BadReply {
                provider,
                detail: "?".into(),
            },
            LlmError::Failed {
                provider,
                message: "no".into(),
            },
        ];
        let asks = [
            AskError::EmptyQuestion,
            AskError::TooLong(5000),
            AskError::Open(ExecError::Cancelled),
            AskError::Exec(ExecError::Cancelled),
            AskError::Exec(ExecError::TimedOut(1000)),
            AskError::Exec(ExecError::Missing("x.db".into())),
            AskError::Config("no".into()),
        ];
        let answer_kinds = [
            "approval_needed",
            "budget_exceeded",
            "budget_unavailable",
            "llm_code_failed",
            "provider_paused",
        ];
        let kinds = llm
            .iter()
            .map(LlmError::kind)
            .chain(asks.iter().map(AskError::kind))
            .chain(answer_kinds);
        for kind in kinds {
            assert_eq!(
                core_kind(kind).map(ErrorKind::as_str),
                Some(kind),
                "{kind} is an ipc ErrorKind"
            );
        }
        for e in llm {
            let kind = e.kind();
            assert_eq!(AppError::from(AskError::from(e)).kind().as_str(), kind);
        }
    }

    #[test]
    fn errors_reach_the_webview_in_plain_words() {
        check(
            AskError::EmptyQuestion.into(),
            "empty_question",
            "Type a question first, for example \"sales by region last month\".",
        );
        check(
            AppError::NoChart,
            "no_chart",
            "There is no chart to export yet. Ask a question whose answer has a chart first.",
        );
        check(
            AppError::Export(plainsight_core::export::ExportError::Write {
                path: "/nope/chart.png".into(),
                source: std::io::ErrorKind::NotFound.into(),
            }),
            "export_failed",
            "The export failed: could not write /nope/chart.png: entity not found. Check that the folder exists and that you can write to it.",
        );
        check(
            AppError::BadToday("tomorrow".into()),
            "bad_today",
            "PLAINSIGHT_TODAY must be a date like 2026-11-26, not \"tomorrow\".",
        );
        // A failed key test (Settings → Test) keeps the provider's own kind, not `bad_setting`.
        let refused = plainsight_core::llm::provider::LlmError::Unauthorized {
            provider: "Perplexity",
        };
        check(
            AppError::Ask(refused.into()),
            "llm_unauthorized",
            "Perplexity rejected the API key; open Settings → API keys and check it.",
        );
    }
}
