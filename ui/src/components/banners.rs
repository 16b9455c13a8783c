//! The banners across the top of every screen: a budget past its warning share (yellow) or spent
//! (red), and an AI provider paused after failures. The engine words them; each leads to the
//! Spending page.

use leptos::prelude::*;

use crate::session::{Screen, Session};

#[component]
pub fn Banners() -> impl IntoView {
    let session = expect_context::<Session>();
    let on_spending = move || session.screen.get() == Screen::Spending;
    view! {
        <div id="banners" class="banners" aria-live="polite">
            <For
                each=move || session.banners.get()
                key=|banner| (banner.level, banner.text.clone())
                let(banner)
            >
                <div class=format!("banner banner-{}", banner.level) role="status">
                    <span>{banner.text}</span>
                    <button class="link" hidden=on_spending on:click=move |_| session.screen.set(Screen::Spending)>
                        "See spending"
                    </button>
                </div>
            </For>
        </div>
    }
}
