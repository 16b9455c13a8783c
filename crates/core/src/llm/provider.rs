//! `LlmProvider`: one chat call to an LLM, over reqwest + rustls, with three real wire formats:
//! Perplexity's Agent API (`POST {base}/v1/agent`), Perplexity Sonar chat completions
//! (`POST {base}/chat/completions`) and OpenAI-compatible chat completions
//! (`POST {base}/chat/completions`, base including `/v1`: OpenAI, Ollama, LM Studio, …).
//!
//! The client is blocking for its caller (the pipeline runs on a worker thread) and async
//! inside, on its own small runtime, so a Stop press is noticed within 50 ms. Retries are
//! bounded (default 2) with exponential backoff on 408, 409, 429 and 5xx and on timeouts,
//! honouring `retry-after` / `retry-after-ms`. Every failure becomes an [`LlmError`] whose message
//! says what happened and what to do, never the key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::secret::Secret;

/// Which wire format and defaults to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderKind {
    /// Perplexity Agent API, web search off (no `web_search` tool).
    #[default]
    Perplexity,
    /// Perplexity Sonar chat completions, `disable_search: true`.
    PerplexitySonar,
    /// Any OpenAI-compatible chat completions endpoint.
    OpenAi,
}

impl ProviderKind {
    /// The setting's spelling: `perplexity`, `perplexity-sonar`, `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Perplexity => "perplexity",
            Self::PerplexitySonar => "perplexity-sonar",
            Self::OpenAi => "openai",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "perplexity" | "perplexity-agent" => Some(Self::Perplexity),
            "perplexity-sonar" | "sonar" => Some(Self::PerplexitySonar),
            "openai" | "openai-compatible" | "ollama" | "lmstudio" | "lm-studio" => {
                Some(Self::OpenAi)
            }
            _ => None,
        }
    }

    /// What to call it in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Perplexity | Self::PerplexitySonar => "Perplexity",
            Self::OpenAi => "The AI provider",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Perplexity | Self::PerplexitySonar => "https://api.perplexity.ai",
            Self::OpenAi => "https://api.openai.com/v1",
        }
    }

    pub fn default_model(self) -> &'static str {
        match self {
            Self::Perplexity => "perplexity/sonar",
            Self::PerplexitySonar => "sonar",
            Self::OpenAi => "gpt-4o-mini",
        }
    }

    /// Its keychain entry.
    pub fn key_name(self) -> crate::secrets::KeyName {
        match self {
            Self::Perplexity | Self::PerplexitySonar => crate::secrets::KeyName::Perplexity,
            Self::OpenAi => crate::secrets::KeyName::OpenAi,
        }
    }

    /// The environment variable read as a developer override of the keychain.
    pub fn key_env(self) -> &'static str {
        match self {
            Self::Perplexity | Self::PerplexitySonar => "PERPLEXITY_API_KEY",
            Self::OpenAi => "OPENAI_API_KEY",
        }
    }

    fn endpoint(self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        match self {
            Self::Perplexity => format!("{base}/v1/agent"),
            Self::PerplexitySonar | Self::OpenAi => format!("{base}/chat/completions"),
        }
    }
}

/// Provider settings.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub model: String,
    pub base_url: String,
    /// `None` for local servers that need none (Ollama, LM Studio).
    pub api_key: Option<Secret>,
    /// The whole call, per attempt.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra attempts after the first, on retryable failures.
    pub max_retries: u32,
}

impl ProviderConfig {
    pub fn new(kind: ProviderKind) -> Self {
        Self {
            kind,
            model: kind.default_model().to_string(),
            base_url: kind.default_base_url().to_string(),
            api_key: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            max_retries: 2,
        }
    }
}

/// One request: a system prompt and alternating user/assistant turns (Perplexity requires
/// alternation), a hard output cap, and an optional JSON schema for structured output.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub system: String,
    /// `(is_user, text)`, starting with the user.
    pub turns: Vec<(bool, String)>,
    pub max_tokens: u32,
    pub json_schema: Option<Value>,
}

