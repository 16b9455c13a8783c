//! Plainsight's webview frontend: a Leptos CSR app compiled to wasm32.
//!
//! It only presents: every answer, chart, data source and error comes from the Rust side through
//! the typed [`ipc`] module, the one place that calls Tauri's `invoke`.

mod components;
mod format;
mod ipc;
mod pages;
mod session;

use leptos::prelude::*;

use crate::components::banners::Banners;
use crate::components::history::History;
use crate::pages::data::Data;
use crate::pages::home::{Conversation, Home};
use crate::pages::settings::Settings;
use crate::pages::spending::Spending;
use crate::session::{Screen, Session};

/// The sidebar (screens and past questions), the banners and the four screens. All stay mounted,
/// so going to another screen and back keeps the answer on screen, an import's progress and a
/// typed setting.
#[component]
fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    let conversation = Conversation::new(session);
    session.refresh_banners();
    let ask_again = Callback::new(move |question: String| {
        session.screen.set(Screen::Ask);
        conversation.ask(&question);
    });
    let showing = move |screen: Screen| move || session.screen.get() == screen;

    view! {
        <div class="layout">
            <aside class="sidebar">
                <div class="brand">
                    <img src="icon.png" alt="" width="28" height="28"/>
                    <span>"Plainsight"</span>
                </div>
                <nav class="screens" aria-label="Screens">
                    <ScreenLink id="nav-ask" screen=Screen::Ask label="Ask"/>
                    <ScreenLink id="nav-data" screen=Screen::Data label="Data"/>
                    <ScreenLink id="nav-settings" screen=Screen::Settings label="Settings"/>
                    <ScreenLink id="nav-spending" screen=Screen::Spending label="Spending"/>
                </nav>
                <History conversation on_pick=ask_again/>
            </aside>
            <div class="column">
                <Banners/>
                <main class="main ask-main" hidden=move || !showing(Screen::Ask)()>
                    <Home conversation/>
                </main>
                <main class="main" hidden=move || !showing(Screen::Data)()>
                    <Data/>
                </main>
                <main class="main" hidden=move || !showing(Screen::Settings)()>
                    <Settings/>
                </main>
                <main class="main" hidden=move || !showing(Screen::Spending)()>
                    <Spending/>
                </main>
            </div>
            <Show when=move || session.dragging.get()>
                <div class="drop-overlay" aria-hidden="true">
                    <p>"Drop the file to add it to Plainsight"</p>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn ScreenLink(id: &'static str, screen: Screen, label: &'static str) -> impl IntoView {
    let session = expect_context::<Session>();
    let current = move || session.screen.get() == screen;
    view! {
        <button
            id=id
            class="screen-link"
            class:current=current
            aria-current=move || current().then_some("page")
            on:click=move |_| session.screen.set(screen)
        >
            {label}
        </button>
    }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
    // Mounted: the Ask screen is drawn and takes questions.
    leptos::task::spawn_local(async {
        let _ = ipc::window_ready().await;
    });
}
