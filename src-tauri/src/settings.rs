//! The Settings screen's operations: settings in the app database, keys in the OS keychain, and
//! the pipeline rebuilt whenever either changes (the active source stays; only how questions are
//! answered changes). Every function blocks; commands run them on a worker thread.

use std::sync::Arc;
use std::time::Duration;

use plainsight_core::history::AppDb;
use plainsight_core::llm::provider::{self, HttpProvider, LlmProvider, ProviderKind};
use plainsight_core::secrets::{self, KeyName, Keychain, Origin, SecretStore};
use plainsight_core::settings::{Kind, FIELDS};
use plainsight_ipc::{KeyStatus, SettingField, SettingsView};

use crate::error::AppError;
use crate::state::{AppState, Setup};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How pipelines are opened, from the stored settings, the glossary, and the keychain (the
/// environment overrides both, for developers and tests), with the data directory's app
/// database and schema profiles.
pub fn setup_from(db: &AppDb, data_dir: &std::path::Path) -> Result<Setup, AppError> {
    let settings = db.settings(&env)?;
    let mut options = settings.pipeline_options();
    options.glossary = db.glossary()?;
    // The Settings screen's daily budget is the global scope every AI call reserves against.
    db.set_budget(&plainsight_core::budget::global_from(&settings)).map_err(|e| AppError::Setting(e.to_string()))?;
    options.app_db = Some(plainsight_core::datadir::app_db_path(data_dir));
    options.data_dir = Some(data_dir.to_path_buf());
    let key = |kind: ProviderKind| provider::key_from(&Keychain, &env, kind);
    let llm: Option<Arc<dyn LlmProvider>> = match provider::configured(&settings.ai_choice(), &env, &key).map_err(AppError::Setting)? {
        Some(mut config) => {
            config.timeout = Duration::from_secs(settings.ai_timeout_secs().max(1));
            Some(provider::from_config(config).map_err(|e| AppError::Setting(e.to_string()))?)
        }
        None => None,
    };
    // One warm Monty worker for the app's lifetime; Daytona when chosen in Settings and keyed.
    static MONTY: std::sync::OnceLock<Option<Arc<dyn plainsight_core::python::CodeRunner>>> = std::sync::OnceLock::new();
    let monty = MONTY
        .get_or_init(|| {
            plainsight_core::python::find_worker()
                .map(|w| Arc::new(plainsight_core::python::MontyWorker::new(w)) as Arc<dyn plainsight_core::python::CodeRunner>)
        })
        .clone();
    let runner = if settings.get("python_sandbox") == "daytona" {
        match plainsight_core::python::daytona::configured(&Keychain, &env) {
            Ok(Some(d)) => Some(Arc::new(d) as Arc<dyn plainsight_core::python::CodeRunner>),
            Ok(None) => {
                return Err(AppError::Setting(
                    "Python is set to run in Daytona, but there is no Daytona API key yet; add it under API keys or choose embedded."
                        .into(),
                ))
            }
            Err(e) => return Err(AppError::Setting(e.to_string())),
        }
    } else {
        monty
    };
    let embedder = plainsight_core::cache::embed::from_settings(&settings, &Keychain, &env).map_err(AppError::Setting)?;
    // Langfuse is optional: without keys, or when it cannot start, answers are simply not traced.
    let tracer = plainsight_core::trace::langfuse::configured(&Keychain, &env, settings.get("langfuse_host"))
        .inspect_err(|error| tracing::warn!(%error, "Langfuse tracing is off"))
        .ok()
        .flatten()
        .map(|t| Arc::new(t) as Arc<dyn plainsight_core::trace::Tracer>);
    Ok(Setup { options, llm, runner, embedder: Some(embedder), tracer })
}

/// Rebuilds the setup and reopens the active source with it.
fn apply(state: &AppState) -> Result<(), AppError> {
    let setup = setup_from(&state.history(), &state.data_dir)?;
    state.set_setup(setup);
    let active = state.history().active_source()?;
    if let Some(active) = active {
        crate::sources::activate(state, active.id)?;
    }
    Ok(())
}

fn key_status(name: &KeyName) -> KeyStatus {
    let (state, masked, problem) = match secrets::lookup(&Keychain, name, &env) {
        Ok(Some((secret, Origin::Keychain))) => ("keychain", Some(secret.masked()), None),
        Ok(Some((secret, Origin::Environment(_)))) => ("environment", Some(secret.masked()), None),
        Ok(None) => ("none", None, None),
        Err(e) => ("none", None, Some(e.to_string())),
    };
    KeyStatus {
        name: name.as_str(),
        label: name.label(),
        state: state.into(),
        masked,
        env_var: name.env_var().map(str::to_string),
        testable: matches!(name, KeyName::Perplexity | KeyName::OpenAi),
        problem,
    }
}

fn ai_status(state: &AppState) -> String {
    match state.setup().llm {
        Some(llm) => {
            format!("The AI is on: {} ({}). Questions the offline planner is unsure of go to it.", llm.kind().display_name(), llm.model())
        }
        None => "The AI is off: add a key below (or choose a server on this computer). Plainsight answers offline meanwhile.".into(),
    }
}

/// Everything the Settings screen shows.
pub fn view(state: &AppState) -> Result<SettingsView, AppError> {
    let settings = state.history().settings(&env)?;
    let fields = FIELDS
        .iter()
        .map(|f| {
            let (kind, options, min, max) = match &f.kind {
                Kind::Choice(options) => ("choice", options.iter().map(|o| (*o).to_string()).collect(), None, None),
                Kind::Number { min, max } => ("number", Vec::new(), Some(*min), Some(*max)),
                Kind::Switch => ("switch", Vec::new(), None, None),
                Kind::Text => ("text", Vec::new(), None, None),
            };
            SettingField {
                key: f.key.into(),
                label: f.label.into(),
                help: f.help.into(),
                kind: kind.into(),
                options,
                min,
                max,
                value: settings.get(f.key).to_string(),
                default: f.default.into(),
            }
        })
        .collect();
    let keys = KeyName::FIXED.iter().map(key_status).collect();
    Ok(SettingsView { fields, keys, ai_status: ai_status(state) })
}

/// Saves one setting (checked) and applies it.
pub fn set(state: &AppState, key: &str, value: &str) -> Result<SettingsView, AppError> {
    state.history().set_setting(key, value, &env)?;
    apply(state)?;
    view(state)
}

fn key_name(name: &str) -> Result<KeyName, AppError> {
    KeyName::parse(name).ok_or_else(|| AppError::Setting(format!("{name:?} is not a key Plainsight knows")))
}

/// Saves a key in the keychain (never anywhere else) and applies it.
pub fn set_key(state: &AppState, name: &str, value: &str) -> Result<SettingsView, AppError> {
    let name = key_name(name)?;
    let secret = secrets::clean(value).ok_or_else(|| AppError::Setting("Paste the key first.".into()))?;
    Keychain.set(&name, &secret)?;
    apply(state)?;
    view(state)
}

pub fn delete_key(state: &AppState, name: &str) -> Result<SettingsView, AppError> {
    let name = key_name(name)?;
    Keychain.delete(&name)?;
    apply(state)?;
    view(state)
}

/// The cheapest real call with this key and the chosen server.
pub fn test_key(state: &AppState, name: &str) -> Result<String, AppError> {
    let name = key_name(name)?;
    let settings = state.history().settings(&env)?;
    let kind = match name {
        KeyName::Perplexity if settings.provider_kind() == ProviderKind::PerplexitySonar => ProviderKind::PerplexitySonar,
        KeyName::Perplexity => ProviderKind::Perplexity,
        KeyName::OpenAi => ProviderKind::OpenAi,
        other => return Err(AppError::Setting(format!("Testing the {} arrives with the feature that uses it.", other.label()))),
    };
    let mut config = provider::ProviderConfig::new(kind);
    // The chosen server address applies when it is for this provider.
    if settings.provider_kind() == kind || (kind == ProviderKind::Perplexity && settings.provider_kind() == ProviderKind::PerplexitySonar) {
        // The same address questions use: the setting, else the developer override.
        if let Some(base) = settings.ai_choice().base_url.or_else(|| env(provider::BASE_URL_ENV)) {
            config.base_url = base;
        }
        if let Some(model) = settings.ai_choice().model.or_else(|| env(provider::MODEL_ENV)) {
            config.model = model;
        }
    }
    config.max_retries = 0;
    config.timeout = Duration::from_secs(20);
    config.api_key = secrets::lookup(&Keychain, &name, &env)?.map(|(s, _)| s);
    let checked =
        HttpProvider::new(config).and_then(|p| p.check()).map_err(|e| AppError::Setting(crate::error::sentence(&e.to_string())))?;
    Ok(checked)
}
