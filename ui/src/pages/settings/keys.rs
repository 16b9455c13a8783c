//! The API keys section: where each key is (masked), and Save, Test and Delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{KeyState, KeyStatus};

use super::SettingsScreen;
use crate::ipc;

/// The API keys, one row each.
#[component]
pub(super) fn KeysSection(keys: Vec<KeyStatus>, screen: SettingsScreen) -> impl IntoView {
    // A problem every key shares (no keychain running) is said once, above them.
    let mut problems = keys.iter().map(|k| k.problem.clone());
    let shared = match problems.next().flatten() {
        Some(first) if keys.len() > 1 && problems.all(|p| p.as_ref() == Some(&first)) => {
            Some(first)
        }
        _ => None,
    };
    let keys = keys
        .into_iter()
        .map(|status| {
            let shared = shared.clone();
            view! { <KeyRow status screen shared/> }
        })
        .collect_view();
    view! {
        <section id="settings-keys" class="card" aria-labelledby="settings-keys-title">
            <h2 id="settings-keys-title">"API keys"</h2>
            <p class="muted">
                "Keys are kept in your system keychain, never in a file, and are never shown again: only their last four characters."
            </p>
            {shared.map(|p| view! { <p id="keychain-problem" class="message warning">{p}</p> })}
            <ul class="keys">{keys}</ul>
        </section>
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
fn KeyRow(
    status: KeyStatus,
    screen: SettingsScreen,
    /// The problem already said above every key (not repeated here).
    shared: Option<String>,
) -> impl IntoView {
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
            .filter(|p| Some(p) != shared.as_ref())
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
