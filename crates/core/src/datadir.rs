//! The one place that decides where Plainsight keeps its files, so the app and the CLI agree.
//!
//! `PLAINSIGHT_DATA_DIR` overrides it (tests and scripts isolate themselves with it); otherwise
//! the platform's standard data directory (XDG on Linux: `~/.local/share/plainsight`).

use std::path::PathBuf;

/// Name of the environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "PLAINSIGHT_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("could not find a home directory to keep Plainsight's data in; set {DATA_DIR_ENV}")]
    NoHome,
    #[error("could not create Plainsight's data folder {path}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The data directory, created if missing.
pub fn data_dir() -> Result<PathBuf, DataDirError> {
    let dir = match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => directories::ProjectDirs::from("", "", "plainsight")
            .ok_or(DataDirError::NoHome)?
            .data_dir()
            .to_path_buf(),
    };
    std::fs::create_dir_all(&dir).map_err(|source| DataDirError::Create {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(dir)
}

/// The bundled sample database's path inside the data directory.
pub fn sample_db_path(dir: &std::path::Path) -> PathBuf {
    dir.join("sample.sqlite")
}

/// The workspace database, where imported CSV and spreadsheet files land.
pub fn workspace_db_path(dir: &std::path::Path) -> PathBuf {
    dir.join("workspace.db")
}

/// The schema profile cache: one JSON file per data source (see [`crate::schema::cached`]).
/// Profiles live only here, never beside the user's files.
pub fn profiles_dir(dir: &std::path::Path) -> PathBuf {
    dir.join("profiles")
}

/// The app database (history, later settings, cache, budgets) inside the data directory.
pub fn app_db_path(dir: &std::path::Path) -> PathBuf {
    dir.join("plainsight.sqlite")
}
