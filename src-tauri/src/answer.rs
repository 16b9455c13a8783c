//! What happens to an answer between the pipeline and the screen: it is recorded in history,
//! its chart is drawn, and it is kept for "Export chart…".

use plainsight_core::chart::{self, ChartKind};
use plainsight_core::Answer;
use plainsight_ipc::AnswerView;

use crate::state::AppState;
use crate::view;

/// Size the chart is drawn at for the answer area; the SVG has a viewBox, so CSS scales it to
/// the column's width. A single number needs far less height than axes do.
fn screen_size(kind: ChartKind) -> (u32, u32) {
    match kind {
        ChartKind::Number => (880, 200),
        _ => (880, 380),
    }
}

/// Records, draws and keeps `answer`, and returns what the webview shows. Neither a history
/// nor a chart failure hides the answer itself: both are logged and the table still shows.
pub fn present(state: &AppState, answer: Answer) -> AnswerView {
    let asked_at = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    let history_id = state
        .history()
        .record_answer(&answer, &asked_at)
        .inspect_err(|error| tracing::warn!(?error, "could not record the question in history"))
        .ok();
    let mut answer = answer;
    let drawing = std::time::Instant::now();
    let svg = answer.chart.as_ref().and_then(|spec| {
        chart::render_svg(spec, &answer.columns, &answer.rows, screen_size(spec.kind))
            .inspect_err(|error| tracing::warn!(?error, "could not draw the chart"))
            .ok()
    });
    if svg.is_some() {
        // Drawing the chart is part of answering, for the timing line.
        answer.stages.push(plainsight_core::trace::Stage {
            name: "chart",
            started: std::time::SystemTime::now()
                .checked_sub(drawing.elapsed())
                .unwrap_or_else(std::time::SystemTime::now),
            duration: drawing.elapsed(),
            outcome: "drawn".into(),
            generation: None,
        });
    }
    let shown = view::answer(&answer, history_id, svg);
    *state.last_answer() = Some(answer);
    shown
}
