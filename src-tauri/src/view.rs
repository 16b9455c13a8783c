//! Core types → IPC types, by hand, at the boundary. Core types are not `Serialize` for the
//! webview's sake; this is the only place that knows both shapes.

use plainsight_core::history::HistoryEntry;
use plainsight_core::planner::Mapping;
use plainsight_core::router::Route as CoreRoute;
use plainsight_core::{Answer, CostSource};
use plainsight_ipc::{
    AnswerView, CacheOutcome, ChartKind, ChartView, CostLine, CostView, EstimateView, HistoryItem,
    Language, MappingView, Route, FIRST_ROWS,
};

/// The answer as the webview shows it; `svg` is the chart already drawn by core.
pub fn answer(answer: &Answer) -> AnswerView {
    let svg = answer.chart_svg.clone();
    let chart = answer.chart.as_ref().zip(svg).map(|(spec, svg)| ChartView {
        kind: chart_kind(spec.kind),
        x: spec.x.clone(),
        y: spec.y.clone(),
        title: spec.title.clone(),
        svg,
    });
    AnswerView {
        history_id: answer.history_id,
        question: answer.question.clone(),
        route: route(answer.route),
        confidence: answer.confidence,
        interpretation: answer.interpretation.clone(),
        language: answer.language.map(|l| match l {
            plainsight_core::Language::Sql => Language::Sql,
            plainsight_core::Language::Python => Language::Python,
        }),
        code: answer.code.clone(),
        columns: answer.columns.clone(),
        rows: answer.rows.iter().take(FIRST_ROWS).cloned().collect(),
        total_rows: answer.rows.len(),
        truncated: answer.truncated,
        chart,
        options: answer.options.clone(),
        message: answer.message.clone(),
        cost: CostView {
            total_usd: answer.cost.total_usd(),
            source: cost_source(answer.cost.source),
            breakdown: answer
                .cost
                .breakdown
                .iter()
                .map(|c| CostLine {
                    item: c.item.clone(),
                    usd: c.usd(),
                })
                .collect(),
        },
        generated_by: answer.generated_by.clone(),
        privacy_receipt: answer.privacy_receipt.clone(),
        error_kind: answer
            .error_kind
            .as_deref()
            .and_then(crate::error::core_kind),
        estimate: answer.estimate.map(|e| EstimateView {
            about_usd: e.about_usd,
            at_most_usd: e.at_most_usd,
        }),
        cache: answer.cache.as_deref().and_then(cache_outcome),
        timings: plainsight_core::trace::summary(&answer.stages),
        mappings: answer.mappings.iter().map(mapping).collect(),
    }
}

/// "worth" → `products.unit_price` (or `list_price`, `cost` …).
fn mapping(m: &Mapping) -> MappingView {
    MappingView {
        said: m.said.clone(),
        table: m.table.clone(),
        column: m.column.clone(),
        alternatives: m.alternatives.clone(),
    }
}

fn cost_source(source: CostSource) -> plainsight_ipc::CostSource {
    match source {
        CostSource::None => plainsight_ipc::CostSource::Offline,
        CostSource::Provider => plainsight_ipc::CostSource::Provider,
        CostSource::Estimate => plainsight_ipc::CostSource::Estimate,
    }
}

fn route(route: CoreRoute) -> Route {
    match route {
        CoreRoute::Answer => Route::Answer,
        CoreRoute::Clarify => Route::Clarify,
        CoreRoute::Fallback => Route::Fallback,
        CoreRoute::Refused => Route::Refused,
        CoreRoute::Blocked => Route::Blocked,
    }
}

fn cache_outcome(cache: &str) -> Option<CacheOutcome> {
    let known = CacheOutcome::parse(cache);
    if known.is_none() {
        tracing::error!(
            cache,
            "core reported a cache outcome the window does not know"
        );
    }
    known
}

/// A past question; its route is stored as core's string (an answer until shown otherwise).
fn chart_kind(kind: plainsight_core::chart::ChartKind) -> ChartKind {
    use plainsight_core::chart::ChartKind as Core;
    match kind {
        Core::Bar => ChartKind::Bar,
        Core::Line => ChartKind::Line,
        Core::Number => ChartKind::Number,
        Core::Pie => ChartKind::Pie,
        Core::Scatter => ChartKind::Scatter,
    }
}

