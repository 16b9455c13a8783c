//! What an import did: rows imported and skipped (with reasons), warnings, and each column's
//! type, which the person can correct and re-import with.

use leptos::prelude::*;
use plainsight_ipc::{ColumnType, ImportSummaryView, ImportedColumnView};

use crate::format;

/// A column type, as a person would say it.
fn type_label(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Integer => "Whole number",
        ColumnType::Real => "Decimal number",
        ColumnType::Date => "Date",
        ColumnType::DateTime => "Date and time",
        ColumnType::Text => "Text",
    }
}

#[component]
pub fn ImportSummary(
    summary: ImportSummaryView,
    /// A file is being added: re-importing waits.
    #[prop(into)]
    busy: Signal<bool>,
    /// Re-import the same file with these column types.
    #[prop(into)]
    on_reimport: Callback<Vec<ImportedColumnView>>,
) -> impl IntoView {
    let ImportSummaryView {
        table,
        rows_imported,
        rows_skipped,
        skipped,
        columns,
        warnings,
    } = summary;
    let original = columns.clone();
    let chosen = RwSignal::new(columns.clone());
    let changed = Memo::new(move |_| chosen.with(|c| *c != original));

    let skipped_part = (rows_skipped > 0).then(|| {
        let more = rows_skipped.saturating_sub(skipped.len() as u64);
        let reasons = skipped.into_iter().map(|reason| view! { <li>{reason}</li> }).collect_view();
        view! {
            <div class="skipped">
                <p>
                    {if rows_skipped == 1 { "1 row was skipped:".to_string() } else { format!("{} were skipped:", format::rows(rows_skipped)) }}
                </p>
                <ul>
                    {reasons}
                    {(more > 0).then(|| view! { <li class="muted">{format!("and {} more", format::rows(more))}</li> })}
                </ul>
            </div>
        }
    });
    let warnings_part = (!warnings.is_empty()).then(|| {
        let items = warnings
            .into_iter()
            .map(|w| view! { <li>{w}</li> })
            .collect_view();
        view! { <ul class="warnings">{items}</ul> }
    });
    let column_rows = columns
        .into_iter()
        .enumerate()
        .map(|(i, column)| {
            let options = ColumnType::ALL
                .iter()
                .map(|ty| view! { <option value=ty.as_str() selected=*ty == column.ty>{type_label(*ty)}</option> })
                .collect_view();
            let choose = move |ev| {
                let Some(ty) = ColumnType::parse(&event_target_value(&ev)) else {
                    return;
                };
                chosen.update(|c| {
                    if let Some(col) = c.get(i).cloned() {
                        c[i] = ImportedColumnView { ty, ..col };
                    }
                });
            };
            view! {
                <tr>
                    <td>{column.name.clone()}</td>
                    <td>
                        <select class="column-type" aria-label=format!("Type of column {}", column.name) on:change=choose>
                            {options}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <section id="import-summary" class="card" aria-labelledby="import-summary-title">
            <h2 id="import-summary-title">{format!("Imported “{table}”")}</h2>
            <p class="imported">{format!("{} imported.", format::rows(rows_imported))}</p>
            {skipped_part}
            {warnings_part}
            <h3>"Columns"</h3>
            <p class="muted small">"Plainsight guessed each column's type. If one is wrong, change it and re-import."</p>
            <table class="column-types">
                <thead>
                    <tr>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Type"</th>
                    </tr>
                </thead>
                <tbody>{column_rows}</tbody>
            </table>
            <button
                id="reimport"
                class="secondary"
                disabled=move || busy.get() || !changed.get()
                title=move || (!changed.get()).then_some("Change a column's type first")
                on:click=move |_| on_reimport.run(chosen.get_untracked())
            >
                "Re-import with these types"
            </button>
        </section>
    }
}
