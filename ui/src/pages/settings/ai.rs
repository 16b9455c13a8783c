//! The AI provider section's one-click presets: each sets the provider, its URL and its model.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Section, SettingsScreen};
use crate::ipc;

/// A one-click AI provider: what it sets `ai_provider`, `ai_base_url` and `ai_model` to.
struct Preset {
    id: &'static str,
    name: &'static str,
    about: &'static str,
    provider: &'static str,
    base_url: &'static str,
    model: &'static str,
    /// What to do next, said once it is chosen.
    next: &'static str,
}

const PRESETS: [Preset; 4] = [
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

/// The AI provider section, which also holds the presets.
pub(super) const AI_SECTION: Section = Section {
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
};

/// Choosing a preset, and whether one is chosen.
impl SettingsScreen {
    fn preset(self, preset: &'static Preset) {
        if self.presetting.get_untracked() {
            return;
        }
        self.presetting.set(true);
        self.error.set(None);
        self.note.set(None);
        spawn_local(async move {
            let mut failed = false;
            for (key, value) in [
                ("ai_provider", preset.provider),
                ("ai_base_url", preset.base_url),
                ("ai_model", preset.model),
            ] {
                match ipc::set_setting(key, value).await {
                    Ok(view) => {
                        self.refused.update(|r| {
                            r.remove(key);
                        });
                        self.edited(key);
                        self.show(view);
                    }
                    Err(e) => {
                        self.error.set(Some(format!(
                            "{} could not be chosen: {}",
                            preset.name, e.message
                        )));
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                self.load();
            } else {
                self.note
                    .set(Some(format!("{} chosen. {}", preset.name, preset.next)));
            }
            self.presetting.set(false);
        });
    }

    /// Whether `preset` is what the settings hold now (tracked).
    fn chosen(self, preset: &Preset) -> bool {
        self.value("ai_provider") == preset.provider
            && self.value("ai_base_url") == preset.base_url
            && self.value("ai_model") == preset.model
    }
}

#[component]
pub(super) fn Presets(screen: SettingsScreen) -> impl IntoView {
    let buttons = PRESETS
        .iter()
        .map(|preset| {
            let chosen = move || screen.chosen(preset);
            view! {
                <button
                    id=preset.id
                    class="preset"
                    class:chosen=chosen
                    aria-pressed=move || if chosen() { "true" } else { "false" }
                    disabled=move || screen.presetting.get()
                    on:click=move |_| screen.preset(preset)
                >
                    <strong>{preset.name}</strong>
                    <span>{preset.about}</span>
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="presets" role="group" aria-label="Choose a provider in one click">
            {buttons}
        </div>
    }
}
