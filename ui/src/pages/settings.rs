//! The Settings screen: whether the AI is on, the API keys (kept in the system keychain; only
//! their last four characters ever come back), one-click AI provider presets, and every other
//! setting, grouped, each saved as soon as it is changed, and "Copy diagnostics" for bug reports.
//! Labels, help and limits come from the engine; this screen only lays them out.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{
    CacheStatsView, ErrorKind, FieldKind, KeyState, KeyStatus, SettingField, SettingsView,
};
use wasm_bindgen::prelude::*;

use crate::components::messages::Messages;
use crate::format;
use crate::ipc;
use crate::session::{Screen, Session};

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

/// A group of settings on the screen, in this order. A setting no section names goes to "Other".
struct Section {
    id: &'static str,
    title: &'static str,
    about: &'static str,
    keys: &'static [&'static str],
}

/// The AI provider section, which also holds the presets.
const AI_SECTION: Section = Section {
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

/// The section that also shows the cache's figures and "Clear cache".
const CACHE_SECTION_ID: &str = "settings-cache";

/// The section that also has "Copy diagnostics" (shown even if its settings are not).
const DIAGNOSTICS_SECTION_ID: &str = "settings-diagnostics";

const SECTIONS: [Section; 6] = [
    Section {
        id: "settings-privacy",
        title: "Privacy",
        about: "What may leave your computer when the AI is asked. Whole rows never do unless you turn this on.",
        keys: &["send_sample_rows"],
    },
    Section {
        id: "settings-confidence",
        title: "Confidence",
        about: "When Plainsight answers by itself, asks the AI, or says what it can answer instead.",
        keys: &["route_threshold", "fallback_threshold"],
    },
    Section {
        id: "settings-budget",
        title: "Budget",
        about: "Limits on what the AI may cost.",
        keys: &["budget_daily_usd", "budget_soft_cap_pct", "approval_usd"],
    },
    Section {
        id: CACHE_SECTION_ID,
        title: "Cache",
        about: "Reusing earlier AI answers for questions like them (the query is always run again on today's data).",
        keys: &["cache_ttl_secs", "cache_similarity", "cache_max_entries", "cache_embedder", "cache_embedding_model"],
    },
    Section { id: "settings-python", title: "Python", about: "Where analyses written in Python run.", keys: &["python_sandbox"] },
    Section {
        id: DIAGNOSTICS_SECTION_ID,
        title: "Diagnostics",
        about: "Logs on this computer, and traces sent to Langfuse when its keys are saved.",
        keys: &["langfuse_host", "log_level"],
    },
];

/// A choice's value as a person would read it; unknown values are shown as they are.
fn option_label(value: &str) -> &str {
    match value {
        "perplexity" => "Perplexity (Agent API)",
        "perplexity-sonar" => "Perplexity Sonar",
        "openai" => "OpenAI-compatible (OpenAI, Ollama, LM Studio…)",
        "auto" => "auto: only when unsure",
        "always" => "always",
        "never" => "never: stay offline",
        "embedded" => "embedded: on this computer",
        "daytona" => "daytona: remote sandboxes",
        other => other,
    }
}

/// Where a key is, in plain words, with its last four characters.
fn key_state(key: &KeyStatus) -> String {
    let masked = key.masked.as_deref().unwrap_or("••••");
    match key.state {
        KeyState::Keychain => format!("Saved in your system keychain {masked}"),
        KeyState::Environment => {
            let var = key.env_var.as_deref().unwrap_or("an environment variable");
            format!("From the environment variable {var} {masked} (developer override)")
        }
        KeyState::NotSet => "Not set".into(),
    }
}

/// The cache's figures in one line: "12 answers cached · 40% exact hits · 10% similar-question
/// hits · saved $0.03 · lookups take 0.4 ms on average". Rates are of all lookups (0 without any).
fn cache_summary(stats: &CacheStatsView) -> String {
    let CacheStatsView {
        entries,
        lookups,
        exact_hits,
        semantic_hits,
        saved_usd,
        avg_lookup_ms,
    } = *stats;
    #[allow(
        clippy::cast_precision_loss,
        reason = "cache counts stay far below 2^52"
    )]
    let rate = |hits: i64| {
        if lookups > 0 {
            hits as f64 * 100.0 / lookups as f64
        } else {
            0.0
        }
    };
    #[allow(
        clippy::cast_precision_loss,
        reason = "cache counts stay far below 2^52"
    )]
    let cached = format!(
        "{} {}",
        format::number(entries as f64, 0),
        if entries == 1 { "answer" } else { "answers" }
    );
    let took = if avg_lookup_ms < 10.0 {
        format!("{avg_lookup_ms:.1}")
    } else {
        format::number(avg_lookup_ms, 0)
    };
    format!(
        "{cached} cached · {:.0}% exact hits · {:.0}% similar-question hits · saved {} · lookups take {took} ms on average",
        rate(exact_hits),
        rate(semantic_hits),
        format::usd(saved_usd),
    )
}

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

    /// The cache's figures, or (with `clear`) forgets every cached answer first and says so.
    fn cache_stats(self, clear: bool) {
        if clear {
            if self.clearing.get_untracked() {
                return;
            }
            self.clearing.set(true);
            self.error.set(None);
            self.note.set(None);
        }
        let mut sent = 0;
        self.cache_sent.update_value(|count| {
            *count += 1;
            sent = *count;
        });
        spawn_local(async move {
            let reply = if clear {
                ipc::clear_cache().await
            } else {
                ipc::cache_stats().await
            };
            if clear {
                self.clearing.set(false);
            }
            let latest = self.cache_sent.get_value() == sent;
            match reply {
                Ok(stats) => {
                    if latest {
                        self.cache.set(Some(stats));
                    }
                    if clear {
                        self.note.set(Some("Cache cleared.".into()));
                    }
                }
                Err(e) => {
                    let message = if clear {
                        format!("The cache could not be cleared: {}", e.message)
                    } else {
                        e.message
                    };
                    self.error.set(Some(message));
                }
            }
        });
    }

    /// The stored value of `key` (tracked).
    fn value(self, key: &str) -> String {
        self.session
            .settings
            .with(|v| {
                v.as_ref()
                    .and_then(|v| v.fields.iter().find(|f| f.key == key))
                    .map(|f| f.value.clone())
            })
            .unwrap_or_default()
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
        Some(SettingsView { fields, keys, .. }) => {
            let keys = keys
                .into_iter()
                .map(|status| view! { <KeyRow status screen/> })
                .collect_view();
            let in_section = |f: &SettingField| {
                AI_SECTION.keys.contains(&f.key.as_str())
                    || SECTIONS.iter().any(|s| s.keys.contains(&f.key.as_str()))
            };
            let other: Vec<SettingField> =
                fields.iter().filter(|f| !in_section(f)).cloned().collect();
            let sections = SECTIONS
                .iter()
                .map(|section| {
                    let rows = pick(&fields, section.keys);
                    if rows.is_empty() && section.id != DIAGNOSTICS_SECTION_ID {
                        return None;
                    }
                    Some(match section.id {
                        CACHE_SECTION_ID => view! {
                            <SettingsSection section rows screen>
                                <CacheStats screen/>
                            </SettingsSection>
                        }
                        .into_any(),
                        DIAGNOSTICS_SECTION_ID => view! {
                            <SettingsSection section rows screen>
                                <Diagnostics/>
                            </SettingsSection>
                        }
                        .into_any(),
                        _ => view! { <SettingsSection section rows screen/> }.into_any(),
                    })
                })
                .collect_view();
            let other = (!other.is_empty()).then(|| {
                const OTHER: Section = Section {
                    id: "settings-other",
                    title: "Other",
                    about: "",
                    keys: &[],
                };
                view! { <SettingsSection section=&OTHER rows=other screen/> }
            });
            let ai_rows = pick(&fields, AI_SECTION.keys);
            view! {
                <section id="settings-keys" class="card" aria-labelledby="settings-keys-title">
                    <h2 id="settings-keys-title">"API keys"</h2>
                    <p class="muted">
                        "Keys are kept in your system keychain, never in a file, and are never shown again: only their last four characters."
                    </p>
                    <ul class="keys">{keys}</ul>
                </section>
                <SettingsSection section=&AI_SECTION rows=ai_rows screen>
                    <Presets screen/>
                </SettingsSection>
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
fn pick(fields: &[SettingField], keys: &[&str]) -> Vec<SettingField> {
    keys.iter()
        .filter_map(|k| fields.iter().find(|f| f.key == *k).cloned())
        .collect()
}

#[component]
fn SettingsSection(
    section: &'static Section,
    rows: Vec<SettingField>,
    screen: SettingsScreen,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let title_id = format!("{}-title", section.id);
    let labelled_by = title_id.clone();
    let rows = rows
        .into_iter()
        .map(|field| view! { <SettingRow field screen/> })
        .collect_view();
    view! {
        <section id=section.id class="card settings-section" aria-labelledby=labelled_by>
            <h2 id=title_id>{section.title}</h2>
            {(!section.about.is_empty()).then(|| view! { <p class="muted">{section.about}</p> })}
            {children.map(|c| c())}
            <div class="settings-rows">{rows}</div>
        </section>
    }
}

#[component]
fn Presets(screen: SettingsScreen) -> impl IntoView {
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

/// The cache's figures and "Clear cache" (confirmed inline, like removing a data source).
#[component]
fn CacheStats(screen: SettingsScreen) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let clearing = screen.clearing;
    let summary = move || {
        screen.cache.with(|stats| {
            stats
                .as_ref()
                .map_or_else(|| "Loading the cache's figures…".to_string(), cache_summary)
        })
    };
    let empty = move || {
        screen
            .cache
            .with(|stats| stats.as_ref().is_some_and(|s| s.entries == 0))
    };
    view! {
        <div class="cache-box">
            <div class="cache-head">
                <p id="cache-stats" class="cache-stats" role="status">
                    {summary}
                </p>
                <button
                    id="cache-clear"
                    class="quiet"
                    disabled=move || clearing.get() || confirming.get()
                    on:click=move |_| confirming.set(true)
                >
                    {move || if clearing.get() { "Clearing…" } else { "Clear cache" }}
                </button>
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label="Confirm clearing the cache">
                    <p>
                        {move || {
                            if empty() {
                                "The cache is already empty. Clear it anyway?"
                            } else {
                                "Forget every cached answer? Questions like them are sent to the AI again."
                            }
                        }}
                    </p>
                    <button
                        id="cache-confirm-clear"
                        class="danger"
                        disabled=move || clearing.get()
                        on:click=move |_| {
                            confirming.set(false);
                            screen.cache_stats(true);
                        }
                    >
                        "Clear cache"
                    </button>
                    <button class="secondary" on:click=move |_| confirming.set(false)>
                        "Keep them"
                    </button>
                </div>
            </Show>
        </div>
    }
}

#[wasm_bindgen]
extern "C" {
    /// `navigator.clipboard.writeText`. Rejects (or throws, caught as a rejection) where the
    /// webview does not allow it: WebKitGTK may refuse it outright, or once the click is a
    /// moment old.
    #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText, catch)]
    async fn write_to_clipboard(text: &str) -> Result<JsValue, JsValue>;
}

/// How long the clipboard may take before the person is told to copy the text by hand.
const CLIPBOARD_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// What "Copy diagnostics" came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Copied {
    /// On the clipboard.
    Yes,
    /// Shown below, selected, for the person to copy.
    ByHand,
    /// The engine could not gather it; why.
    Failed(String),
}

/// "Copy diagnostics": the engine's diagnostics text (version, platform, the end of the newest
/// log file, anything key-like masked), shown read-only and put on the clipboard when the webview
/// allows it; otherwise selected in its box for the person to copy. Never an error dialog.
#[component]
fn Diagnostics() -> impl IntoView {
    let running = RwSignal::new(false);
    let text = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<Copied>);
    let text_box = NodeRef::<leptos::html::Textarea>::new();
    // Which click the shown outcome is for: a late clipboard reply of an earlier one is ignored.
    let clicks = StoredValue::new(0_u64);
    // Says to copy the text by hand (selected, so Ctrl+C is all it takes), unless `click` was
    // superseded or already settled.
    let by_hand = move |click: u64| {
        if clicks.get_value() != click || copied.with_untracked(Option::is_some) {
            return;
        }
        copied.set(Some(Copied::ByHand));
        // Once the box shows the text.
        request_animation_frame(move || {
            if let Some(area) = text_box.get_untracked() {
                let _ = area.focus();
                area.select();
            }
        });
    };
    let copy = move |_| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        copied.set(None);
        let click = clicks.get_value() + 1;
        clicks.set_value(click);
        spawn_local(async move {
            let reply = ipc::diagnostics().await;
            running.set(false);
            match reply {
                Ok(diagnostics) => {
                    text.set(Some(diagnostics.clone()));
                    // A clipboard that never answers is as good as one that refuses.
                    set_timeout(move || by_hand(click), CLIPBOARD_PATIENCE);
                    if write_to_clipboard(&diagnostics).await.is_ok() {
                        if clicks.get_value() == click {
                            copied.set(Some(Copied::Yes));
                        }
                    } else {
                        by_hand(click);
                    }
                }
                Err(e) => copied.set(Some(Copied::Failed(format!(
                    "Diagnostics could not be gathered: {}",
                    e.message
                )))),
            }
        });
    };
    let status = move || {
        copied.get().map(|outcome| {
            let (class, said) = match outcome {
                Copied::Yes => (
                    "diagnostics-status copied",
                    "Copied to the clipboard".to_string(),
                ),
                Copied::ByHand => (
                    "diagnostics-status",
                    "Select the text below and copy it".to_string(),
                ),
                Copied::Failed(why) => ("diagnostics-status failed", why),
            };
            view! {
                <p id="diagnostics-status" class=class role="status">
                    {said}
                </p>
            }
        })
    };
    view! {
        <div class="diagnostics-box">
            <div class="diagnostics-head">
                <p class="diagnostics-about">
                    "The version, the platform and the end of the newest log file, with keys and passwords masked: paste it into a bug report."
                </p>
                <button id="copy-diagnostics" class="secondary" disabled=move || running.get() on:click=copy>
                    {move || if running.get() { "Gathering…" } else { "Copy diagnostics" }}
                </button>
            </div>
            {status}
            <textarea
                id="diagnostics-text"
                class="diagnostics-text"
                node_ref=text_box
                readonly
                rows="8"
                wrap="off"
                spellcheck="false"
                aria-label="Diagnostics"
                hidden=move || text.with(Option::is_none)
                prop:value=move || text.get().unwrap_or_default()
            ></textarea>
        </div>
    }
}

