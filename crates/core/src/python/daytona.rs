//! Daytona (v0 REST) as a remote Python runner, hand-written over reqwest (the Rust SDK is an
//! unmerged alpha): create a sandbox with the network blocked, wait until it has started, run the
//! script through the toolbox's `process/code-run`, and always delete the sandbox afterwards —
//! also after an error. The sandbox has no network, so `rows` travel inline in the script.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{table, CodeRunner, PyError, PyLimits, PyOutput};
use crate::secret::Secret;

/// Marks the line that carries the script's `result` in the sandbox's merged output.
const MARKER: &str = "__PLAINSIGHT_RESULT__";

/// How long a sandbox may take to start.
const START_LIMIT: Duration = Duration::from_secs(60);

pub struct DaytonaRunner {
    /// What the last run cost: the sandbox's lifetime × (1 vCPU + 1 GiB) at the price table's rates.
    last_cost: std::sync::Mutex<f64>,
    api: String,
    key: Secret,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    start_limit: Duration,
}

impl std::fmt::Debug for DaytonaRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaytonaRunner")
            .field("api", &self.api)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Daytona's public API (`DAYTONA_API_URL` overrides it, as Daytona's own SDK does).
pub const DEFAULT_API: &str = "https://app.daytona.io/api";

/// The Daytona runner from the keychain (or `DAYTONA_API_KEY`), or `None` without a key.
pub fn configured(
    store: &dyn crate::secrets::SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<DaytonaRunner>, PyError> {
    let key = crate::secrets::lookup(store, &crate::secrets::KeyName::Daytona, env)
        .map_err(|e| PyError::Remote(e.to_string()))?;
    let Some((key, _)) = key else { return Ok(None) };
    let api = env("DAYTONA_API_URL").unwrap_or_else(|| DEFAULT_API.to_string());
    DaytonaRunner::new(&api, key).map(Some)
}

/// The longest one Daytona API call may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(90);

impl DaytonaRunner {
    pub fn new(api: &str, key: Secret) -> Result<Self, PyError> {
        let unavailable = |e: String| PyError::Unavailable(format!("Daytona: {e}"));
        let client = crate::http::https_builder()
            .map_err(unavailable)?
            .connect_timeout(Duration::from_secs(5))
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| unavailable(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(Self {
            last_cost: std::sync::Mutex::new(0.0),
            api: api.trim_end_matches('/').to_string(),
            key,
            client,
            runtime,
            start_limit: START_LIMIT,
        })
    }

    /// A shorter start limit (tests).
    #[must_use]
    pub fn with_start_limit(mut self, limit: Duration) -> Self {
        self.start_limit = limit;
        self
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value), PyError> {
        let resp = req
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    PyError::Remote("Daytona did not answer in time".into())
                } else {
                    PyError::Remote(
                        "Daytona could not be reached; check the internet connection".into(),
                    )
                }
            })?;
        let status = resp.status().as_u16();
        let text = crate::http::capped_text(resp).await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn failure(status: u16, body: &Value) -> PyError {
        let message = body["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {status}"));
        match status {
            401 | 403 => PyError::Remote(
                "Daytona rejected the API key; open Settings → API keys and check it".into(),
            ),
            429 => PyError::Remote(
                "Daytona is busy (rate limit reached); try again in a minute".into(),
            ),
            408 => PyError::Timeout(0),
            _ => PyError::Remote(format!("Daytona refused: {message}")),
        }
    }

    async fn create(&self) -> Result<(String, String), PyError> {
        let body = json!({
            "networkBlockAll": true,
            "cpu": 1,
            "memory": 1,
            "disk": 3,
            "autoStopInterval": 5,
            "autoDeleteInterval": 0,
            "labels": {"code-toolbox-language": "python", "app": "plainsight"},
        });
        let (status, v) = self
            .send(
                self.client
                    .post(format!("{}/sandbox", self.api))
                    .json(&body),
            )
            .await?;
        if !(200..300).contains(&status) {
            return Err(Self::failure(status, &v));
        }
        let id = v["id"]
            .as_str()
            .ok_or_else(|| PyError::Remote("Daytona's reply had no sandbox id".into()))?
            .to_string();
        let toolbox = v["toolboxProxyUrl"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        Ok((id, toolbox))
    }

    async fn wait_started(&self, id: &str) -> Result<(), PyError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let (status, v) = self
                .send(self.client.get(format!("{}/sandbox/{id}", self.api)))
                .await?;
            if !(200..300).contains(&status) {
                return Err(Self::failure(status, &v));
            }
            match v["state"].as_str() {
                Some("started") => return Ok(()),
                Some("error" | "build_failed" | "destroyed") => {
                    return Err(PyError::Remote(format!(
                        "Daytona's sandbox failed to start ({})",
                        v["state"].as_str().unwrap_or("error")
                    )));
                }
                _ => {}
            }
            if started.elapsed() > self.start_limit {
                return Err(PyError::Remote(format!(
                    "Daytona's sandbox did not start within {} s",
                    self.start_limit.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            if started.elapsed() > Duration::from_secs(5) {
                pause = Duration::from_secs(1);
            }
        }
    }

    async fn code_run(
        &self,
        toolbox: &str,
        id: &str,
        code: &str,
        limits: PyLimits,
    ) -> Result<PyOutput, PyError> {
        let secs = limits.time.as_secs().max(1);
        let body = json!({"code": code, "language": "python", "timeout": secs});
        let (status, v) = self
            .send(
                self.client
                    .post(format!("{toolbox}/{id}/process/code-run"))
                    .json(&body),
            )
            .await?;
        if status == 408 {
            return Err(PyError::Timeout(secs));
        }
        if !(200..300).contains(&status) {
            return Err(Self::failure(status, &v));
        }
        let output = v["result"].as_str().unwrap_or_default();
        let exit = v["exitCode"].as_i64().unwrap_or(-1);
        let (printed, result) = split_result(output);
        if exit != 0 {
            let last = output
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("the script failed")
                .trim()
                .to_string();
            if last.contains("NameError: name 'result'") {
                return Err(PyError::NoResult);
            }
            // Where, as Monty says it: "ZeroDivisionError: division by zero (line 1)".
            return Err(PyError::Script(match script_line(output, code) {
                Some(line) => format!("{last} (line {line})"),
                None => last,
            }));
        }
        let result = result.ok_or(PyError::NoResult)?;
        let (columns, rows) = table(&result)?;
        if printed.len() as u64 > limits.max_output {
            return Err(PyError::Shape(
                "it printed more than the allowed output".into(),
            ));
        }
        Ok(PyOutput {
            columns,
            rows,
            printed,
        })
    }

    async fn delete(&self, id: &str) {
        for _ in 0..3 {
            match self
                .send(self.client.delete(format!("{}/sandbox/{id}", self.api)))
                .await
            {
                Ok((status, _)) if (200..300).contains(&status) || status == 404 => return,
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        tracing::warn!(
            sandbox = id,
            "a Daytona sandbox could not be deleted; it stops and deletes itself after 5 minutes"
        );
    }
}

/// The script wrapped so it runs alone in the sandbox: rows inline, `result` printed after a marker.
pub fn wrap(script: &str, rows: &[Map<String, Value>]) -> String {
    // A JSON string literal is also a valid Python one (\", \\, \n, \uXXXX).
    let data = serde_json::to_string(rows).unwrap_or_else(|_| "[]".into());
    let literal = serde_json::to_string(&data).unwrap_or_else(|_| "\"[]\"".into());
    let marker = serde_json::to_string(MARKER).unwrap_or_default();
    format!("import json\nrows = json.loads({literal})\n\n{script}\n\nprint({marker} + json.dumps(result, default=str))\n")
}

/// Lines [`wrap`] puts before the script.
const WRAP_LINES: usize = 3;

/// The script's line the traceback's innermost frame names, if it is one of the script's.
fn script_line(output: &str, code: &str) -> Option<usize> {
    let line = output
        .lines()
        .rev()
        .filter_map(|l| l.trim().strip_prefix("File \"<string>\", line "))
        .find_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<usize>()
                .ok()
        })?;
    let script_lines = code.lines().count().saturating_sub(WRAP_LINES + 2);
    line.checked_sub(WRAP_LINES)
        .filter(|l| (1..=script_lines).contains(l))
}

/// The printed output and the result after the marker.
fn split_result(output: &str) -> (String, Option<Value>) {
    match output.rfind(MARKER) {
        Some(at) => {
            let printed = output[..at].to_string();
            let rest = output[at + MARKER.len()..]
                .lines()
                .next()
                .unwrap_or_default();
            (printed, serde_json::from_str(rest).ok())
        }
        None => (output.to_string(), None),
    }
}

impl CodeRunner for DaytonaRunner {
    fn run(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
    ) -> Result<PyOutput, PyError> {
        let code = wrap(script, rows);
        let born = Instant::now();
        let outcome = self.runtime.block_on(async {
            let (id, toolbox) = self.create().await?;
            let toolbox = if toolbox.is_empty() {
                format!("{}/toolbox", self.api)
            } else {
                toolbox
            };
            let outcome = match self.wait_started(&id).await {
                Ok(()) => self.code_run(&toolbox, &id, &code, limits).await,
                Err(e) => Err(e),
            };
            // Always: a sandbox is never left behind, whatever happened.
            self.delete(&id).await;
            outcome
        });
        // Billed per second of the sandbox's life (1 vCPU, 1 GiB, as created).
        let cost = born.elapsed().as_secs_f64() * crate::llm::prices::daytona_per_second(1.0, 1.0);
        *self
            .last_cost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = cost;
        outcome
    }

    fn last_cost_usd(&self) -> f64 {
        *self
            .last_cost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The longest a sandbox can live: the create call, starting, the run's time limit (and its
    /// call), and three delete attempts, each call at its full HTTP timeout.
    fn max_cost_usd(&self, limits: PyLimits) -> f64 {
        let lifetime = self.start_limit + limits.time + HTTP_TIMEOUT * 5;
        lifetime.as_secs_f64() * crate::llm::prices::daytona_per_second(1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_carries_rows_inline_and_the_result_after_a_marker() {
        let rows = vec![json!({"region": "West", "note": "say \"hi\"\n"})
            .as_object()
            .cloned()
            .unwrap()];
        let code = wrap("result = len(rows)", &rows);
        assert!(
            code.starts_with("import json\nrows = json.loads(\"[{\\\"region\\\""),
            "{code}"
        );
        assert!(
            code.ends_with("print(\"__PLAINSIGHT_RESULT__\" + json.dumps(result, default=str))\n")
        );
        let (printed, result) = split_result("hello\n__PLAINSIGHT_RESULT__[{\"a\": 1}]\n");
        assert_eq!(
            (printed.as_str(), result),
            ("hello\n", Some(json!([{"a": 1}])))
        );
        assert_eq!(split_result("Traceback…").1, None);
    }

    #[test]
    fn an_error_names_the_scripts_own_line() {
        let code = wrap("x = 1\ny = 2\nraise ValueError('no')", &[]);
        let traceback = |line: usize| {
            format!("Traceback (most recent call last):\n  File \"<string>\", line {line}, in <module>\nValueError: no\n")
        };
        assert_eq!(script_line(&traceback(6), &code), Some(3));
        // The wrapper's own lines, and lines past the script, are not the script's.
        assert_eq!(script_line(&traceback(2), &code), None);
        assert_eq!(script_line(&traceback(8), &code), None);
        assert_eq!(script_line("ValueError: no", &code), None);
    }
}