/// What the provider said it cost, in USD.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReportedCost {
    pub input: f64,
    pub output: f64,
    /// Request, search and tool fees.
    pub fees: f64,
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Present when the provider reports cost (Perplexity); otherwise priced from the table.
    pub cost: Option<ReportedCost>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// HTTP attempts made (1 + retries).
    pub attempts: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LlmError {
    #[error("{provider} has no API key yet; add one in Settings → API keys (or set {env})")]
    NoKey {
        provider: &'static str,
        env: &'static str,
    },
    #[error("{provider} rejected the API key; open Settings → API keys and check it")]
    Unauthorized { provider: &'static str },
    #[error("{provider} refused the request: {message}")]
    Rejected {
        provider: &'static str,
        message: String,
    },
    #[error("{provider} is busy (rate limit reached); try again {}", when(*retry_after))]
    RateLimited {
        provider: &'static str,
        retry_after: Option<u64>,
    },
    #[error("{provider} had a problem on its side (HTTP {status}); try again in a minute")]
    Server { provider: &'static str, status: u16 },
    #[error(
        "{provider} did not answer within {secs} s; try again, or raise the time limit in Settings"
    )]
    Timeout { provider: &'static str, secs: u64 },
    #[error("could not reach {provider} at {url}; check the internet connection (or that the local server is running)")]
    Connect { provider: &'static str, url: String },
    #[error("stopped")]
    Cancelled,
    #[error("{provider} sent a reply Plainsight could not read ({detail})")]
    BadReply {
        provider: &'static str,
        detail: String,
    },
    #[error("{provider} could not finish the answer: {message}")]
    Failed {
        provider: &'static str,
        message: String,
    },
}

fn when(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(s) if s <= 90 => format!("in {s} seconds"),
        Some(s) => format!("in about {} minutes", s.div_ceil(60)),
        None => "in a minute".into(),
    }
}

impl LlmError {
    /// A stable kind for the UI and the CLI's `error_kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NoKey { .. } => "llm_no_key",
            Self::Unauthorized { .. } => "llm_unauthorized",
            Self::Rejected { .. } => "llm_rejected",
            Self::RateLimited { .. } => "llm_rate_limited",
            Self::Server { .. } => "llm_server_error",
            Self::Timeout { .. } => "llm_timeout",
            Self::Connect { .. } => "llm_unreachable",
            Self::Cancelled => "cancelled",
            Self::BadReply { .. } => "llm_bad_reply",
            Self::Failed { .. } => "llm_failed",
        }
    }

    /// Failures that say the provider is unhealthy (for the circuit breaker), as opposed to
    /// this one request being wrong or stopped.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Connect { .. }
                | Self::RateLimited { .. }
                | Self::BadReply { .. }
        )
    }
}

/// One chat call to an LLM.
pub trait LlmProvider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    fn model(&self) -> &str;
    /// Where it is served (to price local servers as free).
    fn base_url(&self) -> &str;
    /// Extra HTTP attempts a call may make after the first (each may be billed).
    fn max_retries(&self) -> u32 {
        2
    }
    /// Sends `request`; blocks until the reply, a final failure, or `cancel` is raised.
    fn complete(
        &self,
        request: &ChatRequest,
        cancel: Option<&AtomicBool>,
    ) -> Result<Completion, LlmError>;
}

