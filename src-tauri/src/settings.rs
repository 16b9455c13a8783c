//! The Settings screen's operations: settings in the app database, keys in the OS keychain, and
//! the pipeline rebuilt whenever either changes (the active source stays; only how questions are
//! answered changes). Every function blocks; commands run them on a worker thread.

use std::time::Duration;

use plainsight_core::history::AppDb;
use plainsight_core::llm::provider::{self, HttpProvider, ProviderKind};
use plainsight_core::secrets::{self, KeyName, Keychain, Origin, SecretStore};
use plainsight_core::settings::screen;
use plainsight_core::settings::{Kind, FIELDS};
use plainsight_core::setup::{self, Setup};
use plainsight_ipc::{
    ChoiceOption, FieldKind, KeyState, KeyStatus, PresetView, SectionTool, SettingField,
    SettingsSection, SettingsView,
};

use crate::error::AppError;
use crate::state::AppState;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How pipelines are opened: core's one composition ([`plainsight_core::setup::from_settings`]),
/// from the stored settings, the glossary and the keychain (the environment overrides both, for
/// developers and tests), with the data directory's app database and schema profiles.
pub fn setup_from(db: &AppDb, data_dir: &std::path::Path) -> Result<Setup, AppError> {
    setup::from_settings(db, data_dir, &Keychain, &env, &setup::Overrides::default()).map_err(|e| {
        match e {
            setup::SetupError::Setting(message) => AppError::Setting(message),
            setup::SetupError::Store(e) => AppError::History(e),
            setup::SetupError::Open(e) => AppError::Ask(e),
        }
    })
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
        Ok(Some((secret, Origin::Keychain))) => (KeyState::Keychain, Some(secret.masked()), None),
        Ok(Some((secret, Origin::Environment(_)))) => {
            (KeyState::Environment, Some(secret.masked()), None)
        }
        Ok(None) => (KeyState::NotSet, None, None),
        Err(e) => (KeyState::NotSet, None, Some(e.to_string())),
    };
    KeyStatus {
        name: name.as_str(),
        label: name.label(),
        state,
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
                Kind::Choice(options) => (
                    FieldKind::Choice,
                    options
                        .iter()
                        .map(|o| ChoiceOption {
                            value: (*o).to_string(),
                            label: screen::option_label(o).to_string(),
                        })
                        .collect(),
                    None,
                    None,
                ),
                Kind::Number { min, max } => {
                    (FieldKind::Number, Vec::new(), Some(*min), Some(*max))
                }
                Kind::Switch => (FieldKind::Switch, Vec::new(), None, None),
                Kind::Text => (FieldKind::Text, Vec::new(), None, None),
            };
            SettingField {
                key: f.key.into(),
                label: f.label.into(),
                help: f.help.into(),
                kind,
                options,
                min,
                max,
                value: settings.get(f.key).to_string(),
                default: f.default.into(),
            }
        })
        .collect();
    let keys = KeyName::FIXED.iter().map(key_status).collect();
    Ok(SettingsView {
        fields,
        keys,
        sections: screen::SECTIONS.iter().map(section).collect(),
        presets: screen::PRESETS.iter().map(preset).collect(),
        ai_status: ai_status(state),
    })
}

fn section(s: &screen::Section) -> SettingsSection {
    SettingsSection {
        id: s.id.into(),
        title: s.title.into(),
        about: s.about.into(),
        keys: s.keys.iter().map(|k| (*k).to_string()).collect(),
        tool: s.tool.map(|t| match t {
            screen::Tool::Presets => SectionTool::Presets,
            screen::Tool::CacheStats => SectionTool::CacheStats,
            screen::Tool::Diagnostics => SectionTool::Diagnostics,
        }),
    }
}

fn preset(p: &screen::Preset) -> PresetView {
    PresetView {
        id: p.id.into(),
        name: p.name.into(),
        about: p.about.into(),
        provider: p.provider.into(),
        base_url: p.base_url.into(),
        model: p.model.into(),
        next: p.next.into(),
    }
}

/// Saves one setting (checked) and applies it.
pub fn set(state: &AppState, key: &str, value: &str) -> Result<SettingsView, AppError> {
    setup::set_setting(&state.history(), key, value, &env)?;
    apply(state)?;
    view(state)
}

fn key_name(name: &str) -> Result<KeyName, AppError> {
    KeyName::parse(name)
        .ok_or_else(|| AppError::Setting(format!("{name:?} is not a key Plainsight knows")))
}

/// Saves a key in the keychain (never anywhere else) and applies it.
pub fn set_key(state: &AppState, name: &str, value: &str) -> Result<SettingsView, AppError> {
    let name = key_name(name)?;
    let secret =
        secrets::clean(value).ok_or_else(|| AppError::Setting("Paste the key first.".into()))?;
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
        KeyName::Perplexity if settings.provider_kind() == ProviderKind::PerplexitySonar => {
            ProviderKind::PerplexitySonar
        }
        KeyName::Perplexity => ProviderKind::Perplexity,
        KeyName::OpenAi => ProviderKind::OpenAi,
        other => {
            return Err(AppError::Setting(format!(
                "Testing the {} arrives with the feature that uses it.",
                other.label()
            )))
        }
    };
    let mut config = provider::ProviderConfig::new(kind);
    // The chosen server address applies when it is for this provider.
    if settings.provider_kind() == kind
        || (kind == ProviderKind::Perplexity
            && settings.provider_kind() == ProviderKind::PerplexitySonar)
    {
        // The same address questions use: the setting, else the developer override.
        if let Some(base) = settings
            .ai_choice()
            .base_url
            .or_else(|| env(provider::BASE_URL_ENV))
        {
            config.base_url = base;
        }
        if let Some(model) = settings
            .ai_choice()
            .model
            .or_else(|| env(provider::MODEL_ENV))
        {
            config.model = model;
        }
    }
    config.max_retries = 0;
    config.timeout = Duration::from_secs(20);
    config.api_key = secrets::lookup(&Keychain, &name, &env)?.map(|(s, _)| s);
    // A failed test keeps the provider's own kind (`llm_unauthorized`, `llm_unreachable` …), so
    // the window can say what to fix; the message is the provider's, as a sentence.
    let checked = HttpProvider::new(config)
        .and_then(|p| p.check())
        .map_err(|e| AppError::Ask(e.into()))?;
    Ok(checked)
}
