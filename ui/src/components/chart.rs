//! The chart, drawn by core as SVG, with "Export chart…" as PNG or SVG.

use leptos::prelude::*;
use plainsight_ipc::{ChartView, ExportFormat};

#[component]
pub fn Chart(chart: ChartView, #[prop(into)] on_export: Callback<ExportFormat>) -> impl IntoView {
    let format = RwSignal::new(ExportFormat::Png);
    let choose = move |ev| {
        format.set(if event_target_value(&ev) == "svg" {
            ExportFormat::Svg
        } else {
            ExportFormat::Png
        });
    };
    view! {
        <section class="chart-card">
            // The SVG comes from our own Rust code (Plotters), never from the question's text.
            <div id="chart" role="img" aria-label=chart.title inner_html=chart.svg></div>
            <div class="export">
                <label for="export-format">"Format"</label>
                <select id="export-format" on:change=choose>
                    <option value="png" selected>"PNG image"</option>
                    <option value="svg">"SVG (vector)"</option>
                </select>
                <button id="export" class="secondary" on:click=move |_| on_export.run(format.get())>
                    "Export chart…"
                </button>
            </div>
        </section>
    }
}
