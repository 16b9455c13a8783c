//! A screen's dismissable error and note, kept in view while the page scrolls. The elements'
//! ids are `<prefix>-error` and `<prefix>-note` (e.g. `data-error`).

use leptos::prelude::*;

#[component]
pub fn Messages(
    prefix: &'static str,
    error: RwSignal<Option<String>>,
    note: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="messages" aria-live="polite">
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <div id=format!("{prefix}-error") class="error" role="alert">
                                <span>{e}</span>
                                <button class="dismiss" aria-label="Dismiss" on:click=move |_| error.set(None)>"×"</button>
                            </div>
                        }
                    })
            }}
            {move || {
                note.get()
                    .map(|n| {
                        view! {
                            <div id=format!("{prefix}-note") class="note" role="status">
                                <span>{n}</span>
                                <button class="dismiss" aria-label="Dismiss" on:click=move |_| note.set(None)>"×"</button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
