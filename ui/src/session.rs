//! What the two screens share, provided as context by the app: which screen is showing, the data
//! sources (the Ask screen says where questions go; the Data screen changes it), and whether a
//! file is being dragged over the window.

use leptos::prelude::*;
use plainsight_ipc::{SourceView, SourcesView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Ask,
    Data,
}

#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub screen: RwSignal<Screen>,
    /// As the engine last listed them; `None` until the first reply.
    pub sources: RwSignal<Option<SourcesView>>,
    pub dragging: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Self { screen: RwSignal::new(Screen::Ask), sources: RwSignal::new(None), dragging: RwSignal::new(false) }
    }

    /// The source questions go to (tracked).
    pub fn active_source(self) -> Option<SourceView> {
        self.sources.with(|view| view.as_ref().and_then(|v| v.sources.iter().find(|s| s.active).cloned()))
    }

    /// Why the app fell back to the sample data, if it did (tracked).
    pub fn notice(self) -> Option<String> {
        self.sources.with(|view| view.as_ref().and_then(|v| v.notice.clone()))
    }
}
