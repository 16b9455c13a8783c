//! The chart, drawn by core as SVG (exported from the answer's "Export…").

use leptos::prelude::*;
use plainsight_ipc::ChartView;

#[component]
pub fn Chart(chart: ChartView) -> impl IntoView {
    view! {
        <section class="chart-card">
            // The SVG comes from our own Rust code (Plotters), never from the question's text.
            <div id="chart" role="img" aria-label=chart.title inner_html=chart.svg></div>
        </section>
    }
}
