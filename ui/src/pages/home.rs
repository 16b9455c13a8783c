//! The Ask screen: where questions go, the ask box, the answer and its chart. (The history of
//! questions is in the sidebar, which the app draws for both screens.)

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{AnswerView, ExportFormat, HistoryView, IpcError, SourceKind, SourceView};
use wasm_bindgen::JsCast;

use crate::components::answer::Answer;
use crate::ipc;
use crate::session::{Screen, Session};

/// Shown on the empty screen; each is a question the offline planner answers on the sample data.
const SUGGESTIONS: [&str; 3] = [
    "show me last month's sales by region",
    "top 5 products by revenue",
    "monthly revenue for the last 12 months",
];

/// What the sidebar does to one history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryChange {
    Delete,
    Save(String),
    Unsave,
}

/// The Ask screen's state. The app creates it once, so the sidebar's history can ask too.
#[derive(Debug, Clone, Copy)]
pub struct Conversation {
    question: RwSignal<String>,
    busy: RwSignal<bool>,
    answer: RwSignal<Option<AnswerView>>,
    error: RwSignal<Option<IpcError>>,
    note: RwSignal<Option<String>>,
    pub history: RwSignal<HistoryView>,
    /// What the sidebar's search box holds.
    pub history_query: RwSignal<String>,
    session: Session,
}

impl Conversation {
    pub fn new(session: Session) -> Self {
        let conversation = Self {
            question: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
            answer: RwSignal::new(None),
            error: RwSignal::new(None),
            note: RwSignal::new(None),
            history: RwSignal::new(HistoryView::default()),
            history_query: RwSignal::new(String::new()),
            session,
        };
        conversation.refresh_history();
        conversation
    }

    /// Reloads the sidebar for what its search box holds (only the latest reply is shown).
    pub fn refresh_history(self) {
        let query = self.history_query.get_untracked();
        spawn_local(async move {
            let reply = ipc::history(&query).await;
            if self.history_query.get_untracked() != query {
                return;
            }
            match reply {
                Ok(view) => self.history.set(view),
                Err(e) => self.error.set(Some(e)),
            }
        });
    }

    /// Deletes a history entry, saves it under `name` (`Some`) or takes it out of the saved ones
    /// (`None` with `saved` false), then reloads the sidebar.
    pub fn change_history(self, id: i64, change: HistoryChange) {
        spawn_local(async move {
            let done = match &change {
                HistoryChange::Delete => ipc::delete_history(id).await,
                HistoryChange::Save(name) => ipc::save_history(id, name).await,
                HistoryChange::Unsave => ipc::unsave_history(id).await,
            };
            if let Err(e) = done {
                self.error.set(Some(e));
            }
            self.refresh_history();
        });
    }

    /// Asks `text` (ignored while another question is being answered).
    pub fn ask(self, text: &str) {
        self.ask_approved(text, None);
    }

