//! The one composition of the pipeline: stored settings, the glossary and the keychain (with
//! environment variables as a developer override) become a [`Setup`] — options, AI provider,
//! Python runner, embedder and tracer — from which a [`Pipeline`] is opened on any source. The
//! desktop app (`src-tauri/src/lib.rs`) and the CLI (`crates/cli/src/main.rs`) both call
//! [`from_settings`], so a setting means the same in both; the CLI's flags are per-call
//! [`Overrides`].
//!
//! Budgets are kept where they are set: the global daily budget is created from Settings only
//! when none exists, and is updated from Settings only when its settings change ([`set_setting`]),
//! so `plainsight budget set global …` survives the app's next start.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::cache::embed::Embedder;
use crate::history::{AppDb, HistoryError};
use crate::llm::provider::{self, Choice, LlmProvider, ProviderKind};
use crate::python::CodeRunner;
use crate::router::Thresholds;
use crate::secrets::SecretStore;
use crate::settings::{Settings, SettingsError};
use crate::source::DataSource;
use crate::trace::Tracer;
use crate::{AiMode, AskError, Pipeline, PipelineOptions};

/// How every pipeline is opened: options (thresholds, glossary, limits) and the services.
#[derive(Clone, Default)]
pub struct Setup {
    pub options: PipelineOptions,
    pub llm: Option<Arc<dyn LlmProvider>>,
    /// Where the AI's Python scripts run (the embedded Monty worker, or Daytona).
    pub runner: Option<Arc<dyn CodeRunner>>,
    /// How the answer cache compares questions (none: the local embedder).
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Where question traces go (Langfuse, when its keys are saved).
    pub tracer: Option<Arc<dyn Tracer>>,
}

impl Setup {
    /// A pipeline on `source` with these options and services.
    pub fn open(&self, source: Box<dyn DataSource>) -> Result<Pipeline, AskError> {
        let mut pipeline = Pipeline::with_source(source, self.options.clone())?;
        if let Some(embedder) = &self.embedder {
            pipeline = pipeline.with_embedder(Arc::clone(embedder));
        }
        if let Some(tracer) = &self.tracer {
            pipeline = pipeline.with_tracer(Arc::clone(tracer));
        }
        if let Some(llm) = &self.llm {
            pipeline = pipeline.with_llm(Arc::clone(llm));
        }
        if let Some(runner) = &self.runner {
            pipeline = pipeline.with_runner(Arc::clone(runner));
        }
        Ok(pipeline)
    }
}

