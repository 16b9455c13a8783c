//! Langfuse's OTLP endpoint (`docs/external-apis.md` §4.2): `POST /api/public/otel/v1/traces`
//! with Basic auth and OTLP/JSON. [`LangfuseServer`] answers like Langfuse does — 400 for another
//! content type, an ingestion version above 4, or a span without a valid `traceId`/`spanId`; 401
//! for other credentials; 200 otherwise — and keeps every accepted span for the test to inspect.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};

use crate::{Recorded, Reply, Server};

/// The OTLP traces path.
pub const PATH: &str = "/api/public/otel/v1/traces";

/// One accepted span, flattened: ids, name and string/int attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// The parent's span id, or empty for a root span.
    pub parent_span_id: String,
    /// The span's name.
    pub name: String,
    /// Attributes as (key, value) with `stringValue`s as they are and `intValue`s as decimal text.
    pub attributes: Vec<(String, String)>,
    /// `startTimeUnixNano` and `endTimeUnixNano`.
    pub start_end: (u128, u128),
}

impl Span {
    /// The value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A Langfuse OTLP endpoint on 127.0.0.1 for one public/secret key pair.
pub struct LangfuseServer {
    /// The HTTP server (script failures with [`Server::push`]: queued replies come first).
    pub server: Server,
    spans: Arc<Mutex<Vec<Span>>>,
}

fn hex(s: &str, len: usize) -> bool {
    s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit()) && s.chars().any(|c| c != '0')
}

fn bad(message: &str) -> Reply {
    Reply::json(400, json!({"error": message}))
}

/// Checks an OTLP/JSON export as Langfuse would and returns its spans, or the reply to send.
pub fn parse(request: &Recorded, basic: &str) -> Result<Vec<Span>, Reply> {
    if request.header("authorization") != Some(basic) {
        return Err(Reply::json(401, json!({"message": "Invalid credentials"})));
    }
    if request
        .header("content-type")
        .is_none_or(|c| !c.starts_with("application/json"))
    {
        return Err(bad("Invalid content type"));
    }
    if request
        .header("x-langfuse-ingestion-version")
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| v > 4)
    {
        return Err(bad("Unsupported ingestion version"));
    }
    let body: Value = serde_json::from_str(&request.body)
        .map_err(|_| bad("Invalid OTLP trace export: not JSON"))?;
    let mut spans = Vec::new();
    for rs in body["resourceSpans"]
        .as_array()
        .ok_or_else(|| bad("Invalid OTLP trace export: no resourceSpans"))?
    {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for s in ss["spans"].as_array().into_iter().flatten() {
                let id = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                let (trace_id, span_id) = (id("traceId"), id("spanId"));
                if !hex(&trace_id, 32) || !hex(&span_id, 16) {
                    return Err(bad("Invalid OTLP trace export: invalid traceId or spanId"));
                }
                let time = |k: &str| {
                    s[k].as_str()
                        .and_then(|t| t.parse().ok())
                        .or_else(|| s[k].as_u64().map(u128::from))
                        .unwrap_or(0)
                };
                let attributes = s["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        let v = &a["value"];
                        let text = v["stringValue"]
                            .as_str()
                            .map(str::to_string)
                            .or_else(|| v["intValue"].as_str().map(str::to_string))
                            .unwrap_or_default();
                        (a["key"].as_str().unwrap_or_default().to_string(), text)
                    })
                    .collect();
                spans.push(Span {
                    trace_id,
                    span_id,
                    parent_span_id: id("parentSpanId"),
                    name: id("name"),
                    attributes,
                    start_end: (time("startTimeUnixNano"), time("endTimeUnixNano")),
                });
            }
        }
    }
    Ok(spans)
}

impl LangfuseServer {
    /// Starts the endpoint accepting `public`/`secret`.
    pub fn start(public: &str, secret: &str) -> LangfuseServer {
        let server = Server::start();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&spans);
        let basic = format!(
            "Basic {}",
            crate::openai::base64(format!("{public}:{secret}").as_bytes())
        );
        let queued = server.clone_queue_probe();
        server.handle(move |request| {
            if request.path_only() != PATH || request.method != "POST" {
                return Some(Reply::json(404, json!({"error": "not found"})));
            }
            // Scripted failures (429, 500, …) pushed by the test come first.
            if queued() {
                return None;
            }
            Some(match parse(request, &basic) {
                Ok(new) => {
                    kept.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend(new);
                    Reply::json(200, json!({}))
                }
                Err(reply) => reply,
            })
        });
        LangfuseServer { server, spans }
    }

    /// The base URL (the Langfuse host).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Every span accepted so far.
    pub fn spans(&self) -> Vec<Span> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
