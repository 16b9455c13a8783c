//! Langfuse over OTLP/JSON: `POST {host}/api/public/otel/v1/traces` with Basic auth
//! (`public:secret`) and `x-langfuse-ingestion-version: 4` (the legacy `/api/public/ingestion`
//! was removed from Langfuse Cloud on 2026-11-16).
//!
//! One trace per question: a root `question` span, a child span per stage, and the AI call as a
//! `generation` observation (model, usage, cost, the prompt without data rows, the code). Traces
//! wait in a bounded queue (the oldest dropped, and counted, when it is full) and a background
//! thread sends them in batches, retrying 429 and 5xx (honouring `Retry-After`) behind its own
//! circuit breaker. Nothing here ever blocks or fails an answer.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use serde_json::{json, Value};

use super::{QuestionTrace, Stage, Tracer};
use crate::secret::Secret;

/// Environment names (see `.env.example`).
pub const HOST_ENV: &str = "LANGFUSE_HOST";
pub const DEFAULT_HOST: &str = "https://cloud.langfuse.com";

/// Traces kept while Langfuse is slow or down; beyond this the oldest are dropped.
pub const QUEUE_LIMIT: usize = 256;
/// Traces per POST.
const BATCH: usize = 20;
/// Attempts per batch (429 and 5xx are retried).
const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` honoured before the batch is given up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Queue {
    pending: VecDeque<QuestionTrace>,
    /// Traces being sent now.
    in_flight: usize,
    dropped: u64,
    exported: u64,
    failed: u64,
    /// Times the exporter found Langfuse paused and held the queue back.
    held: u64,
    stop: bool,
}

/// Counters for the Settings screen and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportStats {
    pub exported: u64,
    /// Dropped because the queue was full.
    pub dropped: u64,
    /// Given up after retries, or refused (4xx).
    pub failed: u64,
    pub pending: usize,
    /// Times the exporter found Langfuse paused after failures and held the queue back.
    pub held: u64,
}

/// The Langfuse exporter.
pub struct LangfuseTracer {
    shared: Arc<(Mutex<Queue>, Condvar)>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for LangfuseTracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangfuseTracer").finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The exporter the keychain (or environment) and `host` ask for; `None` when either key is
/// missing (tracing is then off, silently).
pub fn configured(
    store: &dyn crate::secrets::SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
    host: &str,
) -> Result<Option<LangfuseTracer>, String> {
    use crate::secrets::{lookup, KeyName};
    let public = lookup(store, &KeyName::LangfusePublic, env).map_err(|e| e.to_string())?;
    let secret = lookup(store, &KeyName::LangfuseSecret, env).map_err(|e| e.to_string())?;
    match (public, secret) {
        (Some((public, _)), Some((secret, _))) => {
            let host = env(HOST_ENV).unwrap_or_else(|| host.to_string());
            check_host(&host)?;
            LangfuseTracer::start(&host, &public, &secret).map(Some)
        }
        _ => Ok(None),
    }
}

/// The keys travel in every request: HTTPS, or plain HTTP only to this computer.
pub fn check_host(host: &str) -> Result<(), String> {
    let rest = host.strip_prefix("http://");
    let local = rest.is_some_and(|r| {
        r.starts_with("127.") || r.starts_with("localhost") || r.starts_with("[::1]")
    });
    if host.starts_with("https://") || local {
        Ok(())
    } else {
        Err(format!("the Langfuse address must start with https:// (plain http:// only for this computer), not {host:?}"))
    }
}

impl LangfuseTracer {
    /// Starts the background sender for `host` (`https://cloud.langfuse.com`,
    /// `https://us.cloud.langfuse.com` or a self-hosted URL).
    pub fn start(host: &str, public: &Secret, secret: &Secret) -> Result<Self, String> {
        let url = format!("{}/api/public/otel/v1/traces", host.trim_end_matches('/'));
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                public.expose(),
                secret.expose()
            ))
        );
        let client = crate::http::https_builder()?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("langfuse-export".into())
            .spawn(move || run(&worker_shared, &client, &url, &auth))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            shared,
            worker: Some(worker),
        })
    }

    pub fn stats(&self) -> ExportStats {
        let q = lock(&self.shared.0);
        ExportStats {
            exported: q.exported,
            dropped: q.dropped,
            failed: q.failed,
            pending: q.pending.len() + q.in_flight,
            held: q.held,
        }
    }
}