/// The real provider: any of the three wire formats over HTTPS (or HTTP on loopback).
pub struct HttpProvider {
    config: ProviderConfig,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for HttpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProvider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpProvider {
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let provider = config.kind.display_name();
        let setup = |e: String| LlmError::Failed {
            provider,
            message: format!("the secure connection could not be set up ({e})"),
        };
        let client = crate::http::https_builder()
            .map_err(setup)?
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("Plainsight/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Self {
            config,
            client,
            runtime,
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The request body in this provider's wire format.
    pub fn body(&self, request: &ChatRequest) -> Value {
        let model = self.config.model.as_str();
        match self.config.kind {
            ProviderKind::Perplexity => {
                let input: Vec<Value> = request
                    .turns
                    .iter()
                    .map(|(user, text)| json!({"role": if *user { "user" } else { "assistant" }, "content": text}))
                    .collect();
                let mut body = json!({
                    "model": model,
                    "instructions": request.system,
                    "input": input,
                    "max_output_tokens": request.max_tokens,
                });
                if let Some(schema) = &request.json_schema {
                    body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "plainsight_answer", "schema": schema}});
                }
                body
            }
            ProviderKind::PerplexitySonar | ProviderKind::OpenAi => {
                let mut messages = vec![json!({"role": "system", "content": request.system})];
                messages.extend(
                    request.turns.iter().map(|(user, text)| json!({"role": if *user { "user" } else { "assistant" }, "content": text})),
                );
                let mut body = json!({"model": model, "messages": messages, "max_tokens": request.max_tokens, "temperature": 0});
                if self.config.kind == ProviderKind::PerplexitySonar {
                    body["disable_search"] = json!(true);
                }
                if let Some(schema) = &request.json_schema {
                    body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "plainsight_answer", "schema": schema, "strict": false}});
                }
                body
            }
        }
    }

    async fn attempt(
        &self,
        url: &str,
        body: &Value,
    ) -> Result<(u16, reqwest::header::HeaderMap, String), reqwest::Error> {
        let mut req = self.client.post(url).json(body);
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key.expose());
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = capped_text(resp).await?;
        Ok((status, headers, text))
    }

    async fn call(
        &self,
        request: &ChatRequest,
        cancel: Option<&AtomicBool>,
    ) -> Result<Completion, LlmError> {
        let provider = self.config.kind.display_name();
        let url = self.config.kind.endpoint(&self.config.base_url);
        let body = self.body(request);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let outcome = tokio::select! {
                r = self.attempt(&url, &body) => r,
                () = cancelled(cancel) => return Err(LlmError::Cancelled),
            };
            let failure = match outcome {
                Ok((status, _, text)) if (200..300).contains(&status) => {
                    return self.parse(&text, attempts)
                }
                Ok((status, headers, text)) => classify(provider, status, &headers, &text),
                Err(e) if e.is_timeout() => (
                    LlmError::Timeout {
                        provider,
                        secs: self.config.timeout.as_secs(),
                    },
                    Some(Duration::ZERO),
                ),
                Err(e) if e.is_connect() => (
                    LlmError::Connect {
                        provider,
                        url: redact_url(&self.config.base_url),
                    },
                    None,
                ),
                Err(e) => (
                    LlmError::BadReply {
                        provider,
                        detail: without_url(&e),
                    },
                    None,
                ),
            };
            let (error, retry_in) = failure;
            let Some(wait) = retry_in else {
                return Err(error);
            };
            if attempts > self.config.max_retries {
                return Err(error);
            }
            let wait = if wait.is_zero() {
                backoff(attempts)
            } else {
                wait
            };
            // A provider asking for a long pause: say so now rather than hold the question.
            if wait > Duration::from_secs(20) {
                return Err(error);
            }
            tracing::info!(
                provider,
                attempt = attempts,
                wait_ms = wait.as_millis() as u64,
                kind = error.kind(),
                "retrying the AI request"
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = cancelled(cancel) => return Err(LlmError::Cancelled),
            }
        }
    }

    /// The cheapest real call that proves the key and address work: the model list on
    /// OpenAI-compatible servers (free), a one-token completion on Perplexity.
    pub fn check(&self) -> Result<String, LlmError> {
        let provider = self.config.kind.display_name();
        if self.config.api_key.is_none() && self.config.kind != ProviderKind::OpenAi {
            return Err(LlmError::NoKey {
                provider,
                env: self.config.kind.key_env(),
            });
        }
        if self.config.kind == ProviderKind::OpenAi {
            let url = format!("{}/models", self.config.base_url.trim_end_matches('/'));
            let outcome = self.runtime.block_on(async {
                let mut req = self.client.get(&url);
                if let Some(key) = &self.config.api_key {
                    req = req.bearer_auth(key.expose());
                }
                let resp = req.send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                Ok::<_, reqwest::Error>((status, headers, capped_text(resp).await?))
            });
            return match outcome {
                Ok((status, _, text)) if (200..300).contains(&status) => {
                    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let n = v["data"].as_array().map_or(0, Vec::len);
                    Ok(format!("Connected: {n} models available."))
                }
                Ok((status, headers, text)) => Err(classify(provider, status, &headers, &text).0),
                Err(e) if e.is_timeout() => Err(LlmError::Timeout {
                    provider,
                    secs: self.config.timeout.as_secs(),
                }),
                Err(e) if e.is_connect() => Err(LlmError::Connect {
                    provider,
                    url: redact_url(&self.config.base_url),
                }),
                Err(e) => Err(LlmError::BadReply {
                    provider,
                    detail: without_url(&e),
                }),
            };
        }
        let request = ChatRequest {
            system: "Reply with OK.".into(),
            turns: vec![(true, "OK?".into())],
            max_tokens: 1,
            json_schema: None,
        };
        let done = self.complete(&request, None)?;
        Ok(format!("Connected to {provider} ({}).", done.model))
    }

    fn parse(&self, text: &str, attempts: u32) -> Result<Completion, LlmError> {
        let provider = self.config.kind.display_name();
        let bad = |detail: &str| LlmError::BadReply {
            provider,
            detail: detail.to_string(),
        };
        let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        // The provider's words pass the redaction wall as they arrive: a reply (or the model name
        // it reports) may quote the key back, and from here they are shown, cached and logged.
        let model = crate::redact::redact(v["model"].as_str().unwrap_or(&self.config.model));
        match self.config.kind {
            ProviderKind::Perplexity => {
                match v["status"].as_str() {
                    Some("completed") | None => {}
                    Some(other) => {
                        let message = v["error"]["message"].as_str().map_or_else(
                            || format!("the run ended as \"{other}\""),
                            crate::redact::redact,
                        );
                        return Err(LlmError::Failed { provider, message });
                    }
                }
                let text: String = v["output"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|item| item["type"] == "message")
                    .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
                    .filter(|part| part["type"] == "output_text")
                    .filter_map(|part| part["text"].as_str().map(crate::redact::redact))
                    .collect();
                let u = &v["usage"];
                let cost = u["cost"].is_object().then(|| {
                    let c = &u["cost"];
                    let (input, output, fees) = (
                        num(&c["input_cost"]),
                        num(&c["output_cost"]),
                        num(&c["tool_calls_cost"]),
                    );
                    ReportedCost {
                        input,
                        output,
                        fees,
                        total: c["total_cost"].as_f64().unwrap_or(input + output + fees),
                    }
                });
                let usage = Usage {
                    input_tokens: int(&u["input_tokens"]),
                    output_tokens: int(&u["output_tokens"]),
                    cost,
                };
                Ok(Completion {
                    text,
                    usage,
                    model,
                    attempts,
                })
            }
            ProviderKind::PerplexitySonar | ProviderKind::OpenAi => {
                let choice = &v["choices"][0];
                let text = choice["message"]["content"]
                    .as_str()
                    .or_else(|| choice["delta"]["content"].as_str())
                    .map(crate::redact::redact)
                    .ok_or_else(|| bad("no message in the reply"))?;
                let u = &v["usage"];
                let cost = u["cost"].is_object().then(|| {
                    let c = &u["cost"];
                    let (input, output) =
                        (num(&c["input_tokens_cost"]), num(&c["output_tokens_cost"]));
                    let fees = num(&c["request_cost"])
                        + num(&c["citation_tokens_cost"])
                        + num(&c["reasoning_tokens_cost"])
                        + num(&c["search_queries_cost"]);
                    ReportedCost {
                        input,
                        output,
                        fees,
                        total: c["total_cost"].as_f64().unwrap_or(input + output + fees),
                    }
                });
                let usage = Usage {
                    input_tokens: int(&u["prompt_tokens"]),
                    output_tokens: int(&u["completion_tokens"]),
                    cost,
                };
                Ok(Completion {
                    text,
                    usage,
                    model,
                    attempts,
                })
            }
        }
    }
}

