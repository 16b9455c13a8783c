//! The diagnostics section's "Copy diagnostics".

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;

use crate::ipc;

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
pub(super) fn Diagnostics() -> impl IntoView {
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
