//! A table of rows (an answer's, or a data preview's): column headings, and numbers formatted per
//! column and aligned right.

use leptos::prelude::*;
use serde_json::Value;

use crate::format::{self, ColumnFormat};

#[component]
pub fn ResultTable(
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    truncated: bool,
    /// `result-table` for an answer; the Data screen's preview has its own.
    #[prop(default = "result-table")]
    id: &'static str,
) -> impl IntoView {
    let formats: Vec<ColumnFormat> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| format::column_format(name, rows.iter().filter_map(move |r| r.get(i))))
        .collect();
    let count = rows.len();
    let head = columns
        .into_iter()
        .zip(&formats)
        .map(|(name, f)| view! { <th scope="col" class:num=f.is_numeric()>{format::heading(&name)}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let cells = row
                .iter()
                .zip(&formats)
                .map(|(value, f)| view! { <td class:num=f.is_numeric() class:empty=value.is_null()>{format::cell(value, *f)}</td> })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table id=id class="result-table">
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        <p class="table-note">
            {if truncated { format!("Showing the first {count} rows.") } else { format::rows(count as u64) }}
        </p>
    }
}
