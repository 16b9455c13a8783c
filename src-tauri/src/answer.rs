//! What happens to an answer between the pipeline and the screen: the pipeline has recorded it
//! in history and drawn its chart; the app keeps it for "Export…" and shows it.

use plainsight_core::Answer;
use plainsight_ipc::AnswerView;

use crate::state::AppState;
use crate::view;

/// Keeps `answer` (with its source and when it was read) for "Export…" and returns what the
/// webview shows.
pub fn present(state: &AppState, answer: Answer, source: String) -> AnswerView {
    let shown = view::answer(&answer);
    *state.last_answer() = Some(crate::export::Shown {
        answer,
        source,
        at: chrono::Utc::now(),
    });
    shown
}