    /// Asks `text` again with the person's OK to spend up to `approved_usd` on the AI for it.
    fn ask_approved(self, text: &str, approved_usd: Option<f64>) {
        let text = text.trim().to_string();
        if self.busy.get_untracked() {
            return;
        }
        self.question.set(text.clone());
        self.busy.set(true);
        self.error.set(None);
        self.note.set(None);
        spawn_local(async move {
            match ipc::ask(&text, approved_usd).await {
                Ok(a) => {
                    self.answer.set(Some(a));
                    // A new answer is read from its top, just under the ask box.
                    if let Some(main) = document()
                        .get_element_by_id("answer")
                        .and_then(|e| e.closest(".main").ok().flatten())
                    {
                        main.set_scroll_top(0);
                    }
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.busy.set(false);
            self.refresh_history();
            // The answer may have spent, or found a provider down.
            self.session.refresh_banners();
        });
    }

    /// Saves `term` = `meaning` in the glossary (a corrected chip under the answer), then asks the
    /// shown answer's question again, which now reads the word that way.
    fn teach(self, term: String, meaning: String) {
        let Some(question) = self.answer.get_untracked().map(|a| a.question) else {
            return;
        };
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        self.note.set(None);
        spawn_local(async move {
            let saved = ipc::set_glossary_entry(&term, &meaning).await;
            self.busy.set(false);
            match saved {
                Ok(()) => self.ask(&question),
                Err(e) => self.error.set(Some(e)),
            }
        });
    }

    fn export(self, format: ExportFormat) {
        self.note.set(None);
        self.error.set(None);
        spawn_local(async move {
            match ipc::export_answer(format).await {
                Ok(Some(path)) => self.note.set(Some(format!("Saved to {path}"))),
                Ok(None) => {}
                Err(e) => self.error.set(Some(e)),
            }
        });
    }
}

#[component]
pub fn Home(conversation: Conversation) -> impl IntoView {
    let session = expect_context::<Session>();
    let Conversation {
        question,
        busy,
        answer,
        error,
        note,
        ..
    } = conversation;
    let ask = Callback::new(move |text: String| conversation.ask(&text));
    let approve = Callback::new(move |(text, usd): (String, f64)| {
        conversation.ask_approved(&text, Some(usd));
    });
    let export = Callback::new(move |format: ExportFormat| conversation.export(format));
    let teach =
        Callback::new(move |(term, meaning): (String, String)| conversation.teach(term, meaning));
    let source = Signal::derive(move || session.active_source());
    // A question about the data being asked, as the ask box's example.
    let placeholder = move || match source.get() {
        Some(s) if s.kind != SourceKind::Sample && !s.tables.is_empty() => {
            let names: Vec<String> = s
                .tables
                .iter()
                .take(3)
                .map(|t| t.name.replace('_', " "))
                .collect();
            format!(
                "Ask about your {}, for example “how many {} are there?”",
                names.join(", "),
                names[0]
            )
        }
        _ => "Ask about your sales, for example “top 5 products by revenue”".to_string(),
    };
    // Ctrl+K (⌘K) puts the cursor in the ask box from anywhere; Esc stops a question being
    // answered.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let k = ev.key();
        if (ev.ctrl_key() || ev.meta_key()) && k.eq_ignore_ascii_case("k") {
            ev.prevent_default();
            session.screen.set(Screen::Ask);
            if let Some(input) = document()
                .get_element_by_id("question")
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let _ = input.focus();
                input.select();
            }
        } else if k == "Escape" && busy.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = ipc::stop_ask().await;
            });
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <div class="ask-bar">
            <input
                id="question"
                type="text"
                placeholder=placeholder
                aria-keyshortcuts="Control+K"
                autocomplete="off"
                aria-label="Your question"
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" {
                        ask.run(question.get_untracked());
                    }
                }
            />
            <button id="ask" class="primary" disabled=move || busy.get() on:click=move |_| ask.run(question.get_untracked())>
                "Ask"
            </button>
        </div>
        {move || {
            source
                .get()
                .map(|s| {
                    view! {
                        <p id="asking" class="asking">
                            "Asking: "
                            <strong>{s.name}</strong>
                            <button class="link" on:click=move |_| session.screen.set(Screen::Data)>
                                "Change"
                            </button>
                        </p>
                    }
                })
        }}
        {move || session.notice().map(|n| view! { <p class="message warning">{n}</p> })}
        <Show when=move || busy.get()>
            <div id="busy" class="busy" role="status">
                <span class="spinner"></span>
                "Working on it…"
                <button
                    id="stop"
                    class="link"
                    on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            let _ = ipc::stop_ask().await;
                        });
                    }
                >
                    "Stop"
                </button>
            </div>
        </Show>
        {move || error.get().map(|e| view! { <div id="error" class="error" role="alert">{e.message}</div> })}
        {move || note.get().map(|n| view! { <div id="note" class="note" role="status">{n}</div> })}
        <section id="answer" aria-live="polite" class:dimmed=move || busy.get()>
            {move || match answer.get() {
                Some(a) => view! { <Answer answer=a on_ask=ask on_approve=approve on_export=export on_teach=teach/> }.into_any(),
                None => view! { <Welcome source on_ask=ask/> }.into_any(),
            }}
        </section>
    }
}

/// The empty state: what Plainsight does, questions to start with (for the sample data) or the
/// tables there are to ask about (for the person's own), and the two things to set up next: an AI
/// key (Settings) and one's own data (Data).
#[component]
fn Welcome(
    #[prop(into)] source: Signal<Option<SourceView>>,
    #[prop(into)] on_ask: Callback<String>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let own = move || source.get().filter(|s| s.kind != SourceKind::Sample);
    let about = move || match own() {
        None => {
            let chips = SUGGESTIONS
                .iter()
                .map(|s| view! { <button class="chip" on:click=move |_| on_ask.run((*s).to_string())>{*s}</button> })
                .collect_view();
            view! {
                <p class="muted">
                    "Plainsight answers in plain English with a table, a chart and the SQL it ran. It works offline, on this computer, with the bundled sample data (a small shop's orders), so you can try it right away:"
                </p>
                <div id="examples" class="chips" role="group" aria-label="Example questions">{chips}</div>
            }
            .into_any()
        }
        Some(own) => {
            let tables = own
                .tables
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let goes_to = if tables.is_empty() {
                format!("Questions go to {}.", own.name)
            } else {
                format!("Questions go to {}, which has: {tables}.", own.name)
            };
            view! { <p class="muted">"Plainsight answers in plain English with a table, a chart and the SQL it ran. " {goes_to}</p> }
                .into_any()
        }
    };
    // Until the settings arrive the AI counts as off: the link then leads to where a key is added.
    let ai_on = move || session.ai_on().unwrap_or(false);
    view! {
        <div id="welcome" class="welcome">
            <h1>"Ask your data a question"</h1>
            {about}
            <div class="welcome-links">
                <button id="welcome-settings" class="welcome-link" on:click=move |_| session.screen.set(Screen::Settings)>
                    <strong>{move || if ai_on() { "AI settings" } else { "Add your AI key" }}</strong>
                    <span>
                        {move || {
                            if ai_on() {
                                "The AI is on for questions the offline planner is unsure of. Change the provider, key or budget."
                            } else {
                                "Optional: an AI answers the questions the offline planner cannot. Settings → Privacy says what it is sent."
                            }
                        }}
                    </span>
                </button>
                <button id="welcome-data" class="welcome-link" on:click=move |_| session.screen.set(Screen::Data)>
                    <strong>{move || if own().is_some() { "Your data" } else { "Add your data" }}</strong>
                    <span>"A spreadsheet, a CSV file, a SQLite file, or a PostgreSQL, MariaDB or MySQL database. Plainsight only reads it."</span>
                </button>
            </div>
        </div>
    }
}
