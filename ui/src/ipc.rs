//! The only place that talks to the Rust side: Tauri's global `invoke`, typed with the
//! `plainsight-ipc` structs. Anything that goes wrong comes back as an [`IpcError`].

use plainsight_ipc::{AnswerView, ExportFormat, HistoryItem, IpcError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke`, present because `app.withGlobalTauri` is on.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct AskArgs<'a> {
    question: &'a str,
}

#[derive(Serialize)]
struct ExportArgs {
    format: ExportFormat,
}

#[derive(Serialize)]
struct NoArgs {}

pub async fn ask(question: &str) -> Result<AnswerView, IpcError> {
    call("ask", &AskArgs { question }).await
}

pub async fn history() -> Result<Vec<HistoryItem>, IpcError> {
    call("history", &NoArgs {}).await
}

/// The path the chart was saved to, or `None` if the person cancelled the dialog.
pub async fn export_chart(format: ExportFormat) -> Result<Option<String>, IpcError> {
    call("export_chart", &ExportArgs { format }).await
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, IpcError> {
    // json_compatible: plain JS objects, not `Map`s, which is what Tauri expects for arguments.
    let args = args.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|_| broken(cmd))?;
    match invoke(cmd, args).await {
        Ok(reply) => serde_wasm_bindgen::from_value(reply).map_err(|_| broken(cmd)),
        Err(rejection) => Err(serde_wasm_bindgen::from_value::<IpcError>(rejection.clone()).unwrap_or_else(|_| unexpected(&rejection))),
    }
}

/// The two sides disagree about a shape: only a mismatched build can cause this.
fn broken(cmd: &str) -> IpcError {
    IpcError { kind: "ipc_mismatch".into(), message: format!("Plainsight's window and engine do not match ({cmd}). Reinstall Plainsight.") }
}

/// A rejection that is not an `IpcError`: Tauri itself refused, or the page runs outside the app.
fn unexpected(rejection: &JsValue) -> IpcError {
    let detail = rejection.as_string().unwrap_or_else(|| "no details".into());
    IpcError { kind: "ipc_unavailable".into(), message: format!("Plainsight's engine did not respond ({detail}). Restart Plainsight.") }
}
