//! Non-secret settings, kept in the app database (`settings(key, value)`), each checked with a
//! message a person can act on. Defaults come from the environment names of `.env.example`
//! (`BUDGET_DEFAULT_LIMIT`, `CONFIDENCE_ROUTE_THRESHOLD`, …) and then from built-in values.
//! Secrets are never here: they live in the keychain ([`crate::secrets`]).

use rusqlite::params;

pub mod screen;

use crate::history::{AppDb, HistoryError};
use crate::llm::provider::{Choice, ProviderKind};

/// What a setting holds, for the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One of a few words.
    Choice(&'static [&'static str]),
    /// A number between two bounds.
    Number {
        min: f64,
        max: f64,
    },
    Switch,
    /// Free text (a model name, a URL).
    Text,
}

/// One setting's definition.
#[derive(Debug, Clone)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    /// `.env.example` name whose value is the default when set.
    pub env: Option<&'static str>,
    pub default: &'static str,
}

/// Every setting, in the order the Settings screen shows them.
pub const FIELDS: &[Field] = &[
    Field {
        key: "ai_provider",
        label: "AI provider",
        help: "Perplexity (Agent API), Perplexity Sonar, or any OpenAI-compatible server (OpenAI, Ollama, LM Studio).",
        kind: Kind::Choice(&["perplexity", "perplexity-sonar", "openai"]),
        env: Some("PLAINSIGHT_LLM_PROVIDER"),
        default: "perplexity",
    },
    Field {
        key: "ai_model",
        label: "Model",
        help: "Empty uses the provider's default (perplexity/sonar, sonar, gpt-4o-mini).",
        kind: Kind::Text,
        env: Some("PLAINSIGHT_LLM_MODEL"),
        default: "",
    },
    Field {
        key: "ai_base_url",
        label: "Server address",
        help: "Empty uses the provider's own; http://localhost:11434/v1 for Ollama, http://localhost:1234/v1 for LM Studio.",
        kind: Kind::Text,
        env: Some("PLAINSIGHT_LLM_BASE_URL"),
        default: "",
    },
    Field {
        key: "ai_mode",
        label: "When to ask the AI",
        help: "auto: only questions the offline planner is unsure of; always: every question; never: stay offline.",
        kind: Kind::Choice(&["auto", "always", "never"]),
        env: None,
        default: "auto",
    },
    Field {
        key: "ai_timeout_secs",
        label: "AI time limit (seconds)",
        help: "How long to wait for the AI before giving up.",
        kind: Kind::Number { min: 5.0, max: 600.0 },
        env: Some("PLAINSIGHT_LLM_TIMEOUT_SECS"),
        default: "60",
    },
    Field {
        key: "query_time_limit_secs",
        label: "Query time limit (seconds)",
        help: "How long one query may run on your data before it is stopped. A question over millions of rows can need 10 to 20 seconds; Stop ends it at any time.",
        kind: Kind::Number { min: 1.0, max: 600.0 },
        env: None,
        default: "30",
    },
    Field {
        key: "self_correct",
        label: "Self-corrections",
        help: "How often the AI may fix its own query after an error (each try is paid for).",
        kind: Kind::Number { min: 0.0, max: 2.0 },
        env: None,
        default: "1",
    },
    Field {
        key: "send_sample_rows",
        label: "Send a few sample rows to the AI",
        help: "Off: only table and column names and category values leave your computer. On: three rows per table too.",
        kind: Kind::Switch,
        env: None,
        default: "false",
    },
    Field {
        key: "route_threshold",
        label: "Answer offline at confidence",
        help: "At or above this, the offline planner answers by itself (0–1).",
        kind: Kind::Number { min: 0.0, max: 1.0 },
        env: Some("CONFIDENCE_ROUTE_THRESHOLD"),
        default: "0.8",
    },
    Field {
        key: "fallback_threshold",
        label: "Give up below confidence",
        help: "Below this, Plainsight says what it can answer instead of guessing (0–1, not above the one before).",
        kind: Kind::Number { min: 0.0, max: 1.0 },
        env: Some("CONFIDENCE_FALLBACK_THRESHOLD"),
        default: "0.3",
    },
    Field {
        key: "budget_daily_usd",
        label: "Daily AI budget (USD)",
        help: "Plainsight never spends more than this per day.",
        kind: Kind::Number { min: 0.0, max: 10_000.0 },
        env: Some("BUDGET_DEFAULT_LIMIT"),
        default: "5.00",
    },
    Field {
        key: "budget_soft_cap_pct",
        label: "Warn at (% of the budget)",
        help: "A yellow banner appears from this share of the budget.",
        kind: Kind::Number { min: 1.0, max: 100.0 },
        env: None,
        default: "80",
    },
    Field {
        key: "approval_usd",
        label: "Ask before spending more than (USD per question)",
        help: "Questions estimated to cost more wait for your OK.",
        kind: Kind::Number { min: 0.0, max: 100.0 },
        env: None,
        default: "0.05",
    },
    Field {
        key: "breaker_failures",
        label: "Pause the AI after this many failures in a row",
        help: "Outages (server errors, timeouts, no connection) in a row before questions go offline for a while.",
        kind: Kind::Number { min: 1.0, max: 100.0 },
        env: Some(crate::breaker::THRESHOLD_ENV),
        default: "5",
    },
    Field {
        key: "breaker_recovery_ms",
        label: "Try a paused AI again after (milliseconds)",
        help: "How long the first pause lasts; it doubles (up to 8 times) while the provider keeps failing.",
        kind: Kind::Number { min: 1000.0, max: 3_600_000.0 },
        env: Some(crate::breaker::RECOVERY_ENV),
        default: "30000",
    },
    Field {
        key: "cache_ttl_secs",
        label: "Reuse AI answers for (seconds)",
        help: "A cached answer's query is run again on today's data, so it is never stale; after this long it is written afresh. 0 turns the cache off.",
        kind: Kind::Number { min: 0.0, max: 31_536_000.0 },
        env: Some(crate::cache::TTL_ENV),
        default: "3600",
    },
    Field {
        key: "cache_similarity",
        label: "Similar-question threshold",
        help: "How alike two wordings must be (0.5–1) to reuse an answer; values, numbers, dates and the figure asked for must match as well.",
        kind: Kind::Number { min: 0.5, max: 1.0 },
        env: Some(crate::cache::THRESHOLD_ENV),
        default: "0.8",
    },
    Field {
        key: "cache_max_entries",
        label: "Answers kept in the cache",
        help: "Beyond this many, the least recently used are forgotten.",
        kind: Kind::Number { min: 10.0, max: 1_000_000.0 },
        env: None,
        default: "10000",
    },
    Field {
        key: "cache_embedder",
        label: "Compare questions with",
        help: "local: on this computer, nothing is sent; openai: an OpenAI-compatible embeddings service at the AI server address (needs the Embeddings key for OpenAI).",
        kind: Kind::Choice(&["local", "openai"]),
        env: None,
        default: "local",
    },
    Field {
        key: "cache_embedding_model",
        label: "Embeddings model",
        help: "For the openai choice: text-embedding-3-small (OpenAI), nomic-embed-text (Ollama), …",
        kind: Kind::Text,
        env: None,
        default: "text-embedding-3-small",
    },
    Field {
        key: "langfuse_host",
        label: "Langfuse server",
        help: "Where traces go when Langfuse keys are saved: https://cloud.langfuse.com (EU), https://us.cloud.langfuse.com (US), or your own server.",
        kind: Kind::Text,
        env: Some(crate::trace::langfuse::HOST_ENV),
        default: crate::trace::langfuse::DEFAULT_HOST,
    },
    Field {
        key: "log_level",
        label: "Log detail",
        help: "What the log file keeps, e.g. info, debug, or warn,plainsight_core=debug. Takes effect at the next start.",
        kind: Kind::Text,
        env: None,
        default: "info",
    },
    Field {
        key: "python_sandbox",
        label: "Run Python in",
        help: "embedded: on this computer, no account needed; daytona: remote sandboxes (needs a Daytona key).",
        kind: Kind::Choice(&["embedded", "daytona"]),
        env: None,
        default: "embedded",
    },
    Field {
        key: "currency",
        label: "Currency of money columns",
        help: "How revenue, prices, costs and other amounts are shown in tables: system follows this computer's language and region.",
        kind: Kind::Choice(&["system", "USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "none"]),
        env: None,
        default: "system",
    },
];

/// A value refused, with the message shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] HistoryError),
}

fn field(key: &str) -> Result<&'static Field, FieldError> {
    FIELDS
        .iter()
        .find(|f| f.key == key)
        .ok_or_else(|| FieldError {
            field: key.into(),
            message: format!("There is no setting called {key:?}."),
        })
}

