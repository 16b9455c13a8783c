//! How the Settings screen presents the settings: its sections in order (each with the keys it
//! holds and the tool it also shows), the one-click AI provider presets, and a choice's value as
//! a person reads it. Pure data, kept beside the settings' definitions so the app and any other
//! front end show the same groups and words; the webview only lays them out.

/// A tool a section shows beside its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// The one-click AI provider presets.
    Presets,
    /// The answer cache's figures and "Clear cache".
    CacheStats,
    /// "Copy diagnostics" (the section shows even when none of its settings do).
    Diagnostics,
}

/// A group of settings on the screen. A setting no section names goes to "Other".
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    pub keys: &'static [&'static str],
    pub tool: Option<Tool>,
}

/// The sections, in the order the screen shows them (after the keys).
pub const SECTIONS: &[Section] = &[
    Section {
        id: "settings-ai",
        title: "AI provider",
        about: "Which AI answers the questions the offline planner is unsure of, and how.",
        keys: &[
            "ai_provider",
            "ai_base_url",
            "ai_model",
            "ai_mode",
            "ai_timeout_secs",
            "self_correct",
            "breaker_failures",
            "breaker_recovery_ms",
        ],
        tool: Some(Tool::Presets),
    },
    Section {
        id: "settings-privacy",
        title: "Privacy",
        about: "What may leave your computer when the AI is asked. Whole rows never do unless you turn this on.",
        keys: &["send_sample_rows"],
        tool: None,
    },
    Section {
        id: "settings-confidence",
        title: "Confidence",
        about: "When Plainsight answers by itself, asks the AI, or says what it can answer instead.",
        keys: &["route_threshold", "fallback_threshold"],
        tool: None,
    },
    Section {
        id: "settings-budget",
        title: "Budget",
        about: "Limits on what the AI may cost.",
        keys: &["budget_daily_usd", "budget_soft_cap_pct", "approval_usd"],
        tool: None,
    },
    Section {
        id: "settings-cache",
        title: "Cache",
        about: "Reusing earlier AI answers for questions like them (the query is always run again on today's data).",
        keys: &[
            "cache_ttl_secs",
            "cache_similarity",
            "cache_max_entries",
            "cache_embedder",
            "cache_embedding_model",
        ],
        tool: Some(Tool::CacheStats),
    },
    Section {
        id: "settings-tables",
        title: "Tables",
        about: "How long a question's query may run, and how figures read in answers and exports.",
        keys: &["query_time_limit_secs", "currency"],
        tool: None,
    },
    Section {
        id: "settings-python",
        title: "Python",
        about: "Where analyses written in Python run.",
        keys: &["python_sandbox"],
        tool: None,
    },
    Section {
        id: "settings-diagnostics",
        title: "Diagnostics",
        about: "Logs on this computer, and traces sent to Langfuse when its keys are saved.",
        keys: &["langfuse_host", "log_level"],
        tool: Some(Tool::Diagnostics),
    },
];

/// A one-click AI provider: what it sets `ai_provider`, `ai_base_url` and `ai_model` to.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    pub about: &'static str,
    pub provider: &'static str,
    pub base_url: &'static str,
    pub model: &'static str,
    /// What to do next, said once it is chosen.
    pub next: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        id: "preset-perplexity",
        name: "Perplexity",
        about: "Needs a Perplexity API key",
        provider: "perplexity",
        base_url: "",
        model: "",
        next: "Add your Perplexity API key above if it is not set yet.",
    },
    Preset {
        id: "preset-openai",
        name: "OpenAI",
        about: "Needs an OpenAI API key",
        provider: "openai",
        base_url: "https://api.openai.com/v1",
        model: "gpt-4o-mini",
        next: "Add your key as the OpenAI-compatible API key above if it is not set yet.",
    },
    Preset {
        id: "preset-ollama",
        name: "Ollama",
        about: "On this computer, no key",
        provider: "openai",
        base_url: "http://localhost:11434/v1",
        model: "llama3.1",
        next: "Start Ollama and download the model first (ollama pull llama3.1); no key is needed.",
    },
    Preset {
        id: "preset-lmstudio",
        name: "LM Studio",
        about: "On this computer, no key",
        provider: "openai",
        base_url: "http://localhost:1234/v1",
        model: "",
        next: "Start LM Studio's local server with a model loaded; no key is needed.",
    },
];

/// A choice's value as a person reads it; a value without a label is shown as it is.
pub fn option_label(value: &str) -> &str {
    match value {
        "perplexity" => "Perplexity (Agent API)",
        "perplexity-sonar" => "Perplexity Sonar",
        "openai" => "OpenAI-compatible (OpenAI, Ollama, LM Studio…)",
        "auto" => "auto: only when unsure",
        "always" => "always",
        "never" => "never: stay offline",
        "embedded" => "embedded: on this computer",
        "daytona" => "daytona: remote sandboxes",
        "system" => "system: from this computer's language and region",
        "none" => "none: plain numbers",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Kind, FIELDS};

    /// Every section names real settings, none twice; every preset sets a provider the setting
    /// accepts; every choice a setting offers has a label.
    #[test]
    fn sections_and_presets_name_real_settings_and_values() {
        let mut seen = std::collections::BTreeSet::new();
        for section in SECTIONS {
            for key in section.keys {
                assert!(FIELDS.iter().any(|f| f.key == *key), "{key} is a setting");
                assert!(seen.insert(*key), "{key} is in one section only");
            }
        }
        let provider = FIELDS.iter().find(|f| f.key == "ai_provider").unwrap();
        for preset in PRESETS {
            assert!(
                crate::settings::check(provider, preset.provider).is_ok(),
                "{}",
                preset.name
            );
        }
        for field in FIELDS {
            if let Kind::Choice(options) = field.kind {
                for option in options {
                    assert!(!option_label(option).is_empty(), "{}: {option}", field.key);
                }
            }
        }
    }
}