impl Tracer for LangfuseTracer {
    fn export(&self, trace: QuestionTrace) {
        let (m, cv) = &*self.shared;
        let mut q = lock(m);
        if q.pending.len() >= QUEUE_LIMIT {
            q.pending.pop_front();
            q.dropped += 1;
        }
        q.pending.push_back(trace);
        cv.notify_all();
    }

    fn flush(&self, limit: Duration) {
        let (m, cv) = &*self.shared;
        let deadline = Instant::now()
            .checked_add(limit)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let mut q = lock(m);
        while !(q.pending.is_empty() && q.in_flight == 0) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(
                    pending = q.pending.len() + q.in_flight,
                    "traces not sent before exit"
                );
                return;
            }
            q = cv
                .wait_timeout(q, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

impl Drop for LangfuseTracer {
    fn drop(&mut self) {
        // Replaced (settings changed) or closing: what is queued gets a moment to go out, then
        // the sender is told to stop. It is not waited for: a request to a slow Langfuse must
        // not hold up whoever dropped this (it ends within one request's timeout).
        self.flush(Duration::from_secs(1));
        let (m, cv) = &*self.shared;
        lock(m).stop = true;
        cv.notify_all();
        drop(self.worker.take());
    }
}

/// The sender: waits for traces, posts them in batches, pauses behind its breaker.
fn run(shared: &(Mutex<Queue>, Condvar), client: &reqwest::Client, url: &str, auth: &str) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let mut breaker = crate::breaker::Breaker::new(crate::breaker::Config {
        threshold: 3,
        cool_down: Duration::from_secs(30),
    });
    let (m, cv) = shared;
    loop {
        let batch: Vec<QuestionTrace> = {
            let mut q = lock(m);
            while q.pending.is_empty() && !q.stop {
                q = cv.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
            if q.stop {
                return;
            }
            // Paused after failures: wait (traces keep queuing, the oldest dropped when full).
            if let Err(until) = breaker.allow(chrono::Utc::now().naive_utc()) {
                q.held += 1;
                cv.notify_all();
                let wait = (until - chrono::Utc::now().naive_utc())
                    .to_std()
                    .unwrap_or(Duration::from_secs(1));
                drop(
                    cv.wait_timeout(q, wait.min(Duration::from_secs(5)))
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0),
                );
                continue;
            }
            let n = q.pending.len().min(BATCH);
            q.in_flight = n;
            q.pending.drain(..n).collect()
        };
        let body = otlp_json(&batch).to_string();
        let outcome = runtime.block_on(send(client, url, auth, &body, shared));
        let mut q = lock(m);
        q.in_flight = 0;
        match outcome {
            Sent::Ok => {
                breaker.success();
                q.exported += batch.len() as u64;
            }
            Sent::Refused(status) => {
                // Our request's fault (bad key, bad body): retrying will not help.
                breaker.success();
                q.failed += batch.len() as u64;
                tracing::warn!(status, traces = batch.len(), "Langfuse refused the traces");
            }
            Sent::Outage(why) => {
                breaker.outage(chrono::Utc::now().naive_utc());
                q.failed += batch.len() as u64;
                tracing::warn!(why = %why, traces = batch.len(), "Langfuse is unavailable; traces dropped");
            }
        }
        cv.notify_all();
    }
}

enum Sent {
    Ok,
    Refused(u16),
    Outage(String),
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    body: &str,
    shared: &(Mutex<Queue>, Condvar),
) -> Sent {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        if lock(&shared.0).stop {
            return Sent::Outage("stopping".into());
        }
        let resp = client
            .post(url)
            .header("authorization", auth)
            .header("content-type", "application/json")
            .header("x-langfuse-ingestion-version", "4")
            .body(body.to_string())
            .send()
            .await;
        let wait = match resp {
            Ok(r) if r.status().is_success() => return Sent::Ok,
            Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => {
                last = format!("HTTP {}", r.status().as_u16());
                let after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    // "inf", "1e30" or "-1": no panic; an absurd wait is an outage.
                    .map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX));
                match after {
                    Some(a) if a > MAX_RETRY_AFTER => {
                        return Sent::Outage(format!("{last}, retry after {} s", a.as_secs()))
                    }
                    Some(a) => a,
                    None => Duration::from_millis(100 << attempt),
                }
            }
            Ok(r) => return Sent::Refused(r.status().as_u16()),
            Err(e) => {
                last = if e.is_timeout() {
                    "timed out".into()
                } else {
                    "connection failed".into()
                };
                Duration::from_millis(100 << attempt)
            }
        };
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
        }
    }
    Sent::Outage(last)
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