impl LlmProvider for HttpProvider {
    fn kind(&self) -> ProviderKind {
        self.config.kind
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn max_retries(&self) -> u32 {
        self.config.max_retries
    }

    fn complete(
        &self,
        request: &ChatRequest,
        cancel: Option<&AtomicBool>,
    ) -> Result<Completion, LlmError> {
        let provider = self.config.kind.display_name();
        if self.config.api_key.is_none() && self.config.kind != ProviderKind::OpenAi {
            return Err(LlmError::NoKey {
                provider,
                env: self.config.kind.key_env(),
            });
        }
        self.runtime.block_on(self.call(request, cancel))
    }
}

use crate::http::capped_text;
pub use crate::http::MAX_PROVIDER_BODY;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Resolves when `cancel` is raised (checked every 50 ms); never without one.
async fn cancelled(cancel: Option<&AtomicBool>) {
    match cancel {
        Some(flag) => {
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        None => std::future::pending().await,
    }
}

/// 0.5 s, 1 s, 2 s, … capped at 8 s (as the official SDKs do).
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.saturating_sub(1).min(4)))
        .min(Duration::from_secs(8))
}

/// `retry-after-ms`, or `retry-after` in seconds.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    get("retry-after-ms")
        .map(|ms| Duration::from_millis(ms.max(0.0) as u64))
        .or_else(|| get("retry-after").map(|s| Duration::from_secs_f64(s.max(0.0))))
}

