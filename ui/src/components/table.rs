//! A table of rows (an answer's, or a data preview's) that works like a spreadsheet's: column
//! headings that sort when clicked (numbers as numbers, again to reverse), numbers formatted per
//! column and aligned right, pages of [`PAGE`] rows above [`PAGED_FROM`] rows with the total
//! shown, and "Copy table" (tab-separated, for pasting into Excel or Sheets).

use std::cmp::Ordering;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::format::{self, ColumnFormat};

/// Rows on one page.
pub const PAGE: usize = 100;
/// Tables with more rows than this are shown a page at a time.
pub const PAGED_FROM: usize = 250;

/// How two cells compare: numbers as numbers, text without regard to case, empty cells last.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// The rows' order when sorted by `column` (ascending unless `descending`); stable, so equal
/// cells keep the answer's own order. Empty cells stay last either way.
pub fn sorted_order(rows: &[Vec<Value>], column: usize, descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let null = Value::Null;
    order.sort_by(|&a, &b| {
        let (x, y) = (
            rows[a].get(column).unwrap_or(&null),
            rows[b].get(column).unwrap_or(&null),
        );
        match (x.is_null(), y.is_null(), descending) {
            (false, false, true) => compare(y, x),
            _ => compare(x, y),
        }
    });
    order
}

/// The table as tab-separated text: the headings, then one line per row in `order`; a tab or
/// line break inside a cell becomes a space so the columns stay aligned when pasted.
pub fn tab_separated(columns: &[String], rows: &[Vec<Value>], order: &[usize]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = columns
        .iter()
        .map(|c| clean(c))
        .collect::<Vec<_>>()
        .join("\t");
    for &i in order {
        out.push('\n');
        let cells: Vec<String> = rows[i]
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => clean(s),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join("\t"));
    }
    out.push('\n');
    out
}

/// The symbol money columns get: the Settings screen's `currency`, where `system` follows the
/// webview's language and region (`en-GB` → £).
fn money_symbol() -> Option<&'static str> {
    let session = use_context::<crate::session::Session>()?;
    let chosen = untrack(|| session.setting("currency")).unwrap_or_else(|| "system".into());
    let code = if chosen == "system" {
        let tag = web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_default();
        format::currency_of_locale(&tag).to_string()
    } else {
        chosen
    };
    format::currency_symbol(&code)
}

