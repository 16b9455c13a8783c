//! What happens to an answer between the pipeline and the screen: the pipeline has recorded it
//! in history and drawn its chart; the app keeps it for "Export chart…" and shows it.

use plainsight_core::Answer;
use plainsight_ipc::AnswerView;

use crate::state::AppState;
use crate::view;

/// Keeps `answer` for the export commands and returns what the webview shows.
pub fn present(state: &AppState, answer: Answer) -> AnswerView {
    let shown = view::answer(&answer);
    *state.last_answer() = Some(answer);
    shown
}
