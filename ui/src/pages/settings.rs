//! The Settings screen: whether the AI is on, the API keys (kept in the system keychain; only
//! their last four characters ever come back), one-click AI provider presets, and every other
//! setting, grouped, each saved as soon as it is changed, and "Copy diagnostics" for bug reports.
//! Labels, help, limits, the sections, the presets and the choices' words come from the engine;
//! this screen only lays them out.
//!
//! This file holds the page, its shared state and the section layout; each section with more
//! than setting rows has its own file (`keys`, `ai`, `cache`, `diagnostics`), and `row` draws
//! one setting.

mod ai;
mod cache;
mod diagnostics;
mod keys;
mod row;

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{
    CacheStatsView, ErrorKind, SectionTool, SettingField, SettingsSection, SettingsView,
};

use self::ai::Presets;
use self::cache::CacheStats;
use self::diagnostics::Diagnostics;
use self::keys::KeysSection;
use self::row::SettingRow;
use crate::components::messages::Messages;
use crate::ipc;
use crate::session::{Screen, Session};

/// Whether two views have the same settings and keys (the screen is laid out from the first).
fn same_shape(a: &SettingsView, b: &SettingsView) -> bool {
    a.fields
        .iter()
        .map(|f| &f.key)
        .eq(b.fields.iter().map(|f| &f.key))
        && a.keys
            .iter()
            .map(|k| &k.name)
            .eq(b.keys.iter().map(|k| &k.name))
}

/// The screen's state. The values themselves live in the session's settings, so a saved value
/// (or a preset) shows everywhere at once.
#[derive(Debug, Clone, Copy)]
struct SettingsScreen {
    session: Session,
    /// What the screen is laid out from: labels, kinds and keys do not change while it runs, so
    /// saving a value never redraws (and unfocuses) the fields.
    layout: RwSignal<Option<SettingsView>>,
    /// Something that went wrong that is not about one field.
    error: RwSignal<Option<String>>,
    note: RwSignal<Option<String>>,
    /// A refused value's message, by setting key; the typed value stays in its field.
    refused: RwSignal<HashMap<String, String>>,
    /// Settings saved since they were last edited.
    saved: RwSignal<HashSet<String>>,
    presetting: RwSignal<bool>,
    /// How many saves of each setting have been sent: only the latest one's reply is shown.
    sent: StoredValue<HashMap<String, u64>>,
    /// The answer cache's figures, once loaded.
    cache: RwSignal<Option<CacheStatsView>>,
    /// "Clear cache" is running.
    clearing: RwSignal<bool>,
    /// How many cache requests have been sent: only the latest one's reply is shown.
    cache_sent: StoredValue<u64>,
}

impl SettingsScreen {
    fn new(session: Session) -> Self {
        Self {
            session,
            layout: RwSignal::new(None),
            error: RwSignal::new(None),
            note: RwSignal::new(None),
            refused: RwSignal::new(HashMap::new()),
            saved: RwSignal::new(HashSet::new()),
            presetting: RwSignal::new(false),
            sent: StoredValue::new(HashMap::new()),
            cache: RwSignal::new(None),
            clearing: RwSignal::new(false),
            cache_sent: StoredValue::new(0),
        }
    }

    fn show(self, view: SettingsView) {
        if self
            .layout
            .with_untracked(|shown| shown.as_ref().is_none_or(|shown| !same_shape(shown, &view)))
        {
            self.layout.set(Some(view.clone()));
        }
        self.session.settings.set(Some(view));
    }

    fn load(self) {
        spawn_local(async move {
            match ipc::settings().await {
                Ok(view) => self.show(view),
                Err(e) => self.error.set(Some(e.message)),
            }
        });
    }

    /// The stored value of `key` (tracked).
    fn value(self, key: &str) -> String {
        self.session.setting(key).unwrap_or_default()
    }

    fn edited(self, key: &str) {
        if self.saved.with_untracked(|s| s.contains(key)) {
            self.saved.update(|s| {
                s.remove(key);
            });
        }
    }

