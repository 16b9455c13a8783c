//! `SecretStore`: API keys and passwords live only in the operating system's keychain (macOS
//! Keychain, Windows Credential Manager, the Secret Service — GNOME Keyring or KWallet — on
//! Linux), through the `keyring` crate, under the service name `plainsight`.
//!
//! Environment variables (`PERPLEXITY_API_KEY`, …) are read as a developer override and win over
//! the keychain; [`lookup`] says where a key came from so the UI can show it. Nothing here ever
//! reads or writes a file.

use std::fmt;

use crate::secret::Secret;

/// The keychain's service name.
pub const SERVICE: &str = "plainsight";

/// Which key: one keychain entry each.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyName {
    Perplexity,
    OpenAi,
    Embeddings,
    Daytona,
    LangfusePublic,
    LangfuseSecret,
    /// A PostgreSQL connection's password, by the connection's name (its address without password).
    Postgres(String),
    /// A MariaDB or MySQL connection's password, likewise.
    Mysql(String),
}

impl KeyName {
    /// Every fixed key, in the order the Settings screen lists them.
    pub const FIXED: [KeyName; 6] = [
        KeyName::Perplexity,
        KeyName::OpenAi,
        KeyName::Embeddings,
        KeyName::Daytona,
        KeyName::LangfusePublic,
        KeyName::LangfuseSecret,
    ];

    /// The CLI's and the UI's spelling (and the keychain account): `perplexity`, `postgres:<name>`.
    pub fn as_str(&self) -> String {
        match self {
            Self::Perplexity => "perplexity".into(),
            Self::OpenAi => "openai".into(),
            Self::Embeddings => "embeddings".into(),
            Self::Daytona => "daytona".into(),
            Self::LangfusePublic => "langfuse-public".into(),
            Self::LangfuseSecret => "langfuse-secret".into(),
            Self::Postgres(name) => format!("postgres:{name}"),
            Self::Mysql(name) => format!("mysql:{name}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some(name) = s.strip_prefix("postgres:").filter(|n| !n.trim().is_empty()) {
            return Some(Self::Postgres(name.trim().to_string()));
        }
        if let Some(name) = s.strip_prefix("mysql:").filter(|n| !n.trim().is_empty()) {
            return Some(Self::Mysql(name.trim().to_string()));
        }
        Self::FIXED
            .into_iter()
            .find(|k| k.as_str() == s.to_ascii_lowercase())
    }

    /// What a person calls it.
    pub fn label(&self) -> String {
        match self {
            Self::Perplexity => "Perplexity API key".into(),
            Self::OpenAi => "OpenAI-compatible API key".into(),
            Self::Embeddings => "Embeddings API key".into(),
            Self::Daytona => "Daytona API key".into(),
            Self::LangfusePublic => "Langfuse public key".into(),
            Self::LangfuseSecret => "Langfuse secret key".into(),
            Self::Postgres(name) => format!("PostgreSQL password for {name}"),
            Self::Mysql(name) => format!("MariaDB/MySQL password for {name}"),
        }
    }

    /// The environment variable that overrides it, if any.
    pub fn env_var(&self) -> Option<&'static str> {
        match self {
            Self::Perplexity => Some("PERPLEXITY_API_KEY"),
            Self::OpenAi | Self::Embeddings => Some("OPENAI_API_KEY"),
            Self::Daytona => Some("DAYTONA_API_KEY"),
            Self::LangfusePublic => Some("LANGFUSE_PUBLIC_KEY"),
            Self::LangfuseSecret => Some("LANGFUSE_SECRET_KEY"),
            Self::Postgres(_) => Some("PGPASSWORD"),
            Self::Mysql(_) => Some("MYSQL_PWD"),
        }
    }

    /// The password entry of a database connection, by its stored address (`mysql://…` or
    /// `postgres://…`, without password).
    pub fn database_password(location: &str) -> Self {
        if crate::source::mysql::is_url(location) {
            Self::Mysql(location.to_string())
        } else {
            Self::Postgres(location.to_string())
        }
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// The keychain could not be used. Messages say what to do; the app keeps working offline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("Your system keychain is locked or unavailable; unlock it and try again")]
    Locked,
    #[error(
        "No system keychain is running (on Linux: GNOME Keyring or KWallet), so keys cannot be saved; start one and try again — Plainsight still works offline"
    )]
    NoKeychain,
    #[error("The system keychain refused the key ({0})")]
    Refused(String),
}

/// Where a key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Keychain,
    /// A developer override from the process environment.
    Environment(&'static str),
}

/// A place secrets are kept.
pub trait SecretStore: Send + Sync {
    /// The secret, or `Ok(None)` when there is no entry.
    fn get(&self, name: &KeyName) -> Result<Option<Secret>, StoreError>;
    fn set(&self, name: &KeyName, value: &Secret) -> Result<(), StoreError>;
    /// `Ok(false)` when there was nothing to delete.
    fn delete(&self, name: &KeyName) -> Result<bool, StoreError>;
}