/// A failed HTTP status as an error, and whether (and when) to retry: `Some(ZERO)` = backoff.
fn classify(
    provider: &'static str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    text: &str,
) -> (LlmError, Option<Duration>) {
    let message = error_message(text);
    match status {
        401 | 403 => (LlmError::Unauthorized { provider }, None),
        429 => {
            let after = retry_after(headers);
            (
                LlmError::RateLimited {
                    provider,
                    retry_after: after.map(|d| d.as_secs()),
                },
                Some(after.unwrap_or(Duration::ZERO)),
            )
        }
        408 | 409 => (
            LlmError::Server { provider, status },
            Some(retry_after(headers).unwrap_or(Duration::ZERO)),
        ),
        500..=599 => (
            LlmError::Server { provider, status },
            Some(retry_after(headers).unwrap_or(Duration::ZERO)),
        ),
        _ => (
            LlmError::Rejected {
                provider,
                message: message.unwrap_or_else(|| format!("HTTP {status}")),
            },
            None,
        ),
    }
}

/// The human part of an error body: `error.message` (OpenAI, Perplexity), FastAPI's
/// `detail[].msg` (422), or nothing for HTML pages.
fn error_message(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let message = v["error"]["message"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            v["detail"].as_array().map(|d| {
                d.iter()
                    .filter_map(|x| x["msg"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .or_else(|| v["detail"].as_str().map(str::to_string))
        .or_else(|| v["message"].as_str().map(str::to_string))?;
    // An error body may quote the key or a password back: masked before it goes anywhere.
    let message: String = crate::redact::redact(&message.chars().take(300).collect::<String>());
    (!message.trim().is_empty()).then_some(message)
}

/// A base URL without any user:password part, for messages.
fn redact_url(url: &str) -> String {
    crate::source::postgres::redact(url)
}

/// reqwest's error text without the URL (which could carry a query string).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "the provider");
    }
    s
}

/// Environment variables that choose the provider (developer overrides of the settings).
pub const PROVIDER_ENV: &str = "PLAINSIGHT_LLM_PROVIDER";
pub const MODEL_ENV: &str = "PLAINSIGHT_LLM_MODEL";
pub const BASE_URL_ENV: &str = "PLAINSIGHT_LLM_BASE_URL";
pub const TIMEOUT_ENV: &str = "PLAINSIGHT_LLM_TIMEOUT_SECS";

/// Overrides on top of the environment (the CLI's `--provider`, `--model`, `--base-url`).
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
}

/// The provider to use, from `choice` and the environment, or `None` when none is configured:
/// a hosted provider needs its key (from `key`: the keychain, or `PERPLEXITY_API_KEY` /
/// `OPENAI_API_KEY` as an override); an OpenAI-compatible server on this computer (Ollama, LM
/// Studio) needs none. An unknown provider name is an error.
pub fn configured(
    choice: &Choice,
    env: &dyn Fn(&str) -> Option<String>,
    key: &dyn Fn(ProviderKind) -> Option<Secret>,
) -> Result<Option<ProviderConfig>, String> {
    let named = choice.provider.clone().or_else(|| env(PROVIDER_ENV));
    let kind = match &named {
        Some(name) => ProviderKind::parse(name).ok_or_else(|| {
            format!("{name:?} is not a provider; use perplexity, perplexity-sonar or openai")
        })?,
        None => ProviderKind::default(),
    };
    let mut config = ProviderConfig::new(kind);
    if let Some(model) = choice.model.clone().or_else(|| env(MODEL_ENV)) {
        config.model = model;
    }
    if let Some(base) = choice.base_url.clone().or_else(|| env(BASE_URL_ENV)) {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!("the AI base URL must start with https:// (or http:// for a local server), not {base:?}"));
        }
        config.base_url = base.trim_end_matches('/').to_string();
    }
    if let Some(secs) = env(TIMEOUT_ENV) {
        let secs: u64 = secs.trim().parse().map_err(|_| {
            format!("{TIMEOUT_ENV} must be a whole number of seconds, not {secs:?}")
        })?;
        config.timeout = Duration::from_secs(secs.clamp(1, 900));
    }
    config.api_key = key(kind);
    let local = crate::http::is_local(&config.base_url);
    // The key travels only encrypted, or to this computer; and never inside the URL itself.
    if let Ok(url) = reqwest::Url::parse(&config.base_url) {
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the AI base URL must not contain a user name or password; put the key in Settings → API keys".into());
        }
        if url.query_pairs().any(|(k, _)| {
            [
                "key",
                "api_key",
                "apikey",
                "token",
                "access_token",
                "secret",
            ]
            .contains(&k.to_ascii_lowercase().as_str())
        }) {
            return Err("the AI base URL must not carry a key in its query; put the key in Settings → API keys".into());
        }
        if url.scheme() == "http" && !local && config.api_key.is_some() {
            return Err("the AI base URL must start with https:// to send your key (http:// is only for a server on this computer)".into());
        }
    }
    // Without a key only an OpenAI-compatible server of one's own (Ollama, LM Studio, a LAN box) works.
    let own_server = local || config.base_url != ProviderKind::OpenAi.default_base_url();
    let usable = config.api_key.is_some() || (kind == ProviderKind::OpenAi && own_server);
    Ok(usable.then_some(config))
}

