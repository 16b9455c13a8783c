//! What the screens share, provided as context by the app: which screen is showing, the data
//! sources (the Ask screen says where questions go; the Data screen changes it), the settings
//! (the Ask screen's welcome says whether the AI is on; the Settings screen changes them), the
//! banners across the top (any screen that changes spending refreshes them), and whether a file
//! is being dragged over the window.

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{Banner, SettingsView, SourceView, SourcesView};

use crate::ipc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Ask,
    Data,
    Settings,
    Spending,
}

#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub screen: RwSignal<Screen>,
    /// As the engine last listed them; `None` until the first reply.
    pub sources: RwSignal<Option<SourcesView>>,
    /// As the engine last sent them; `None` until the first reply.
    pub settings: RwSignal<Option<SettingsView>>,
    pub dragging: RwSignal<bool>,
    /// Budget warnings and paused AI providers, shown above every screen.
    pub banners: RwSignal<Vec<Banner>>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            screen: RwSignal::new(Screen::Ask),
            sources: RwSignal::new(None),
            settings: RwSignal::new(None),
            dragging: RwSignal::new(false),
            banners: RwSignal::new(Vec::new()),
        }
    }

    /// Asks the engine for the banners again (after an answer, or a changed budget). A failure
    /// keeps the last ones: the banners only repeat what the Spending page shows.
    pub fn refresh_banners(self) {
        spawn_local(async move {
            if let Ok(banners) = ipc::status().await {
                self.banners.set(banners);
            }
        });
    }

    /// The source questions go to (tracked).
    pub fn active_source(self) -> Option<SourceView> {
        self.sources.with(|view| {
            view.as_ref()
                .and_then(|v| v.sources.iter().find(|s| s.active).cloned())
        })
    }

    /// Whether the AI is on, once the settings are known (tracked). The engine only says so in
    /// its status sentence.
    pub fn ai_on(self) -> Option<bool> {
        self.settings.with(|view| {
            view.as_ref()
                .map(|v| v.ai_status.starts_with("The AI is on"))
        })
    }

    /// A setting's stored value, once the settings are known (tracked).
    pub fn setting(self, key: &str) -> Option<String> {
        self.settings.with(|v| {
            v.as_ref()
                .and_then(|v| v.fields.iter().find(|f| f.key == key))
                .map(|f| f.value.clone())
        })
    }

    /// Why the app fell back to the sample data, if it did (tracked).
    pub fn notice(self) -> Option<String> {
        self.sources
            .with(|view| view.as_ref().and_then(|v| v.notice.clone()))
    }
}