/// The operating system's keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

fn store_error(e: &keyring::Error) -> StoreError {
    match e {
        keyring::Error::NoStorageAccess(_) => StoreError::Locked,
        keyring::Error::NoDefaultStore => StoreError::NoKeychain,
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            // zbus: no session bus, or no Secret Service on it.
            if text.contains("ServiceUnknown")
                || text.contains("DBUS_SESSION_BUS_ADDRESS")
                || text.contains("No such file")
                || text.contains("org.freedesktop.secrets")
            {
                StoreError::NoKeychain
            } else if text.to_lowercase().contains("locked") || text.contains("dismissed") {
                StoreError::Locked
            } else {
                StoreError::Refused(first_line(&text))
            }
        }
        other => StoreError::Refused(first_line(&other.to_string())),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(160)
        .collect()
}

impl Keychain {
    fn entry(name: &KeyName) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, &name.as_str()).map_err(|e| store_error(&e))
    }
}

impl SecretStore for Keychain {
    fn get(&self, name: &KeyName) -> Result<Option<Secret>, StoreError> {
        match Self::entry(name)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(store_error(&e)),
        }
    }

    fn set(&self, name: &KeyName, value: &Secret) -> Result<(), StoreError> {
        Self::entry(name)?
            .set_password(value.expose())
            .map_err(|e| store_error(&e))
    }

    fn delete(&self, name: &KeyName) -> Result<bool, StoreError> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(store_error(&e)),
        }
    }
}

/// A key from the environment (developer override) or the keychain, and where it came from.
pub fn lookup(
    store: &dyn SecretStore,
    name: &KeyName,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(Secret, Origin)>, StoreError> {
    if let Some(var) = name.env_var() {
        if let Some(value) = env(var).filter(|v| !v.trim().is_empty()) {
            return Ok(Some((Secret::new(value.trim()), Origin::Environment(var))));
        }
    }
    Ok(store.get(name)?.map(|s| (s, Origin::Keychain)))
}

/// The process environment, as [`lookup`] reads it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Cleans a secret read from stdin or a form: trailing newline and surrounding spaces removed.
pub fn clean(value: &str) -> Option<Secret> {
    let v = value.trim_end_matches(['\n', '\r']).trim();
    (!v.is_empty()).then(|| Secret::new(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip_and_name_their_overrides() {
        for k in KeyName::FIXED {
            assert_eq!(KeyName::parse(&k.as_str()), Some(k.clone()));
        }
        assert_eq!(
            KeyName::parse("postgres:shop on db.example.com"),
            Some(KeyName::Postgres("shop on db.example.com".into()))
        );
        assert_eq!(KeyName::parse("postgres:"), None);
        assert_eq!(
            KeyName::parse("mysql:mysql://reader@db/shop"),
            Some(KeyName::Mysql("mysql://reader@db/shop".into()))
        );
        assert_eq!(
            KeyName::database_password("mysql://reader@db/shop").env_var(),
            Some("MYSQL_PWD")
        );
        assert_eq!(
            KeyName::database_password("postgres://reader@db/shop"),
            KeyName::Postgres("postgres://reader@db/shop".into())
        );
        assert_eq!(KeyName::parse("gemini"), None);
        assert_eq!(KeyName::Perplexity.env_var(), Some("PERPLEXITY_API_KEY"));
        assert_eq!(
            clean("pplx-abc\n").map(|s| s.expose().to_string()),
            Some("pplx-abc".into())
        );
        assert_eq!(clean(" \n"), None);
    }

    /// A store that has nothing: `lookup` then falls to the environment only.
    struct Empty;

    impl SecretStore for Empty {
        fn get(&self, _: &KeyName) -> Result<Option<Secret>, StoreError> {
            Ok(None)
        }
        fn set(&self, _: &KeyName, _: &Secret) -> Result<(), StoreError> {
            Err(StoreError::NoKeychain)
        }
        fn delete(&self, _: &KeyName) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    #[test]
    fn the_environment_overrides_and_says_so() {
        let env =
            |n: &str| (n == "PERPLEXITY_API_KEY").then(|| "pplx-from-env-0000ABCD".to_string());
        let (key, origin) = lookup(&Empty, &KeyName::Perplexity, &env).unwrap().unwrap();
        assert_eq!(
            (key.masked().as_str(), origin),
            ("•••• ABCD", Origin::Environment("PERPLEXITY_API_KEY"))
        );
        assert_eq!(lookup(&Empty, &KeyName::Daytona, &env).unwrap(), None);
        assert!(StoreError::Locked
            .to_string()
            .starts_with("Your system keychain is locked or unavailable; unlock it and try again"));
    }
}
