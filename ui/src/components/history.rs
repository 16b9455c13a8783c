//! The sidebar: past questions, newest first; clicking one asks it again.

use leptos::prelude::*;
use plainsight_ipc::HistoryItem;

#[component]
pub fn History(
    #[prop(into)] items: Signal<Vec<HistoryItem>>,
    #[prop(into)] on_pick: Callback<String>,
) -> impl IntoView {
    view! {
        <nav id="history" aria-label="History">
            <h2>"History"</h2>
            <Show
                when=move || !items.read().is_empty()
                fallback=|| view! { <p class="muted">"Questions you ask appear here."</p> }
            >
                <ul>
                    <For each=move || items.get() key=|item| item.id let(item)>
                        <li>
                            <button
                                class="history-item"
                                title=format!("Ask again: {}", item.question)
                                on:click={
                                    let question = item.question.clone();
                                    move |_| on_pick.run(question.clone())
                                }
                            >
                                <span class="history-question">{item.question.clone()}</span>
                                <span class="history-when">{item.asked_at.clone()}</span>
                            </button>
                        </li>
                    </For>
                </ul>
            </Show>
        </nav>
    }
}
