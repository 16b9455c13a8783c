//! One data source on the Data screen: what and where it is, its tables with their row counts
//! (click one to preview it), and "Use for questions" / "Remove" (confirmed inline).

use leptos::prelude::*;
use plainsight_ipc::{SourceKind, SourceView};

use crate::format;

/// A source's kind, as a person would say it.
pub fn kind_label(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Sample => "Built-in sample data",
        SourceKind::Workspace => "Files imported into Plainsight",
        SourceKind::Sqlite => "SQLite file, opened read-only",
        SourceKind::Postgres => "PostgreSQL database, read-only",
        SourceKind::Mysql => "MariaDB/MySQL database, read-only",
        SourceKind::InPlace => "Large file, answered in place (read-only, not copied)",
    }
}

/// What removing a source leaves alone.
pub fn kept_when_removed(kind: SourceKind) -> &'static str {
    if matches!(kind, SourceKind::Postgres | SourceKind::Mysql) {
        "Nothing in the database is changed."
    } else {
        "The file itself is not deleted."
    }
}

#[component]
pub fn SourceCard(
    source: SourceView,
    /// Another source operation is running.
    #[prop(into)]
    busy: Signal<bool>,
    /// The table shown in the preview, as `(source id, table)`.
    #[prop(into)]
    previewing: Signal<Option<(i64, String)>>,
    #[prop(into)] on_use: Callback<i64>,
    #[prop(into)] on_remove: Callback<i64>,
    #[prop(into)] on_preview: Callback<(i64, String)>,
) -> impl IntoView {
    let SourceView {
        id,
        name,
        kind,
        location,
        active,
        tables,
        problem,
    } = source;
    let confirming = RwSignal::new(false);
    let confirm_text = format!(
        "Remove “{name}” from Plainsight? {}",
        kept_when_removed(kind)
    );
    let use_button = (!active).then(|| {
        view! {
            <button class="secondary use-source" disabled=move || busy.get() on:click=move |_| on_use.run(id)>
                "Use for questions"
            </button>
        }
    });
    let remove_button = (kind != SourceKind::Sample).then(|| {
        view! {
            <button
                class="quiet remove-source"
                disabled=move || busy.get() || confirming.get()
                on:click=move |_| confirming.set(true)
            >
                "Remove"
            </button>
        }
    });
    let table_list = if tables.is_empty() {
        problem
            .is_none()
            .then(|| view! { <p class="muted small">"No tables yet."</p> })
            .into_any()
    } else {
        let items = tables
            .into_iter()
            .map(|table| {
                let key = (id, table.name.clone());
                let selected = {
                    let key = key.clone();
                    move || previewing.with(|p| p.as_ref() == Some(&key))
                };
                let columns = format!("Columns: {}", table.columns.join(", "));
                let rows = format::rows(u64::try_from(table.rows).unwrap_or(0));
                let data_table = table.name.clone();
                view! {
                    <li>
                        <button
                            class="table-link"
                            class:selected=selected
                            data-table=data_table
                            title=columns
                            on:click=move |_| on_preview.run(key.clone())
                        >
                            <span class="table-name">{table.name}</span>
                            <span class="table-rows">{rows}</span>
                        </button>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="tables" aria-label="Tables (click one to preview it)">{items}</ul> }
            .into_any()
    };
    let location_title = location.clone();
    view! {
        <li class="source" class:active=active data-kind=kind.as_str()>
            <div class="source-head">
                <div class="source-title">
                    <h3>{name}</h3>
                    {active.then(|| view! { <span class="badge">"Questions go here"</span> })}
                </div>
                <div class="source-actions">{use_button} {remove_button}</div>
            </div>
            <p class="source-meta">
                {kind_label(kind)}
                " · "
                <span class="location" title=location_title>{location}</span>
            </p>
            {problem.map(|p| view! { <p class="message warning source-problem">{p}</p> })}
            {table_list}
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label="Confirm removal">
                    <p>{confirm_text.clone()}</p>
                    <button
                        class="danger confirm-remove"
                        disabled=move || busy.get()
                        on:click=move |_| {
                            confirming.set(false);
                            on_remove.run(id);
                        }
                    >
                        "Remove"
                    </button>
                    <button class="secondary" on:click=move |_| confirming.set(false)>
                        "Keep it"
                    </button>
                </div>
            </Show>
        </li>
    }
}