pub fn history_item(entry: HistoryEntry) -> HistoryItem {
    let route = Route::parse(&entry.route).unwrap_or_else(|| {
        tracing::error!(route = %entry.route, "the history holds a route the window does not know");
        Route::Answer
    });
    HistoryItem {
        id: entry.id,
        question: entry.question,
        route,
        asked_at: plainsight_core::clock::shown(&entry.asked_at),
        source: source_name(&entry.source),
        cost_usd: plainsight_core::money::dollars(entry.cost_nanos),
        saved_name: entry.saved_name,
    }
}

/// A source as the sidebar names it: a file's name, a server's address as it is.
fn source_name(source: &str) -> String {
    if source.contains("://") {
        return source.to_string();
    }
    std::path::Path::new(source)
        .file_name()
        .map_or_else(|| source.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Rows `offset..offset + limit` of `rows` (fewer at the end, none past it).
pub fn rows_page(
    rows: &[Vec<serde_json::Value>],
    offset: usize,
    limit: usize,
) -> Vec<Vec<serde_json::Value>> {
    let start = offset.min(rows.len());
    rows[start..start.saturating_add(limit).min(rows.len())].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large answer crosses with its first rows and its total; the others come in pages that
    /// add up to exactly the answer's rows.
    #[test]
    fn a_large_answer_crosses_a_page_at_a_time() {
        let mut answered = crate::testing::sample_answer("revenue by region");
        answered.rows = (0..4_321)
            .map(|i| vec![serde_json::json!(format!("r{i}")), serde_json::json!(i)])
            .collect();
        let shown = answer(&answered);
        assert_eq!((shown.rows.len(), shown.total_rows), (FIRST_ROWS, 4_321));
        let mut all = shown.rows.clone();
        while all.len() < shown.total_rows {
            let page = rows_page(&answered.rows, all.len(), plainsight_ipc::ROWS_PAGE);
            assert!(!page.is_empty() && page.len() <= plainsight_ipc::ROWS_PAGE);
            all.extend(page);
        }
        assert_eq!(all, answered.rows);
        assert!(
            rows_page(&answered.rows, 10_000, 10).is_empty(),
            "past the end"
        );
        // A small answer brings every row.
        let shown = answer(&crate::testing::sample_answer("revenue by region"));
        assert_eq!((shown.rows.len(), shown.total_rows), (5, 5));
    }

    /// Core's routes and cache outcomes keep the strings the history and the CLI use.
    #[test]
    fn core_routes_and_cache_outcomes_cross_as_the_same_strings() {
        for core in [
            CoreRoute::Answer,
            CoreRoute::Clarify,
            CoreRoute::Fallback,
            CoreRoute::Refused,
            CoreRoute::Blocked,
        ] {
            assert_eq!(route(core).as_str(), core.as_str());
        }
        for cache in ["miss", "exact", "semantic"] {
            assert_eq!(cache_outcome(cache).map(CacheOutcome::as_str), Some(cache));
        }
        for (core, shown) in [
            (CostSource::None, "none"),
            (CostSource::Provider, "provider"),
            (CostSource::Estimate, "estimate"),
        ] {
            assert_eq!(cost_source(core).as_str(), shown);
        }
    }

    #[test]
    fn each_word_the_planner_read_crosses_with_its_alternatives() {
        let answered = crate::testing::sample_answer("average price by category");
        let shown = answer(&answered);
        assert_eq!(
            shown.mappings.len(),
            answered.mappings.len(),
            "every word the planner read: {:?}",
            shown.mappings
        );
        let price = shown
            .mappings
            .iter()
            .find(|m| m.said == "price")
            .expect("\"price\" crosses");
        assert_eq!(
            (price.table.as_str(), price.column.as_str()),
            ("products", "unit_price"),
            "{price:?}"
        );
        assert!(
            price.alternatives.iter().any(|c| c == "unit_cost"),
            "with the other columns it could mean: {price:?}"
        );
        assert_eq!(
            MappingView::words(&price.alternatives[0]),
            price.alternatives[0].replace('_', " ")
        );
    }
}