/// One setting: its label and help, the control for its kind, and "Saved" or why it was refused.
#[component]
fn SettingRow(field: SettingField, screen: SettingsScreen) -> impl IntoView {
    let SettingField {
        key,
        label,
        help,
        kind,
        options,
        min,
        max,
        default,
        ..
    } = field;
    let id = format!("setting-{key}");
    let help_id = format!("help-{key}");
    let current = {
        let key = key.clone();
        Memo::new(move |_| screen.value(&key))
    };
    let save = {
        let key = key.clone();
        Callback::new(move |value: String| screen.save(key.clone(), value))
    };
    let is_refused = {
        let key = key.clone();
        Memo::new(move |_| screen.refused.with(|r| r.contains_key(&key)))
    };
    // Typed values are saved when the field is left (or on Enter), once per edit.
    let dirty = StoredValue::new(false);
    let edited = {
        let key = key.clone();
        Callback::new(move |()| {
            dirty.set_value(true);
            screen.edited(&key);
        })
    };
    let leave = move |value: String| {
        if dirty.get_value() {
            dirty.set_value(false);
            save.run(value);
        }
    };

    let control = match kind {
        FieldKind::Choice => {
            let options = options
                .into_iter()
                .map(|option| {
                    let selected = {
                        let option = option.clone();
                        move || current.with(|c| *c == option)
                    };
                    view! { <option value=option.clone() prop:selected=selected>{option_label(&option).to_string()}</option> }
                })
                .collect_view();
            view! {
                <select id=id.clone() class="select-input" aria-describedby=help_id.clone() on:change=move |ev| save.run(event_target_value(&ev))>
                    {options}
                </select>
            }
            .into_any()
        }
        FieldKind::Switch => view! {
            <input
                id=id.clone()
                type="checkbox"
                class="switch"
                aria-describedby=help_id.clone()
                prop:checked=move || current.with(|c| c == "true")
                on:change=move |ev| save.run(if event_target_checked(&ev) { "true" } else { "false" }.to_string())
            />
        }
        .into_any(),
        FieldKind::Number | FieldKind::Text => {
            let number = kind == FieldKind::Number;
            view! {
                <input
                    id=id.clone()
                    type=if number { "number" } else { "text" }
                    class="text-input"
                    min=min.map(|m| m.to_string())
                    max=max.map(|m| m.to_string())
                    step=number.then_some("any")
                    inputmode=number.then_some("decimal")
                    placeholder=default.is_empty().then_some("Default")
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=help_id.clone()
                    aria-invalid=move || is_refused.get().then_some("true")
                    prop:value=move || current.get()
                    on:input=move |_| edited.run(())
                    on:change=move |ev| leave(event_target_value(&ev))
                    on:blur=move |ev| leave(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            leave(event_target_value(&ev));
                        }
                    }
                />
            }
            .into_any()
        }
    };

    let status = {
        let key = key.clone();
        move || {
            if let Some(message) = screen.refused.with(|r| r.get(&key).cloned()) {
                view! { <span id=format!("error-{key}") class="field-error" role="alert">{message}</span> }.into_any()
            } else if screen.saved.with(|s| s.contains(&key)) {
                view! { <span id=format!("saved-{key}") class="field-saved">"Saved"</span> }
                    .into_any()
            } else {
                ().into_any()
            }
        }
    };
    view! {
        <div class="setting" data-key=key.clone() data-kind=kind.as_str()>
            <div class="setting-text">
                <label for=id>{label}</label>
                <p class="help" id=help_id>{help}</p>
            </div>
            <div class="setting-control">
                {control}
                <div class="setting-status" aria-live="polite">{status}</div>
            </div>
        </div>
    }
}