/// Per-call choices that win over the stored settings (the CLI's flags). `None`: the setting.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub ai: Option<AiMode>,
    pub self_correct: Option<u8>,
    /// How long one generated query may run.
    pub query_timeout: Option<Duration>,
    /// Provider, model and base URL; each field given wins over its setting.
    pub choice: Choice,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A setting or key that makes the setup impossible, in words for the person.
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Store(#[from] HistoryError),
    /// The source could not be opened (or its schema read).
    #[error(transparent)]
    Open(#[from] AskError),
}

/// Where questions go at start-up: the sample database is registered, then the active source
/// is opened. If that fails (file moved, server down, password not given this session),
/// questions go to the sample data and the notice says why, in words for the person. `now` is
/// the local time the sample is registered at (shown on the Data screen).
pub fn open_at_startup(
    db: &mut AppDb,
    sample: &Path,
    setup: &Setup,
    now: &str,
) -> Result<(Pipeline, Option<String>), SetupError> {
    use crate::sources::SourceKind;
    let sample_source = db.add_source(
        "Sample shop (Harbor & Pine Supply)",
        SourceKind::Sample,
        &sample.display().to_string(),
        now,
    )?;
    let active = db.active_source()?.unwrap_or(sample_source.clone());
    let open_sample =
        |setup: &Setup| setup.open(Box::new(crate::source::SqliteSource::new(sample)));
    if active.id == sample_source.id {
        return Ok((open_sample(setup)?, None));
    }
    let opened = crate::sources::open_source(&active, None)
        .map_err(AskError::Open)
        .and_then(|source| setup.open(source));
    match opened {
        Ok(pipeline) => Ok((pipeline, None)),
        Err(error) => {
            tracing::warn!(source = %active.location, %error, "the active source could not be opened; using the sample data");
            db.set_active_source(sample_source.id)?;
            let notice = format!(
                "\"{}\" could not be opened ({error}), so questions go to the sample data for now.",
                active.name
            );
            Ok((open_sample(setup)?, Some(notice)))
        }
    }
}

/// The setup from the app database at `data_dir`, the keychain `store` and `env` (the
/// environment, for `.env.example` names), with `overrides` on top.
pub fn from_settings(
    db: &AppDb,
    data_dir: &Path,
    store: &dyn SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Setup, SetupError> {
    // A developer's threshold override that is not a number is an error, not silently ignored.
    crate::router::Thresholds::parse(
        env(crate::pipeline::ROUTE_ENV).as_deref(),
        env(crate::pipeline::FALLBACK_ENV).as_deref(),
    )
    .map_err(SetupError::Setting)?;
    let settings = db.settings(env)?;
    let mut options = options_from(&settings);
    options.glossary = db.glossary()?;
    if let Some(ai) = overrides.ai {
        options.ai = ai;
    }
    if let Some(n) = overrides.self_correct {
        options.self_correct = n;
    }
    if let Some(timeout) = overrides.query_timeout {
        options.limits.timeout = timeout;
    }
    // The global daily budget every AI call reserves against: from Settings the first time only.
    db.ensure_budget(&global_budget(&settings))
        .map_err(|e| SetupError::Setting(e.to_string()))?;
    options.app_db = Some(crate::datadir::app_db_path(data_dir));
    options.data_dir = Some(data_dir.to_path_buf());

    let stored = settings.ai_choice();
    let choice = Choice {
        provider: overrides.choice.provider.clone().or(stored.provider),
        model: overrides.choice.model.clone().or(stored.model),
        base_url: overrides.choice.base_url.clone().or(stored.base_url),
    };
    let key = |kind: ProviderKind| provider::key_from(store, env, kind);
    let llm: Option<Arc<dyn LlmProvider>> = match options.ai {
        AiMode::Never => None,
        _ => match provider::configured(&choice, env, &key).map_err(SetupError::Setting)? {
            Some(mut config) => {
                config.timeout = Duration::from_secs(settings.ai_timeout_secs().max(1));
                Some(
                    provider::from_config(config)
                        .map_err(|e| SetupError::Setting(e.to_string()))?,
                )
            }
            None => None,
        },
    };

    let runner = if settings.get("python_sandbox") == "daytona" {
        match crate::python::daytona::configured(store, env) {
            Ok(Some(d)) => Some(Arc::new(d) as Arc<dyn CodeRunner>),
            Ok(None) => {
                return Err(SetupError::Setting(
                    "Python is set to run in Daytona, but there is no Daytona API key yet; add it under API keys or choose embedded."
                        .into(),
                ))
            }
            Err(e) => return Err(SetupError::Setting(e.to_string())),
        }
    } else {
        monty()
    };
    let embedder = embedder_from(&settings, store, env).map_err(SetupError::Setting)?;
    // Langfuse is optional: without keys, or when it cannot start, answers are simply not traced.
    let tracer = crate::trace::langfuse::configured(store, env, settings.get("langfuse_host"))
        .inspect_err(|error| tracing::warn!(%error, "Langfuse tracing is off"))
        .ok()
        .flatten()
        .map(|t| Arc::new(t) as Arc<dyn Tracer>);
    Ok(Setup {
        options,
        llm,
        runner,
        embedder: Some(embedder),
        tracer,
    })
}

/// The pipeline's options from `settings` (glossary added by the caller).
pub fn options_from(settings: &Settings) -> PipelineOptions {
    let ai = match settings.get("ai_mode") {
        "always" => AiMode::Always,
        "never" => AiMode::Never,
        _ => AiMode::Auto,
    };
    PipelineOptions {
        ai,
        thresholds: Thresholds {
            answer: settings.number("route_threshold"),
            clarify: settings.number("fallback_threshold"),
        },
        self_correct: settings.number("self_correct") as u8,
        send_sample_rows: settings.get("send_sample_rows") == "true",
        approval_usd: Some(settings.number("approval_usd")),
        cache: (settings.number("cache_ttl_secs") >= 1.0).then(|| crate::cache::CacheConfig {
            ttl: std::time::Duration::from_secs(settings.number("cache_ttl_secs") as u64),
            threshold: settings.number("cache_similarity") as f32,
            max_entries: settings.number("cache_max_entries") as usize,
        }),
        breaker: crate::breaker::Config {
            threshold: settings.number("breaker_failures") as u32,
            cool_down: std::time::Duration::from_millis(
                settings.number("breaker_recovery_ms") as u64
            ),
        },
        // A whole-history question over 10,000,000 orders takes 10–15 s on two cores; the old
        // fixed 5 s stopped it (scripts/bench, scale).
        limits: crate::executor::Limits {
            timeout: std::time::Duration::from_secs(
                (settings.number("query_time_limit_secs") as u64).max(1),
            ),
            ..crate::executor::Limits::default()
        },
        ..PipelineOptions::default()
    }
}

/// The embedder the settings choose: the local one, or an OpenAI-compatible service at the AI
/// server address (OpenAI's own when the provider is not OpenAI-compatible) with the Embeddings
/// key from the keychain (or `OPENAI_API_KEY`).
pub fn embedder_from(
    settings: &crate::settings::Settings,
    store: &dyn crate::secrets::SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Embedder>, String> {
    if settings.get("cache_embedder") != "openai" {
        return Ok(Arc::new(crate::cache::embed::LocalEmbedder));
    }
    let base = match (settings.get("ai_provider"), settings.get("ai_base_url")) {
        ("openai", base) if !base.is_empty() => base.to_string(),
        _ => "https://api.openai.com/v1".to_string(),
    };
    let key = crate::secrets::lookup(store, &crate::secrets::KeyName::Embeddings, env)
        .map_err(|e| e.to_string())?
        .map(|(k, _)| k);
    if key.is_none() && !crate::http::is_local(&base) {
        return Err("The cache is set to compare questions with an embeddings service, but there is no Embeddings key yet; add it under API keys or choose local.".into());
    }
    let model = Some(settings.get("cache_embedding_model"))
        .filter(|m| !m.is_empty())
        .unwrap_or("text-embedding-3-small");
    Ok(Arc::new(
        crate::cache::embed::OpenAiEmbedder::new(&base, model, key, false)
            .map_err(|e| e.to_string())?,
    ))
}

/// One warm Monty worker for the process's lifetime, when the worker program is installed.
fn monty() -> Option<Arc<dyn CodeRunner>> {
    static MONTY: OnceLock<Option<Arc<dyn CodeRunner>>> = OnceLock::new();
    MONTY
        .get_or_init(|| {
            crate::python::find_worker()
                .map(|w| Arc::new(crate::python::MontyWorker::new(w)) as Arc<dyn CodeRunner>)
        })
        .clone()
}

/// The global daily budget the settings ask for.
fn global_budget(settings: &crate::settings::Settings) -> crate::budget::Scope {
    crate::budget::global_daily(
        settings.get("budget_daily_usd"),
        settings.get("budget_soft_cap_pct"),
    )
}

/// Settings that define the global budget: changing one changes the budget itself.
const BUDGET_SETTINGS: &[&str] = &["budget_daily_usd", "budget_soft_cap_pct"];

/// Checks and saves one setting, as the Settings screen and `plainsight settings set` do; a
/// change to the daily budget's settings updates the global budget.
pub fn set_setting(
    db: &AppDb,
    key: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    db.set_setting(key, value, env)?;
    sync_budget(db, key, env)
}

/// Forgets one stored setting (its default applies again), updating the global budget as
/// [`set_setting`] does.
pub fn reset_setting(
    db: &AppDb,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    db.reset_setting(key)?;
    sync_budget(db, key, env)
}

fn sync_budget(
    db: &AppDb,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    if BUDGET_SETTINGS.contains(&key) {
        let settings = db.settings(env)?;
        db.set_budget(&global_budget(&settings)).map_err(|e| {
            SettingsError::Field(crate::settings::FieldError {
                field: key.into(),
                message: e.to_string(),
            })
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Period, Scope};
    use crate::secret::Secret;
    use crate::secrets::{KeyName, StoreError};

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// A keychain with nothing in it.
    struct NoKeys;

    impl SecretStore for NoKeys {
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

    /// A budget set from the command line survives the app's start-up path; the Settings
    /// screen's daily budget still changes it when that setting changes.
    #[test]
    fn a_budget_set_anywhere_persists_until_changed_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppDb::open(&crate::datadir::app_db_path(dir.path())).unwrap();
        let limit = |db: &AppDb| db.budgets(chrono::Utc::now()).unwrap()[0].scope.limit_usd();
        from_settings(&db, dir.path(), &NoKeys, &no_env, &Overrides::default()).unwrap();
        assert_eq!(
            limit(&db),
            5.0,
            "the first start defines the global budget from Settings"
        );
        db.set_budget(&Scope {
            name: "global".into(),
            limit_nanos: 20_000_000_000,
            period: Period::Month,
            soft: 0.8,
        })
        .unwrap();
        from_settings(&db, dir.path(), &NoKeys, &no_env, &Overrides::default()).unwrap();
        assert_eq!(limit(&db), 20.0, "a later start keeps it");
        set_setting(&db, "budget_daily_usd", "7.5", &no_env).unwrap();
        assert_eq!(limit(&db), 7.5, "changing the setting changes it");
    }

    #[test]
    fn overrides_win_over_stored_settings() {
        let dir = tempfile::tempdir().unwrap();
        let db = AppDb::open(&crate::datadir::app_db_path(dir.path())).unwrap();
        set_setting(&db, "ai_mode", "never", &no_env).unwrap();
        set_setting(&db, "self_correct", "2", &no_env).unwrap();
        set_setting(&db, "route_threshold", "0.95", &no_env).unwrap();
        let stored =
            from_settings(&db, dir.path(), &NoKeys, &no_env, &Overrides::default()).unwrap();
        assert_eq!(
            (
                stored.options.ai,
                stored.options.self_correct,
                stored.options.thresholds.answer
            ),
            (AiMode::Never, 2, 0.95)
        );
        let overrides = Overrides {
            ai: Some(AiMode::Auto),
            self_correct: Some(0),
            ..Overrides::default()
        };
        let given = from_settings(&db, dir.path(), &NoKeys, &no_env, &overrides).unwrap();
        assert_eq!(
            (
                given.options.ai,
                given.options.self_correct,
                given.options.thresholds.answer
            ),
            (AiMode::Auto, 0, 0.95)
        );
    }
}