/// Checks and normalises `value` for `f` ("0.80" → "0.8", "Yes" → "true").
pub fn check(f: &Field, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let bad = |message: String| FieldError {
        field: f.key.into(),
        message,
    };
    match &f.kind {
        Kind::Choice(options) => {
            let lower = v.to_ascii_lowercase();
            options
                .iter()
                .find(|o| **o == lower)
                .map(|o| (*o).to_string())
                .ok_or_else(|| bad(format!("Choose one of: {}.", options.join(", "))))
        }
        Kind::Number { min, max } => match v.parse::<f64>() {
            Ok(x) if x.is_finite() && (*min..=*max).contains(&x) => Ok(format!("{x}")),
            _ => Err(bad(format!("Enter a number from {min} to {max}."))),
        },
        Kind::Switch => match v.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok("true".into()),
            "false" | "off" | "no" | "0" => Ok("false".into()),
            _ => Err(bad("Choose on or off.".into())),
        },
        Kind::Text if f.key == "langfuse_host" => match crate::trace::langfuse::check_host(v) {
            Ok(()) => Ok(v.trim_end_matches('/').to_string()),
            Err(_) => Err(bad(
                "Enter an address starting with https://, e.g. https://cloud.langfuse.com (http:// only for this computer).".into(),
            )),
        },
        Kind::Text if f.key == "log_level" => match tracing_subscriber::EnvFilter::try_new(v) {
            Ok(_) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(bad("Enter a level such as info, debug or warn (or target=level pairs separated by commas).".into())),
        },
        Kind::Text if f.key == "ai_base_url" => {
            if v.is_empty() || v.starts_with("https://") || v.starts_with("http://") {
                Ok(v.trim_end_matches('/').to_string())
            } else {
                Err(bad("Enter an address starting with https:// (or http:// for a server on this computer), or leave it empty.".into()))
            }
        }
        Kind::Text => {
            if v.chars().any(char::is_control) || v.len() > 200 {
                Err(bad("Enter a short name without line breaks.".into()))
            } else {
                Ok(v.to_string())
            }
        }
    }
}

