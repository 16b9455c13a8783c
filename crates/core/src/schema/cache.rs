//! The profile cache: a source's [`Schema`] (tables, columns, kinds, row counts, listed values,
//! latest dates) read once per change of its data and kept in the data directory, as
//! `<data dir>/profiles/<SHA-256 of the source's identity>.json`. Nothing is ever written in or
//! beside the user's file.
//!
//! A profile is used only while its [`ProfileKey`] still matches: the source's identity (a
//! canonical file path, a PostgreSQL address and schema) and its change signal (see
//! `SqliteSource::profile_key` and `PgSource::profile_key`), for this [`PROFILE_VERSION`], and,
//! when the key says so, for a limited time. A profile is only ever a speed-up: a missing,
//! unreadable, corrupt or outdated file is read again from the source and replaced, and one that
//! cannot be written is logged and forgotten; the person never sees an error from here.
//!
//! Writes are a temporary file renamed over the old profile (readers in other processes see the
//! old or the new one, never half of one). At most [`MAX_PROFILES`] are kept: each store drops the
//! least recently used ones (a hit refreshes the file's modification time).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Schema;
use crate::executor::ExecError;
use crate::source::DataSource;

/// Bump when [`Schema`]'s fields or what introspection puts in them change: older profiles are
/// then read again.
pub const PROFILE_VERSION: u32 = 3;

/// Profiles kept in the data directory (one per source); the least recently used go first.
pub const MAX_PROFILES: usize = 64;

/// Which data a profile describes and what moves when that data changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileKey {
    /// The source: a canonical file path, or a PostgreSQL address without password, with the
    /// database, schema and user. Names the profile's file.
    pub identity: String,
    /// Changes whenever the data may have changed (and sometimes when it has not).
    pub signal: String,
    /// The longest a profile may be used even when the signal has not moved (none: no limit).
    pub max_age: Option<Duration>,
}

/// Where a schema came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profiled {
    /// The stored profile matched the data.
    Hit,
    /// Read from the source and stored (or, when storing failed, only read).
    Built,
    /// Read from the source: it has no change signal to key a profile on.
    Uncached,
}

impl Profiled {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Built => "built",
            Self::Uncached => "uncached",
        }
    }
}

/// A profile as stored (`S`: the schema, or a reference to it when writing).
#[derive(Serialize, Deserialize)]
struct Stored<S> {
    version: u32,
    identity: String,
    signal: String,
    /// Seconds since the Unix epoch when the source was read.
    created: u64,
    schema: S,
}

/// The source's schema, from its profile in `data_dir` when the data has not changed since,
/// otherwise read from the source (and stored for next time).
pub fn cached(source: &dyn DataSource, data_dir: &Path) -> Result<Schema, ExecError> {
    profile(source, data_dir).map(|(schema, _)| schema)
}

/// [`cached`], saying whether the profile was used.
pub fn profile(source: &dyn DataSource, data_dir: &Path) -> Result<(Schema, Profiled), ExecError> {
    // The key is read before the data: a write during the read leaves a key that no longer
    // matches, so the next open reads again.
    let Some(key) = source.profile_key() else {
        return Ok((source.schema()?, Profiled::Uncached));
    };
    let dir = crate::datadir::profiles_dir(data_dir);
    let path = dir.join(file_name(&key.identity));
    let now = SystemTime::now();
    if let Some(schema) = load(&path, &key, now) {
        // Most recently used: kept when older profiles are dropped.
        let _ = std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(now));
        return Ok((schema, Profiled::Hit));
    }
    let schema = source.schema()?;
    if let Err(error) = store(&dir, &path, &key, &schema, now) {
        tracing::warn!(%error, profile = %path.display(), "the schema profile could not be saved; it will be read again next time");
    }
    Ok((schema, Profiled::Built))
}

/// `<SHA-256 of identity, 32 hex digits>.json`.
fn file_name(identity: &str) -> String {
    let digest = Sha256::digest(identity.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{hex}.json")
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The stored profile when it is readable and still describes the data.
fn load(path: &Path, key: &ProfileKey, now: SystemTime) -> Option<Schema> {
    let bytes = std::fs::read(path).ok()?;
    let stored: Stored<Schema> = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(error) => {
            tracing::info!(%error, profile = %path.display(), "an unreadable schema profile is read again");
            return None;
        }
    };
    let fresh = key
        .max_age
        .is_none_or(|age| seconds(now).saturating_sub(stored.created) <= age.as_secs());
    (stored.version == PROFILE_VERSION
        && stored.identity == key.identity
        && stored.signal == key.signal
        && fresh)
        .then_some(stored.schema)
}

/// Writes the profile through a temporary file and a rename, then keeps the newest
/// [`MAX_PROFILES`].
fn store(
    dir: &Path,
    path: &Path,
    key: &ProfileKey,
    schema: &Schema,
    now: SystemTime,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let stored = Stored {
        version: PROFILE_VERSION,
        identity: key.identity.clone(),
        signal: key.signal.clone(),
        created: seconds(now),
        schema,
    };
    let json = serde_json::to_vec(&stored).map_err(std::io::Error::other)?;
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{}.{}-{nanos}.tmp",
        file_name(&key.identity),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&json))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    prune(dir, MAX_PROFILES, now);
    Ok(())
}

/// Drops the least recently used profiles beyond `keep`, and temporary files a crash left
/// behind (older than an hour).
fn prune(dir: &Path, keep: usize, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut profiles: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(modified) = entry.metadata().ok().and_then(|m| m.modified().ok()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.starts_with('.') {
            profiles.push((modified, path));
        } else if name.ends_with(".tmp")
            && now
                .duration_since(modified)
                .is_ok_and(|age| age > Duration::from_secs(3600))
        {
            let _ = std::fs::remove_file(path);
        }
    }
    if profiles.len() > keep {
        profiles.sort();
        for (_, path) in &profiles[..profiles.len() - keep] {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests;
