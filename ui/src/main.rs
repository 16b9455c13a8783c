//! Plainsight's webview frontend: a Leptos CSR app compiled to wasm32.
//!
//! It only presents: every answer, chart and error comes from the Rust side through the typed
//! [`ipc`] module, the one place that calls Tauri's `invoke`.

mod components;
mod format;
mod ipc;
mod pages;

use leptos::prelude::*;

#[component]
fn App() -> impl IntoView {
    view! { <pages::home::Home/> }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