/// Puts `text` on the clipboard.
async fn copy_to_clipboard(text: String) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.navigator().clipboard().write_text(&text);
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[component]
pub fn ResultTable(
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    truncated: bool,
    /// `result-table` for an answer; the Data screen's preview has its own.
    #[prop(default = "result-table")]
    id: &'static str,
    /// Offer "Copy table" (answers; not the Data screen's preview).
    #[prop(default = false)]
    copy: bool,
) -> impl IntoView {
    let currency = money_symbol();
    let formats: Vec<ColumnFormat> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format::column_format(name, rows.iter().filter_map(move |r| r.get(i)), currency)
        })
        .collect();
    let count = rows.len();
    let data = StoredValue::new((columns.clone(), rows));
    // (column, descending); none: the answer's own order.
    let sort = RwSignal::new(None::<(usize, bool)>);
    let page = RwSignal::new(0usize);
    let copied = RwSignal::new(None::<String>);
    let order = Memo::new(move |_| {
        data.with_value(|(_, rows)| match sort.get() {
            Some((c, descending)) => sorted_order(rows, c, descending),
            None => (0..rows.len()).collect(),
        })
    });
    let paged = count > PAGED_FROM;
    let pages = count.div_ceil(PAGE).max(1);
    let head = columns
        .into_iter()
        .enumerate()
        .zip(formats.clone())
        .map(|((i, name), f)| {
            let aria = move || match sort.get() {
                Some((c, false)) if c == i => "ascending",
                Some((c, true)) if c == i => "descending",
                _ => "none",
            };
            let arrow = move || match sort.get() {
                Some((c, false)) if c == i => " ▲",
                Some((c, true)) if c == i => " ▼",
                _ => "",
            };
            let click = move |_| {
                sort.update(|s| {
                    *s = match *s {
                        Some((c, false)) if c == i => Some((i, true)),
                        Some((c, true)) if c == i => None,
                        // Figures start with the largest, names from A.
                        _ => Some((i, f.is_numeric())),
                    };
                });
                page.set(0);
            };
            view! {
                <th scope="col" class:num=f.is_numeric() aria-sort=aria>
                    <button class="sort" data-column=i on:click=click title="Sort by this column">
                        {format::heading(&name)}{arrow}
                    </button>
                </th>
            }
        })
        .collect_view();
    let body = move || {
        let order = order.get();
        let start = if paged { page.get() * PAGE } else { 0 };
        let end = if paged {
            (start + PAGE).min(order.len())
        } else {
            order.len()
        };
        data.with_value(|(_, rows)| {
            order[start..end]
                .iter()
                .map(|&r| {
                    let cells = rows[r]
                        .iter()
                        .zip(&formats)
                        .map(|(value, f)| view! { <td class:num=f.is_numeric() class:empty=value.is_null()>{format::cell(value, *f)}</td> })
                        .collect_view();
                    view! { <tr>{cells}</tr> }
                })
                .collect_view()
        })
    };
    let total = if truncated {
        format!("Showing the first {count} rows.")
    } else {
        format::rows(count as u64)
    };
    let pager = paged.then(|| {
        let total = total.clone();
        let shown = move || {
            let start = page.get() * PAGE;
            format!(
                "Rows {}–{} of {total}",
                format::number((start + 1) as f64, 0),
                format::number((start + PAGE).min(count) as f64, 0)
            )
        };
        let at_first = move || page.get() == 0;
        let at_last = move || page.get() + 1 >= pages;
        let previous = move |_| page.update(|p| *p = p.saturating_sub(1));
        let next = move |_| page.update(|p| *p = (*p + 1).min(pages - 1));
        view! {
            <div class="pager" role="navigation" aria-label="Table pages">
                <button id=format!("{id}-prev") class="secondary" disabled=at_first on:click=previous>
                    "‹ Previous"
                </button>
                <span class="table-note" id=format!("{id}-rows")>{shown}</span>
                <button id=format!("{id}-next") class="secondary" disabled=at_last on:click=next>
                    "Next ›"
                </button>
            </div>
        }
    });
    let copy_button = copy.then(|| {
        let copy_now = move |_| {
            let text = data
                .with_value(|(columns, rows)| tab_separated(columns, rows, &order.get_untracked()));
            spawn_local(async move {
                copied.set(Some(match copy_to_clipboard(text).await {
                    Ok(()) => format!("Copied {} to the clipboard.", format::rows(count as u64)),
                    Err(_) => "The clipboard refused the table; use Export table as CSV instead."
                        .to_string(),
                }));
            });
        };
        view! {
            <button id="copy-table" class="secondary" on:click=copy_now>"Copy table"</button>
            <span id="copy-note" class="table-note" role="status">{move || copied.get()}</span>
        }
    });
    view! {
        <div class="table-wrap">
            <table id=id class="result-table">
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        {pager}
        <div class="table-foot">
            {(!paged).then(|| view! { <p class="table-note">{total.clone()}</p> })}
            {copy_button}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_sort_as_numbers_and_empty_cells_stay_last() {
        let rows = vec![
            vec![json!("b"), json!(10)],
            vec![json!("A"), json!(9)],
            vec![Value::Null, json!(100)],
            vec![json!("c"), Value::Null],
        ];
        assert_eq!(sorted_order(&rows, 1, false), [1, 0, 2, 3]);
        assert_eq!(sorted_order(&rows, 1, true), [2, 0, 1, 3]);
        assert_eq!(sorted_order(&rows, 0, false), [1, 0, 3, 2]);
    }

    #[test]
    fn copied_tables_are_tab_separated_in_the_shown_order() {
        let columns = vec!["region".to_string(), "revenue".to_string()];
        let rows = vec![
            vec![json!("North\tEast"), json!(1.5)],
            vec![json!("South"), Value::Null],
        ];
        assert_eq!(
            tab_separated(&columns, &rows, &[1, 0]),
            "region\trevenue\nSouth\t\nNorth East\t1.5\n"
        );
    }
}