/// What a key row is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyAction {
    Save,
    Delete,
    Test,
}

/// One key: where it is (masked), a box to paste a new one, Save, Test and Delete (confirmed
/// inline). The pasted key is sent once and cleared; it is never shown or logged.
#[component]
fn KeyRow(status: KeyStatus, screen: SettingsScreen) -> impl IntoView {
    let KeyStatus {
        name,
        label,
        testable,
        ..
    } = status;
    let session = screen.session;
    let name = StoredValue::new(name);
    let current = Memo::new(move |_| {
        name.with_value(|name| {
            session.settings.with(|v| {
                v.as_ref()
                    .and_then(|v| v.keys.iter().find(|k| k.name == *name).cloned())
            })
        })
    });
    let typed = RwSignal::new(String::new());
    let running = RwSignal::new(None::<KeyAction>);
    let confirming = RwSignal::new(false);
    // The last action's outcome: a sentence, or why it failed.
    let result = RwSignal::new(None::<Result<String, String>>);
    let busy = move || running.get().is_some();
    let id = move |prefix: &str| name.with_value(|n| format!("{prefix}{n}"));

    let run = move |action: KeyAction| {
        if running.get_untracked().is_some() {
            return;
        }
        let value = if action == KeyAction::Save {
            typed.get_untracked()
        } else {
            String::new()
        };
        if action == KeyAction::Save && value.trim().is_empty() {
            result.set(Some(Err("Paste the key into the box first.".into())));
            return;
        }
        running.set(Some(action));
        confirming.set(false);
        result.set(None);
        let name = name.get_value();
        spawn_local(async move {
            let outcome = match action {
                KeyAction::Save => ipc::set_key(&name, &value).await.map(|view| {
                    typed.set(String::new());
                    screen.show(view);
                    if testable {
                        "Saved. Press Test to check that it works."
                    } else {
                        "Saved."
                    }
                    .to_string()
                }),
                KeyAction::Delete => ipc::delete_key(&name).await.map(|view| {
                    screen.show(view);
                    "Deleted from your system keychain.".to_string()
                }),
                KeyAction::Test => ipc::test_key(&name).await,
            };
            result.set(Some(outcome.map_err(|e| e.message)));
            running.set(None);
        });
    };

    let state = move || current.with(|k| k.as_ref().map(key_state).unwrap_or_default());
    let is_set = move || current.with(|k| k.as_ref().is_some_and(|k| k.state != KeyState::NotSet));
    let from_env =
        move || current.with(|k| k.as_ref().is_some_and(|k| k.state == KeyState::Environment));
    let problem = move || {
        current
            .with(|k| k.as_ref().and_then(|k| k.problem.clone()))
            .map(|p| view! { <p class="message warning key-problem">{p}</p> })
    };
    let confirm_text = {
        let label = label.clone();
        move || {
            let env = current
                .with(|k| k.as_ref().and_then(|k| k.env_var.clone()))
                .filter(|_| from_env());
            match env {
                Some(var) => format!("Delete the {label} saved in your system keychain? {var} still applies while it is set."),
                None => format!("Delete the {label} from your system keychain?"),
            }
        }
    };
    let result_view = move || {
        result.get().map(|outcome| {
            let (ok, text) = match outcome {
                Ok(text) => (true, text),
                Err(text) => (false, text),
            };
            view! {
                <p id=id("key-result-") class="key-result" class:ok=ok class:failed=!ok role="status">
                    {text}
                </p>
            }
        })
    };
    let test_button = testable.then(|| {
        view! {
            <button id=id("test-key-") class="secondary" disabled=busy on:click=move |_| run(KeyAction::Test)>
                {move || if running.get() == Some(KeyAction::Test) { "Testing…" } else { "Test" }}
            </button>
        }
    });

    view! {
        <li class="key-row" data-key=name.get_value()>
            <div class="key-head">
                <label for=id("key-")>{label}</label>
                <span id=id("key-state-") class="key-state" class:set=is_set>{state}</span>
            </div>
            <div class="key-actions">
                <input
                    id=id("key-")
                    type="password"
                    class="text-input"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder=move || if is_set() { "Paste a new key to replace it" } else { "Paste your key" }
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            run(KeyAction::Save);
                        }
                    }
                />
                <button id=id("save-key-") class="secondary" disabled=busy on:click=move |_| run(KeyAction::Save)>
                    {move || if running.get() == Some(KeyAction::Save) { "Saving…" } else { "Save" }}
                </button>
                {test_button}
                <Show when=is_set>
                    <button
                        id=id("delete-key-")
                        class="quiet"
                        disabled=move || busy() || confirming.get()
                        on:click=move |_| confirming.set(true)
                    >
                        "Delete"
                    </button>
                </Show>
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label="Confirm deletion">
                    <p>{confirm_text.clone()}</p>
                    <button id=id("confirm-delete-key-") class="danger" disabled=busy on:click=move |_| run(KeyAction::Delete)>
                        "Delete"
                    </button>
                    <button class="quiet" on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </div>
            </Show>
            {problem}
            {result_view}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_reads_in_one_line() {
        let stats = CacheStatsView {
            entries: 1,
            lookups: 4,
            exact_hits: 1,
            semantic_hits: 0,
            saved_usd: 0.00249,
            avg_lookup_ms: 0.42,
        };
        assert_eq!(
            cache_summary(&stats),
            "1 answer cached · 25% exact hits · 0% similar-question hits · saved $0.0025 · lookups take 0.4 ms on average"
        );
        let empty = CacheStatsView {
            entries: 0,
            lookups: 0,
            exact_hits: 0,
            semantic_hits: 0,
            saved_usd: 0.0,
            avg_lookup_ms: 0.0,
        };
        assert_eq!(
            cache_summary(&empty),
            "0 answers cached · 0% exact hits · 0% similar-question hits · saved $0.00 · lookups take 0.0 ms on average"
        );
        let busy = CacheStatsView {
            entries: 1234,
            lookups: 3,
            exact_hits: 1,
            semantic_hits: 1,
            saved_usd: 7.5,
            avg_lookup_ms: 12.6,
        };
        assert_eq!(
            cache_summary(&busy),
            "1,234 answers cached · 33% exact hits · 33% similar-question hits · saved $7.50 · lookups take 13 ms on average"
        );
    }
}
