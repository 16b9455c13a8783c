//! The sidebar: saved questions above the history, newest first, with a search box. Clicking a
//! question asks it again on today's data; each entry says which data it was asked of, how it
//! was answered and what it cost, and can be saved under a name or deleted.

use leptos::prelude::*;
use plainsight_ipc::{HistoryItem, Route};

use crate::format;
use crate::pages::home::{Conversation, HistoryChange};

/// "sample.sqlite · answered · free", for under a question.
fn details(item: &HistoryItem) -> String {
    let route = match item.route {
        Route::Answer => "answered",
        Route::Clarify => "asked to clarify",
        Route::Fallback => "not answered",
        Route::Refused => "refused",
        Route::Blocked => "held back",
    };
    let cost = if item.cost_usd > 0.0 {
        format::usd(item.cost_usd)
    } else {
        "free".to_string()
    };
    let source = if item.source.is_empty() {
        String::new()
    } else {
        format!("{} · ", item.source)
    };
    format!("{source}{route} · {cost}")
}

/// One question. `list` (`saved` or `recent`) prefixes its element ids, since a saved question
/// is in both lists.
#[component]
fn Entry(
    item: HistoryItem,
    list: &'static str,
    conversation: Conversation,
    on_pick: Callback<String>,
) -> impl IntoView {
    let id = item.id;
    let naming = RwSignal::new(false);
    let name = RwSignal::new(item.question.clone());
    let saved = item.saved_name.clone();
    let label = saved.clone().unwrap_or_else(|| item.question.clone());
    let question = item.question.clone();
    let save = move || {
        naming.set(false);
        conversation.change_history(id, HistoryChange::Save(name.get_untracked()));
    };
    let title = format!("Ask again on today's data: {}", item.question);
    let line = details(&item);
    let star = if saved.is_some() {
        view! {
            <button id=format!("{list}-unsave-{id}") class="history-action" title="Remove from saved"
                aria-label="Remove from saved"
                on:click=move |_| conversation.change_history(id, HistoryChange::Unsave)>"★"</button>
        }
        .into_any()
    } else {
        view! {
            <button id=format!("{list}-save-{id}") class="history-action" title="Save this question"
                aria-label="Save this question" on:click=move |_| naming.set(true)>"☆"</button>
        }
        .into_any()
    };
    view! {
        <li class="history-entry" data-id=id>
            <button class="history-item" id=format!("{list}-history-{id}") title=title
                on:click=move |_| on_pick.run(question.clone())>
                <span class="history-question">{label}</span>
                <span class="history-when">{item.asked_at.clone()}</span>
                <span class="history-details">{line}</span>
            </button>
            <div class="history-actions">
                {star}
                <button id=format!("{list}-delete-{id}") class="history-action" title="Delete from history"
                    aria-label="Delete from history"
                    on:click=move |_| conversation.change_history(id, HistoryChange::Delete)>"×"</button>
            </div>
            <Show when=move || naming.get()>
                <form class="history-name" on:submit=move |ev| { ev.prevent_default(); save(); }>
                    <label class="visually-hidden" for=format!("{list}-save-name-{id}")>"Name"</label>
                    <input id=format!("{list}-save-name-{id}") type="text" maxlength="120"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Escape" { naming.set(false); }/>
                    <button type="submit" id=format!("{list}-save-confirm-{id}") class="secondary">"Save"</button>
                </form>
            </Show>
        </li>
    }
}

#[component]
pub fn History(
    conversation: Conversation,
    #[prop(into)] on_pick: Callback<String>,
) -> impl IntoView {
    let view_of = conversation.history;
    let query = conversation.history_query;
    let search = move |ev| {
        query.set(event_target_value(&ev));
        conversation.refresh_history();
    };
    let list = move |list: &'static str, items: Vec<HistoryItem>| {
        items
            .into_iter()
            .map(|item| view! { <Entry item list conversation on_pick/> })
            .collect_view()
    };
    view! {
        <nav id="history" aria-label="History">
            <input id="history-search" class="history-search" type="search"
                placeholder="Search your questions" aria-label="Search your questions"
                prop:value=move || query.get() on:input=search/>
            <Show when=move || !view_of.read().saved.is_empty()>
                <h2>"Saved"</h2>
                <ul id="saved">{move || list("saved", view_of.get().saved)}</ul>
            </Show>
            <h2>"History"</h2>
            <Show
                when=move || !view_of.read().recent.is_empty()
                fallback=move || {
                    view! {
                        <p class="muted" id="history-empty">
                            {move || if query.read().trim().is_empty() {
                                "Questions you ask appear here.".to_string()
                            } else {
                                "No question matches your search.".to_string()
                            }}
                        </p>
                    }
                }
            >
                <ul id="history-list">{move || list("recent", view_of.get().recent)}</ul>
            </Show>
        </nav>
    }
}
