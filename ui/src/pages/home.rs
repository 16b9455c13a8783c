//! The one screen: history on the left; the ask box, the answer and its chart on the right.

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{AnswerView, ExportFormat, HistoryItem, IpcError};

use crate::components::answer::Answer;
use crate::components::history::History;
use crate::ipc;

/// Shown on the empty screen; each is a question the offline planner answers.
const SUGGESTIONS: [&str; 4] = [
    "show me last month's sales by region",
    "top 5 products by revenue",
    "monthly revenue for the last 12 months",
    "how many orders did we get this year?",
];

#[component]
pub fn Home() -> impl IntoView {
    let question = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let answer = RwSignal::new(None::<AnswerView>);
    let error = RwSignal::new(None::<IpcError>);
    let note = RwSignal::new(None::<String>);
    let history = RwSignal::new(Vec::<HistoryItem>::new());

    let refresh_history = move || {
        spawn_local(async move {
            match ipc::history().await {
                Ok(items) => history.set(items),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    refresh_history();

    let ask = Callback::new(move |text: String| {
        let text = text.trim().to_string();
        if busy.get_untracked() {
            return;
        }
        question.set(text.clone());
        busy.set(true);
        error.set(None);
        note.set(None);
        spawn_local(async move {
            match ipc::ask(&text).await {
                Ok(a) => answer.set(Some(a)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
            refresh_history();
        });
    });

    let export = Callback::new(move |format: ExportFormat| {
        note.set(None);
        error.set(None);
        spawn_local(async move {
            match ipc::export_chart(format).await {
                Ok(Some(path)) => note.set(Some(format!("Chart saved to {path}"))),
                Ok(None) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    });

    view! {
        <div class="layout">
            <aside class="sidebar">
                <div class="brand">
                    <img src="icon.png" alt="" width="28" height="28"/>
                    <span>"Plainsight"</span>
                </div>
                <History items=history on_pick=ask/>
            </aside>
            <main class="main">
                <div class="ask-bar">
                    <input
                        id="question"
                        type="text"
                        placeholder="Ask about your sales, for example “top 5 products by revenue”"
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
                <Show when=move || busy.get()>
                    <div id="busy" class="busy" role="status">
                        <span class="spinner"></span>
                        "Working on it…"
                    </div>
                </Show>
                {move || error.get().map(|e| view! { <div id="error" class="error" role="alert">{e.message}</div> })}
                {move || note.get().map(|n| view! { <div id="note" class="note" role="status">{n}</div> })}
                <section id="answer" aria-live="polite" class:dimmed=move || busy.get()>
                    {move || match answer.get() {
                        Some(a) => view! { <Answer answer=a on_ask=ask on_export=export/> }.into_any(),
                        None => view! { <Welcome on_ask=ask/> }.into_any(),
                    }}
                </section>
            </main>
        </div>
    }
}

/// The empty state: what Plainsight does, and questions to start with.
#[component]
fn Welcome(#[prop(into)] on_ask: Callback<String>) -> impl IntoView {
    let chips = SUGGESTIONS
        .iter()
        .map(|s| view! { <button class="chip" on:click=move |_| on_ask.run((*s).to_string())>{*s}</button> })
        .collect_view();
    view! {
        <div class="welcome">
            <h1>"Ask your data a question"</h1>
            <p class="muted">
                "Plainsight answers in plain English with a table, a chart and the SQL it ran. It works offline on the sample shop database."
            </p>
            <div class="chips">{chips}</div>
        </div>
    }
}
