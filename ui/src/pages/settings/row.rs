//! One setting's row: label, help, the control for its kind, and "Saved" or why it was refused.

use leptos::prelude::*;
use plainsight_ipc::{FieldKind, SettingField};

use super::SettingsScreen;

/// One setting: its label and help, the control for its kind, and "Saved" or why it was refused.
#[component]
pub(super) fn SettingRow(field: SettingField, screen: SettingsScreen) -> impl IntoView {
    let SettingField {
        key,
        label,
        help,
        kind,
        options,
        min,
        max,
        default,
        ..
    } = field;
    let id = format!("setting-{key}");
    let help_id = format!("help-{key}");
    let current = {
        let key = key.clone();
        Memo::new(move |_| screen.value(&key))
    };
    let save = {
        let key = key.clone();
        Callback::new(move |value: String| screen.save(key.clone(), value))
    };
    let is_refused = {
        let key = key.clone();
        Memo::new(move |_| screen.refused.with(|r| r.contains_key(&key)))
    };
    // Typed values are saved when the field is left (or on Enter), once per edit.
    let dirty = StoredValue::new(false);
    let edited = {
        let key = key.clone();
        Callback::new(move |()| {
            dirty.set_value(true);
            screen.edited(&key);
        })
    };
    let leave = move |value: String| {
        if dirty.get_value() {
            dirty.set_value(false);
            save.run(value);
        }
    };

    let control = match kind {
        FieldKind::Choice => {
            let options = options
                .into_iter()
                .map(|option| {
                    let selected = {
                        let value = option.value.clone();
                        move || current.with(|c| *c == value)
                    };
                    view! { <option value=option.value prop:selected=selected>{option.label}</option> }
                })
                .collect_view();
            view! {
                <select id=id.clone() class="select-input" aria-describedby=help_id.clone() on:change=move |ev| save.run(event_target_value(&ev))>
                    {options}
                </select>
            }
            .into_any()
        }
        FieldKind::Switch => view! {
            <input
                id=id.clone()
                type="checkbox"
                class="switch"
                aria-describedby=help_id.clone()
                prop:checked=move || current.with(|c| c == "true")
                on:change=move |ev| save.run(if event_target_checked(&ev) { "true" } else { "false" }.to_string())
            />
        }
        .into_any(),
        FieldKind::Number | FieldKind::Text => {
            let number = kind == FieldKind::Number;
            view! {
                <input
                    id=id.clone()
                    type=if number { "number" } else { "text" }
                    class="text-input"
                    min=min.map(|m| m.to_string())
                    max=max.map(|m| m.to_string())
                    step=number.then_some("any")
                    inputmode=number.then_some("decimal")
                    placeholder=default.is_empty().then_some("Default")
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=help_id.clone()
                    aria-invalid=move || is_refused.get().then_some("true")
                    prop:value=move || current.get()
                    on:input=move |_| edited.run(())
                    on:change=move |ev| leave(event_target_value(&ev))
                    on:blur=move |ev| leave(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            leave(event_target_value(&ev));
                        }
                    }
                />
            }
            .into_any()
        }
    };

    let status = {
        let key = key.clone();
        move || {
            if let Some(message) = screen.refused.with(|r| r.get(&key).cloned()) {
                view! { <span id=format!("error-{key}") class="field-error" role="alert">{message}</span> }.into_any()
            } else if screen.saved.with(|s| s.contains(&key)) {
                view! { <span id=format!("saved-{key}") class="field-saved">"Saved"</span> }
                    .into_any()
            } else {
                ().into_any()
            }
        }
    };
    view! {
        <div class="setting" data-key=key.clone() data-kind=kind.as_str()>
            <div class="setting-text">
                <label for=id>{label}</label>
                <p class="help" id=help_id>{help}</p>
            </div>
            <div class="setting-control">
                {control}
                <div class="setting-status" aria-live="polite">{status}</div>
            </div>
        </div>
    }
}