/// The key for `kind` from the environment override or `store`; a keychain that cannot be read
/// counts as no key (the app keeps working offline) and is logged.
pub fn key_from(
    store: &dyn crate::secrets::SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
    kind: ProviderKind,
) -> Option<Secret> {
    match crate::secrets::lookup(store, &kind.key_name(), env) {
        Ok(found) => found.map(|(secret, _)| secret),
        Err(e) => {
            tracing::debug!(error = %e, "the keychain could not be read; the AI is off");
            None
        }
    }
}

/// Builds the configured provider.
pub fn from_config(config: ProviderConfig) -> Result<Arc<dyn LlmProvider>, LlmError> {
    Ok(Arc::new(HttpProvider::new(config)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_parse_and_say_where_their_key_lives() {
        assert_eq!(
            ProviderKind::parse("Perplexity"),
            Some(ProviderKind::Perplexity)
        );
        assert_eq!(
            ProviderKind::parse("perplexity-sonar"),
            Some(ProviderKind::PerplexitySonar)
        );
        assert_eq!(ProviderKind::parse("ollama"), Some(ProviderKind::OpenAi));
        assert_eq!(ProviderKind::parse("gemini"), None);
        assert_eq!(
            ProviderKind::Perplexity.endpoint("https://api.perplexity.ai/"),
            "https://api.perplexity.ai/v1/agent"
        );
        assert_eq!(
            ProviderKind::OpenAi.endpoint("http://localhost:11434/v1"),
            "http://localhost:11434/v1/chat/completions"
        );
        let err = LlmError::NoKey {
            provider: "Perplexity",
            env: "PERPLEXITY_API_KEY",
        };
        assert_eq!(err.to_string(), "Perplexity has no API key yet; add one in Settings → API keys (or set PERPLEXITY_API_KEY)");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(9), Duration::from_secs(8));
    }

    #[test]
    fn error_bodies_of_each_provider_become_plain_messages() {
        assert_eq!(
            error_message(
                r#"{"error":{"message":"Invalid model 'x'.","type":"invalid_model","code":400}}"#
            )
            .as_deref(),
            Some("Invalid model 'x'.")
        );
        assert_eq!(
            error_message(
                r#"{"detail":[{"loc":["body"],"msg":"field required","type":"value_error"}]}"#
            )
            .as_deref(),
            Some("field required")
        );
        assert_eq!(
            error_message("<html><body><h1>401 Authorization Required</h1></body></html>"),
            None
        );
        assert_eq!(when(Some(30)), "in 30 seconds");
        assert_eq!(when(Some(600)), "in about 10 minutes");
    }

    #[test]
    fn keys_travel_only_encrypted_or_to_this_computer_and_never_in_the_url() {
        let key = |_: ProviderKind| Some(Secret::new("sk-test-0123456789abcdef"));
        let no_env = |_: &str| None;
        let with = |base: &str| {
            let choice = Choice {
                provider: Some("openai".into()),
                model: None,
                base_url: Some(base.into()),
            };
            configured(&choice, &no_env, &key).map(|c| c.is_some())
        };
        assert_eq!(with("https://api.example.com/v1"), Ok(true));
        assert_eq!(with("http://127.0.0.1:9/v1"), Ok(true));
        for (base, says) in [
            ("http://api.example.com/v1", "https://"),
            ("http://127.0.0.1@api.example.com/v1", "user name"),
            ("https://user:pw@api.example.com/v1", "user name"),
            ("https://api.example.com/v1?key=abc", "query"),
        ] {
            let err = with(base).unwrap_err();
            assert!(err.contains(says), "{base}: {err}");
        }
    }

    #[test]
    fn a_huge_reply_is_read_only_up_to_the_cap() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = s.read(&mut request);
            let body = vec![b'x'; 3 * MAX_PROVIDER_BODY];
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        });
        let client = crate::http::https_builder().unwrap().build().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let text = runtime.block_on(async {
            let resp = client
                .get(format!("http://{addr}/v1/chat/completions"))
                .send()
                .await
                .unwrap();
            capped_text(resp).await.unwrap()
        });
        assert_eq!(text.len(), MAX_PROVIDER_BODY);
        drop(runtime);
        let _ = server.join();
    }
}
