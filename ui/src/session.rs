//! What the screens share, provided as context by the app: which screen is showing, the data
//! sources (the Ask screen says where questions go; the Data screen changes it), the settings
//! (the Ask screen's welcome says whether the AI is on; the Settings screen changes them), and
//! whether a file is being dragged over the window.

use leptos::prelude::*;
use plainsight_ipc::{SettingsView, SourceView, SourcesView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Ask,
    Data,
    Settings,
}

#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub screen: RwSignal<Screen>,
    /// As the engine last listed them; `None` until the first reply.
    pub sources: RwSignal<Option<SourcesView>>,
    /// As the engine last sent them; `None` until the first reply.
    pub settings: RwSignal<Option<SettingsView>>,
    pub dragging: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            screen: RwSignal::new(Screen::Ask),
            sources: RwSignal::new(None),
            settings: RwSignal::new(None),
            dragging: RwSignal::new(false),
        }
    }

    /// The source questions go to (tracked).
    pub fn active_source(self) -> Option<SourceView> {
        self.sources.with(|view| view.as_ref().and_then(|v| v.sources.iter().find(|s| s.active).cloned()))
    }

    /// Whether the AI is on, once the settings are known (tracked). The engine only says so in
    /// its status sentence.
    pub fn ai_on(self) -> Option<bool> {
        self.settings.with(|view| view.as_ref().map(|v| v.ai_status.starts_with("The AI is on")))
    }

    /// Why the app fell back to the sample data, if it did (tracked).
    pub fn notice(self) -> Option<String> {
        self.sources.with(|view| view.as_ref().and_then(|v| v.notice.clone()))
    }
}
