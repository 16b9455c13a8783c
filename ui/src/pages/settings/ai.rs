//! The AI provider section's one-click presets (from the engine's settings view): each sets the
//! provider, its URL and its model.

use leptos::prelude::*;
use leptos::task::spawn_local;

use plainsight_ipc::PresetView;

use super::SettingsScreen;
use crate::ipc;

/// Choosing a preset, and whether one is chosen.
impl SettingsScreen {
    fn preset(self, preset: PresetView) {
        if self.presetting.get_untracked() {
            return;
        }
        self.presetting.set(true);
        self.error.set(None);
        self.note.set(None);
        spawn_local(async move {
            let mut failed = false;
            for (key, value) in [
                ("ai_provider", &preset.provider),
                ("ai_base_url", &preset.base_url),
                ("ai_model", &preset.model),
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
    fn chosen(self, preset: &PresetView) -> bool {
        self.value("ai_provider") == preset.provider
            && self.value("ai_base_url") == preset.base_url
            && self.value("ai_model") == preset.model
    }
}

#[component]
pub(super) fn Presets(screen: SettingsScreen) -> impl IntoView {
    let presets = screen
        .layout
        .with_untracked(|l| l.as_ref().map(|l| l.presets.clone()))
        .unwrap_or_default();
    let buttons = presets
        .into_iter()
        .map(|preset| {
            let chosen = {
                let preset = preset.clone();
                move || screen.chosen(&preset)
            };
            let chosen_too = chosen.clone();
            let PresetView {
                id, name, about, ..
            } = preset.clone();
            view! {
                <button
                    id=id
                    class="preset"
                    class:chosen=chosen
                    aria-pressed=move || if chosen_too() { "true" } else { "false" }
                    disabled=move || screen.presetting.get()
                    on:click=move |_| screen.preset(preset.clone())
                >
                    <strong>{name}</strong>
                    <span>{about}</span>
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
