//! Core types → IPC types, by hand, at the boundary. Core types are not `Serialize` for the
//! webview's sake; this is the only place that knows both shapes.

use plainsight_core::history::HistoryEntry;
use plainsight_core::planner::Mapping;
use plainsight_core::{Answer, CostSource};
use plainsight_ipc::{AnswerView, ChartView, CostLine, CostView, EstimateView, HistoryItem, MappingView};

/// The answer as the webview shows it; `svg` is the chart already drawn by core.
pub fn answer(answer: &Answer, history_id: Option<i64>, svg: Option<String>) -> AnswerView {
    let chart = answer.chart.as_ref().zip(svg).map(|(spec, svg)| ChartView {
        kind: spec.kind.as_str().to_string(),
        x: spec.x.clone(),
        y: spec.y.clone(),
        title: spec.title.clone(),
        svg,
    });
    AnswerView {
        history_id,
        question: answer.question.clone(),
        route: answer.route.as_str().to_string(),
        confidence: answer.confidence,
        interpretation: answer.interpretation.clone(),
        language: answer.language.map(|l| l.as_str().to_string()),
        code: answer.code.clone(),
        columns: answer.columns.clone(),
        rows: answer.rows.clone(),
        truncated: answer.truncated,
        chart,
        options: answer.options.clone(),
        message: answer.message.clone(),
        cost: CostView {
            total_usd: answer.cost.total_usd(),
            source: cost_source(answer.cost.source).to_string(),
            breakdown: answer.cost.breakdown.iter().map(|c| CostLine { item: c.item.clone(), usd: c.usd() }).collect(),
        },
        generated_by: answer.generated_by.clone(),
        privacy_receipt: answer.privacy_receipt.clone(),
        error_kind: answer.error_kind.clone(),
        estimate: answer.estimate.map(|e| EstimateView { about_usd: e.about_usd, at_most_usd: e.at_most_usd }),
        cache: answer.cache.clone(),
        timings: plainsight_core::trace::summary(&answer.stages),
        mappings: answer.mappings.iter().map(mapping).collect(),
    }
}

/// "worth" → `products.unit_price` (or `list_price`, `cost` …).
fn mapping(m: &Mapping) -> MappingView {
    MappingView { said: m.said.clone(), table: m.table.clone(), column: m.column.clone(), alternatives: m.alternatives.clone() }
}

fn cost_source(source: CostSource) -> &'static str {
    match source {
        CostSource::None => "none",
        CostSource::Provider => "provider",
        CostSource::Estimate => "estimate",
    }
}

pub fn history_item(entry: HistoryEntry) -> HistoryItem {
    HistoryItem { id: entry.id, question: entry.question, route: entry.route, asked_at: entry.asked_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_the_planner_read_crosses_with_its_alternatives() {
        let dir = tempfile::tempdir().expect("temp dir");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date");
        let db = plainsight_core::ensure_sample_db(dir.path(), today).expect("sample database");
        let pipeline = plainsight_core::Pipeline::open(&db, plainsight_core::PipelineOptions::default()).expect("pipeline");
        let answered = pipeline.ask("average price by category", today, None).expect("answer");
        let shown = answer(&answered, Some(7), None);
        assert_eq!(shown.mappings.len(), answered.mappings.len(), "every word the planner read: {:?}", shown.mappings);
        let price = shown.mappings.iter().find(|m| m.said == "price").expect("\"price\" crosses");
        assert_eq!((price.table.as_str(), price.column.as_str()), ("products", "unit_price"), "{price:?}");
        assert!(price.alternatives.iter().any(|c| c == "unit_cost"), "with the other columns it could mean: {price:?}");
        assert_eq!(MappingView::words(&price.alternatives[0]), price.alternatives[0].replace('_', " "));
    }
}