    /// Saves one setting: "Saved" beside it, or the reason it was refused.
    fn save(self, key: String, value: String) {
        self.edited(&key);
        let mut sent = 0;
        self.sent.update_value(|s| {
            let count = s.entry(key.clone()).or_default();
            *count += 1;
            sent = *count;
        });
        spawn_local(async move {
            let reply = ipc::set_setting(&key, &value).await;
            if self.sent.with_value(|s| s.get(&key) != Some(&sent)) {
                return; // A later edit of the same setting was sent meanwhile.
            }
            match reply {
                Ok(view) => {
                    self.refused.update(|r| {
                        r.remove(&key);
                    });
                    self.show(view);
                    self.saved.update(|s| {
                        s.insert(key);
                    });
                    // A raised budget can lift a banner.
                    self.session.refresh_banners();
                }
                Err(e) if e.kind == ErrorKind::InvalidSetting => self.refused.update(|r| {
                    r.insert(key, e.message);
                }),
                Err(e) => {
                    // It may have been saved and then failed to apply: show what is stored now.
                    self.error.set(Some(e.message));
                    self.load();
                }
            }
        });
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    let session = expect_context::<Session>();
    let screen = SettingsScreen::new(session);
    screen.load();
    // Fresh each time the screen is opened: a key may have been added from the command line, and
    // questions asked since have used the cache.
    Effect::new(move |was_showing: Option<bool>| {
        let showing = session.screen.get() == Screen::Settings;
        if showing && was_showing == Some(false) {
            screen.load();
        }
        if showing && was_showing != Some(true) {
            screen.cache_stats(false);
        }
        showing
    });
    let SettingsScreen {
        error,
        note,
        layout,
        ..
    } = screen;

    let ai_status = move || {
        session
            .settings
            .with(|v| v.as_ref().map(|v| v.ai_status.clone()))
            .map(|status| {
                let on = session.ai_on().unwrap_or(false);
                view! {
                    <p id="ai-status" class="ai-status" class:on=on role="status">
                        <span class="ai-dot" aria-hidden="true"></span>
                        <span>{status}</span>
                    </p>
                }
            })
    };
    let body = move || match layout.get() {
        None => view! { <p class="muted">"Loading settings…"</p> }.into_any(),
        Some(SettingsView {
            fields,
            keys,
            sections,
            ..
        }) => {
            let in_section = |f: &SettingField| sections.iter().any(|s| s.keys.contains(&f.key));
            let other: Vec<SettingField> =
                fields.iter().filter(|f| !in_section(f)).cloned().collect();
            let sections = sections
                .into_iter()
                .map(|section| {
                    let rows = pick(&fields, &section.keys);
                    if rows.is_empty() && section.tool != Some(SectionTool::Diagnostics) {
                        return None;
                    }
                    Some(match section.tool {
                        Some(SectionTool::Presets) => view! {
                            <SettingsSection section rows screen>
                                <Presets screen/>
                            </SettingsSection>
                        }
                        .into_any(),
                        Some(SectionTool::CacheStats) => view! {
                            <SettingsSection section rows screen>
                                <CacheStats screen/>
                            </SettingsSection>
                        }
                        .into_any(),
                        Some(SectionTool::Diagnostics) => view! {
                            <SettingsSection section rows screen>
                                <Diagnostics/>
                            </SettingsSection>
                        }
                        .into_any(),
                        None => view! { <SettingsSection section rows screen/> }.into_any(),
                    })
                })
                .collect_view();
            let other = (!other.is_empty()).then(|| {
                let section = SettingsSection {
                    id: "settings-other".into(),
                    title: "Other".into(),
                    about: String::new(),
                    keys: Vec::new(),
                    tool: None,
                };
                view! { <SettingsSection section rows=other screen/> }
            });
            view! {
                <KeysSection keys screen/>
                {sections}
                {other}
            }
            .into_any()
        }
    };

    view! {
        <header class="page-head">
            <h1>"Settings"</h1>
            <p class="muted">"Everything here is saved as soon as you change it and applies to the next question."</p>
        </header>
        <Messages prefix="settings" error note/>
        {ai_status}
        {body}
    }
}

/// The fields named by `keys`, in that order.
fn pick(fields: &[SettingField], keys: &[String]) -> Vec<SettingField> {
    keys.iter()
        .filter_map(|k| fields.iter().find(|f| f.key == *k).cloned())
        .collect()
}

#[component]
fn SettingsSection(
    section: SettingsSection,
    rows: Vec<SettingField>,
    screen: SettingsScreen,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let SettingsSection {
        id, title, about, ..
    } = section;
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    let rows = rows
        .into_iter()
        .map(|field| view! { <SettingRow field screen/> })
        .collect_view();
    view! {
        <section id=id class="card settings-section" aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            {(!about.is_empty()).then(|| view! { <p class="muted">{about}</p> })}
            {children.map(|c| c())}
            <div class="settings-rows">{rows}</div>
        </section>
    }
}
