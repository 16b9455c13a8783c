//! One answer: what was understood (and, word by word, chips to correct it), the table, the chart, the SQL, what it cost (and what the
//! AI was estimated to cost) and where the time went — or, when the question was unclear,
//! rephrasings to pick from, or, when the AI would cost more than the person's approval limit,
//! their OK to ask for.

use leptos::prelude::*;
use plainsight_ipc::{
    AnswerView, CacheOutcome, ErrorKind, ExportFormat, Language, Route, ROWS_PAGE,
};

use crate::components::approval::Approval;
use crate::components::chart::Chart;
use crate::components::mappings::Mappings;
use crate::components::table::ResultTable;
use crate::session::{Screen, Session};
use crate::{format, ipc};

/// Failures the person fixes on the Settings screen's API keys.
const KEY_PROBLEMS: [ErrorKind; 2] = [ErrorKind::LlmUnauthorized, ErrorKind::LlmNoKey];
/// Failures the Spending page explains: a spent budget, a paused provider.
const SPENDING_PROBLEMS: [ErrorKind; 2] = [ErrorKind::BudgetExceeded, ErrorKind::ProviderPaused];

#[component]
pub fn Answer(
    answer: AnswerView,
    #[prop(into)] on_ask: Callback<String>,
    /// Asks a question again with the person's OK to spend up to the amount on the AI.
    #[prop(into)]
    on_approve: Callback<(String, f64)>,
    #[prop(into)] on_export: Callback<ExportFormat>,
    /// Teaches the glossary `(term, meaning)` from a corrected chip and asks the question again.
    #[prop(into)]
    on_teach: Callback<(String, String)>,
) -> impl IntoView {
    let AnswerView {
        question,
        route,
        interpretation,
        message,
        options,
        history_id,
        columns,
        rows,
        total_rows,
        truncated,
        chart,
        code,
        language,
        cost,
        generated_by,
        privacy_receipt,
        error_kind,
        estimate,
        cache,
        timings,
        mappings,
        ..
    } = answer;
    let session = expect_context::<Session>();
    // The question waits for the person's OK to spend on the AI; nothing was sent.
    let waiting = error_kind == Some(ErrorKind::ApprovalNeeded);
    // Where the person fixes what went wrong, if it is theirs to fix.
    let fix = if error_kind.is_some_and(|kind| KEY_PROBLEMS.contains(&kind)) {
        Some(("open-settings", Screen::Settings, "Open Settings"))
    } else if error_kind.is_some_and(|kind| SPENDING_PROBLEMS.contains(&kind)) {
        Some(("open-spending", Screen::Spending, "See spending"))
    } else {
        None
    };
    let fix = fix.map(|(id, screen, label)| {
        view! {
            <button id=id class="link" on:click=move |_| session.screen.set(screen)>
                {label}
            </button>
        }
    });
    let parts: Vec<(String, f64)> = cost
        .breakdown
        .iter()
        .map(|c| (c.item.clone(), c.usd))
        .collect();
    // The AI's earlier answer, reused: its code ran again on today's data (the message says what
    // that saved).
    let cached = cache.and_then(cache_label).filter(|_| !waiting);
    let (by, cost_line) = if waiting {
        (None, "Nothing was sent to the AI — no cost".to_string())
    } else if cached.is_some() {
        let by = (generated_by != "planner")
            .then(|| format!("Written earlier by the AI ({generated_by}) · "));
        (by, "Nothing was sent to the AI — no cost".to_string())
    } else {
        let by =
            (generated_by != "planner").then(|| format!("Written by the AI ({generated_by}) · "));
        (by, format::cost(cost.total_usd, cost.source, &parts))
    };
    // The approval dialog already says what was estimated.
    let estimated = estimate.filter(|_| !waiting).map(|e| {
        let (about, at_most) = format::estimate(e.about_usd, e.at_most_usd);
        view! { <p class="cost estimate">{format!("Estimated about {about} (at most {at_most})")}</p> }
    });
    let said = if waiting {
        Some(view! { <Approval question=question.clone() message estimate on_approve/> }.into_any())
    } else {
        (!message.is_empty()).then(|| view! { <p class=tone(route)>{message} {fix}</p> }.into_any())
    };
    let receipt = privacy_receipt.map(|sent| {
        view! {
            <details id="privacy-receipt">
                <summary>"What was sent to the AI"</summary>
                <pre>{sent}</pre>
            </details>
        }
    });
    let options = (!options.is_empty()).then(|| {
        let buttons = options
            .into_iter()
            .map(|option| {
                let asked = option.clone();
                view! { <button class="option" on:click=move |_| on_ask.run(asked.clone())>{option}</button> }
            })
            .collect_view();
        view! {
            <div class="options">
                <p class="options-label">"Did you mean:"</p>
                {buttons}
            </div>
        }
    });
    let has_table = !columns.is_empty();
    let has_chart = chart.is_some();
    let table = has_table.then(|| {
        // The answer brought its first rows; the rest come a page at a time and replace them
        // in one go (sorting and copying then see every row).
        let missing = total_rows.saturating_sub(rows.len());
        let first = rows.len();
        let loaded = RwSignal::new(rows);
        let loading = RwSignal::new(missing > 0);
        if missing > 0 {
            leptos::task::spawn_local(async move {
                let mut all = loaded.get_untracked();
                while all.len() < total_rows {
                    match ipc::answer_rows(history_id, all.len(), ROWS_PAGE).await {
                        Ok(more) if !more.is_empty() => all.extend(more),
                        _ => break,
                    }
                }
                loaded.set(all);
                loading.set(false);
            });
        }
        let note = move || {
            loading.get().then(|| {
                view! {
                    <p class="table-note" id="rows-loading">
                        {format!("Showing the first {first} rows while the other {} load…", format::rows(missing as u64))}
                    </p>
                }
            })
        };
        view! {
            <section class="table-card">
                {note}
                {move || {
                    let rows = loaded.get();
                    view! { <ResultTable columns=columns.clone() rows truncated copy=true/> }
                }}
            </section>
        }
    });
    // One "Export…" for the whole answer: what it can be saved as.
    let export = (has_table || has_chart).then(|| {
        let formats: Vec<ExportFormat> = ExportFormat::ALL
            .iter()
            .copied()
            .filter(|f| {
                if f.is_chart() {
                    has_chart
                } else if *f == ExportFormat::Html {
                    true
                } else {
                    has_table
                }
            })
            .collect();
        let first = formats[0];
        let format = RwSignal::new(first);
        let choose = move |ev| {
            if let Some(f) = ExportFormat::parse(&event_target_value(&ev)) {
                format.set(f);
            }
        };
        let options = formats
            .into_iter()
            .map(|f| view! { <option value=f.as_str() selected=f == first>{f.label()}</option> })
            .collect_view();
        view! {
            <div class="export" id="export-bar">
                <label for="export-format">"Save"</label>
                <select id="export-format" on:change=choose>{options}</select>
                <button id="export" class="secondary" on:click=move |_| on_export.run(format.get())>
                    "Export…"
                </button>
            </div>
        }
    });
    let code = code.map(|code| {
        let label = if language == Some(Language::Python) {
            "Python"
        } else {
            "SQL"
        };
        view! {
            <details id="code">
                <summary>{format!("Show the {label} that ran")}</summary>
                <pre><code>{code}</code></pre>
            </details>
        }
    });
    view! {
        <article class="answer-card">
            <h2 class="answer-question">{question}</h2>
            {(!interpretation.is_empty()).then(|| view! { <p class="interpretation">{interpretation}</p> })}
            {(!mappings.is_empty()).then(|| view! { <Mappings mappings on_teach/> })}
            {said}
            {options}
        </article>
        // The chart first: it is the answer at a glance; the table has the exact figures.
        {chart.map(|chart| view! { <Chart chart/> })}
        {table}
        {export}
        {code}
        {receipt}
        <p class="cost" id="cost">
            {cached
                .map(|label| {
                    view! {
                        <span
                            id="cache-badge"
                            class="cache-badge"
                            title="An earlier AI answer was reused; its query ran again on today's data."
                        >
                            {label}
                        </span>
                        " "
                    }
                })}
            {by}
            {cost_line}
        </p>
        {estimated}
        // Where the time went, for the curious (and for bug reports): small print.
        {(!timings.is_empty()).then(|| view! { <p class="timings" id="answer-timings">{format!("Time: {timings}")}</p> })}
    }
}

/// The badge for an answer the cache gave (`exact` or `semantic`); none for a miss or no lookup.
fn cache_label(cache: CacheOutcome) -> Option<&'static str> {
    match cache {
        CacheOutcome::Exact => Some("From cache"),
        CacheOutcome::Semantic => Some("From cache (similar question)"),
        CacheOutcome::Miss => None,
    }
}

/// How the answer's message reads for its route.
fn tone(route: Route) -> &'static str {
    match route {
        Route::Refused | Route::Blocked => "message warning",
        Route::Fallback | Route::Clarify => "message info",
        Route::Answer => "message",
    }
}