fn attr(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

fn int_attr(key: &str, value: u64) -> Value {
    json!({"key": key, "value": {"intValue": value.to_string()}})
}

fn stage_span(trace_id: &str, parent: &str, s: &Stage) -> Value {
    let end = s.started.checked_add(s.duration).unwrap_or(s.started);
    let mut attributes = vec![attr("plainsight.outcome", &s.outcome)];
    match &s.generation {
        Some(g) => {
            attributes.extend([
                attr("langfuse.observation.type", "generation"),
                attr("gen_ai.request.model", &g.model),
                attr("langfuse.observation.model.name", &g.model),
                int_attr("gen_ai.usage.input_tokens", g.input_tokens),
                int_attr("gen_ai.usage.output_tokens", g.output_tokens),
                attr(
                    "langfuse.observation.usage_details",
                    &json!({"input": g.input_tokens, "output": g.output_tokens}).to_string(),
                ),
                attr(
                    "langfuse.observation.cost_details",
                    &json!({"total": g.cost_usd}).to_string(),
                ),
                attr(
                    "langfuse.observation.input",
                    &Value::String(g.input.clone()).to_string(),
                ),
                attr(
                    "langfuse.observation.output",
                    &Value::String(g.output.clone()).to_string(),
                ),
            ]);
        }
        None => attributes.push(attr("langfuse.observation.type", "span")),
    }
    json!({
        "traceId": trace_id, "spanId": crate::random_hex(8), "parentSpanId": parent, "name": s.name, "kind": 1,
        "startTimeUnixNano": nanos(s.started), "endTimeUnixNano": nanos(end),
        "attributes": attributes,
        "status": if s.outcome == "failed" { json!({"code": 2}) } else { json!({}) },
    })
}

/// OTLP/JSON `ExportTraceServiceRequest` for `traces`: per trace a root `question` span and its
/// stages as children.
pub fn otlp_json(traces: &[QuestionTrace]) -> Value {
    let mut spans = Vec::new();
    for t in traces {
        let trace_id = crate::random_hex(16);
        let root = crate::random_hex(8);
        let output = json!({"route": t.route, "error_kind": t.error_kind, "cache": t.cache, "cost_usd": t.cost_usd});
        spans.push(json!({
            "traceId": trace_id, "spanId": root, "name": "question", "kind": 1,
            "startTimeUnixNano": nanos(t.started), "endTimeUnixNano": nanos(t.started.checked_add(t.duration).unwrap_or(t.started)),
            "attributes": [
                attr("langfuse.trace.name", "question"),
                attr("langfuse.observation.type", "span"),
                attr("langfuse.trace.input", &Value::String(t.question.clone()).to_string()),
                attr("langfuse.trace.output", &output.to_string()),
                attr("langfuse.observation.input", &Value::String(t.question.clone()).to_string()),
                attr("langfuse.observation.output", &output.to_string()),
            ],
            "status": {},
        }));
        spans.extend(t.stages.iter().map(|s| stage_span(&trace_id, &root, s)));
    }
    json!({"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", "plainsight"), attr("service.version", env!("CARGO_PKG_VERSION"))]},
        "scopeSpans": [{"scope": {"name": "plainsight", "version": env!("CARGO_PKG_VERSION")}, "spans": spans}],
    }]})
}