/// All settings, resolved: stored value, else environment default, else built-in default.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    values: Vec<(&'static str, String)>,
}

impl Settings {
    pub fn get(&self, key: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A number setting's value (0 when it is not one).
    pub fn number(&self, key: &str) -> f64 {
        self.get(key).parse().unwrap_or_default()
    }

    pub fn all(&self) -> &[(&'static str, String)] {
        &self.values
    }

    /// The AI provider choice these settings make.
    pub fn ai_choice(&self) -> Choice {
        let opt = |k: &str| Some(self.get(k).to_string()).filter(|v| !v.is_empty());
        Choice {
            provider: opt("ai_provider"),
            model: opt("ai_model"),
            base_url: opt("ai_base_url"),
        }
    }

    pub fn provider_kind(&self) -> ProviderKind {
        ProviderKind::parse(self.get("ai_provider")).unwrap_or_default()
    }

    pub fn ai_timeout_secs(&self) -> u64 {
        self.number("ai_timeout_secs") as u64
    }
}

impl AppDb {
    /// Every setting, resolved. `env` reads the `.env.example` names (the process environment).
    pub fn settings(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, HistoryError> {
        let mut stmt = self.conn().prepare("SELECT key, value FROM settings")?;
        let stored: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let values = FIELDS
            .iter()
            .map(|f| {
                let from_store = stored
                    .iter()
                    .find(|(k, _)| k == f.key)
                    .and_then(|(_, v)| check(f, v).ok());
                let from_env = f
                    .env
                    .and_then(env)
                    .and_then(|v| check(f, &v).ok())
                    .filter(|v| !v.is_empty());
                (
                    f.key,
                    from_store
                        .or(from_env)
                        .unwrap_or_else(|| f.default.to_string()),
                )
            })
            .collect();
        Ok(Settings { values })
    }

    /// Checks and saves one setting (one statement: nothing half-saved).
    pub fn set_setting(
        &self,
        key: &str,
        value: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), SettingsError> {
        let f = field(key)?;
        let value = check(f, value)?;
        // The two thresholds must stay in order.
        let current = self.settings(env)?;
        let (route, fallback) = match key {
            "route_threshold" => (
                value.parse().unwrap_or_default(),
                current.number("fallback_threshold"),
            ),
            "fallback_threshold" => (
                current.number("route_threshold"),
                value.parse().unwrap_or_default(),
            ),
            _ => (1.0, 0.0),
        };
        if fallback > route {
            return Err(FieldError {
                field: key.into(),
                message: format!("\"Give up below\" ({fallback}) must not be above \"Answer offline at\" ({route})."),
            }
            .into());
        }
        self.conn()
            .execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(HistoryError::from)?;
        Ok(())
    }

    /// Forgets a stored setting, so its default applies again.
    pub fn reset_setting(&self, key: &str) -> Result<(), SettingsError> {
        field(key)?;
        self.conn()
            .execute("DELETE FROM settings WHERE key = ?1", [key])
            .map_err(HistoryError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_come_from_the_environment_then_built_in_values() {
        let db = AppDb::open_in_memory().unwrap();
        let s = db.settings(&no_env).unwrap();
        assert_eq!(
            (
                s.get("budget_daily_usd"),
                s.get("ai_provider"),
                s.get("send_sample_rows")
            ),
            ("5.00", "perplexity", "false")
        );
        let env = |n: &str| (n == "BUDGET_DEFAULT_LIMIT").then(|| "12.5".to_string());
        assert_eq!(db.settings(&env).unwrap().get("budget_daily_usd"), "12.5");
        let o = crate::setup::options_from(&s);
        assert_eq!(
            (
                o.thresholds.answer,
                o.thresholds.clarify,
                o.ai,
                o.send_sample_rows
            ),
            (0.8, 0.3, crate::AiMode::Auto, false)
        );
    }

    #[test]
    fn values_are_checked_normalised_and_kept() {
        let db = AppDb::open_in_memory().unwrap();
        db.set_setting("ai_provider", " OpenAI ", &no_env).unwrap();
        db.set_setting("ai_base_url", "http://localhost:11434/v1/", &no_env)
            .unwrap();
        db.set_setting("send_sample_rows", "on", &no_env).unwrap();
        db.set_setting("route_threshold", "0.90", &no_env).unwrap();
        let s = db.settings(&no_env).unwrap();
        assert_eq!(
            (
                s.get("ai_provider"),
                s.get("ai_base_url"),
                s.get("send_sample_rows"),
                s.get("route_threshold")
            ),
            ("openai", "http://localhost:11434/v1", "true", "0.9")
        );
        assert_eq!(
            s.ai_choice().base_url.as_deref(),
            Some("http://localhost:11434/v1")
        );
        let refused = |key: &str, value: &str| match db.set_setting(key, value, &no_env) {
            Err(SettingsError::Field(e)) => e,
            other => panic!("{key}={value}: {other:?}"),
        };
        assert_eq!(
            refused("budget_daily_usd", "five").message,
            "Enter a number from 0 to 10000."
        );
        assert_eq!(
            refused("ai_provider", "gemini").message,
            "Choose one of: perplexity, perplexity-sonar, openai."
        );
        assert!(refused("ai_base_url", "ftp://x")
            .message
            .starts_with("Enter an address starting with https://"));
        assert!(refused("fallback_threshold", "0.95")
            .message
            .contains("must not be above"));
        assert!(refused("colour", "blue").message.contains("no setting"));
        assert_eq!(
            db.settings(&no_env).unwrap().get("budget_daily_usd"),
            "5.00",
            "a refused value changes nothing"
        );
        db.reset_setting("ai_provider").unwrap();
        assert_eq!(
            db.settings(&no_env).unwrap().get("ai_provider"),
            "perplexity"
        );
    }
}
