//! One answer: what was understood, the table, the chart, the SQL and what it cost — or, when
//! the question was unclear, rephrasings to pick from.

use leptos::prelude::*;
use plainsight_ipc::{AnswerView, ExportFormat};

use crate::components::chart::Chart;
use crate::components::table::ResultTable;
use crate::format;
use crate::session::{Screen, Session};

/// Failures the person fixes on the Settings screen's API keys.
const KEY_PROBLEMS: [&str; 2] = ["llm_unauthorized", "llm_no_key"];

#[component]
pub fn Answer(
    answer: AnswerView,
    #[prop(into)] on_ask: Callback<String>,
    #[prop(into)] on_export: Callback<ExportFormat>,
) -> impl IntoView {
    let AnswerView {
        question,
        route,
        interpretation,
        message,
        options,
        columns,
        rows,
        truncated,
        chart,
        code,
        language,
        cost,
        generated_by,
        privacy_receipt,
        error_kind,
        ..
    } = answer;
    let session = expect_context::<Session>();
    let fix_key = error_kind.is_some_and(|k| KEY_PROBLEMS.contains(&k.as_str())).then(|| {
        view! {
            <button id="open-settings" class="link" on:click=move |_| session.screen.set(Screen::Settings)>
                "Open Settings"
            </button>
        }
    });
    let parts: Vec<(String, f64)> = cost.breakdown.iter().map(|c| (c.item.clone(), c.usd)).collect();
    let cost_line = format::cost(cost.total_usd, &cost.source, &parts);
    let by = (generated_by != "planner").then(|| format!("Written by the AI ({generated_by}) · "));
    let receipt = privacy_receipt.map(|sent| {
        view! {
            <details id="privacy-receipt">
                <summary>"What was sent to the AI"</summary>
                <pre>{sent}</pre>
            </details>
        }
    });
    let tone = match route.as_str() {
        "refused" => "message warning",
        "fallback" | "clarify" => "message info",
        _ => "message",
    };
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
    let table = (!columns.is_empty()).then(|| {
        view! {
            <section class="table-card">
                <ResultTable columns rows truncated/>
            </section>
        }
    });
    let code = code.map(|code| {
        let label = if language.as_deref() == Some("python") { "Python" } else { "SQL" };
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
            {(!message.is_empty()).then(|| view! { <p class=tone>{message} {fix_key}</p> })}
            {options}
        </article>
        // The chart first: it is the answer at a glance; the table has the exact figures.
        {chart.map(|chart| view! { <Chart chart on_export/> })}
        {table}
        {code}
        {receipt}
        <p class="cost" id="cost">{by}{cost_line}</p>
    }
}
