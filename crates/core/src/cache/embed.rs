//! Embedders for the answer cache's semantic layer, behind one seam: the local embedder (the
//! default: no network, no model download) and any OpenAI-compatible `/v1/embeddings` server
//! (OpenAI, Ollama, LM Studio), whose vectors may come as floats or base64.
//!
//! A paid embedding is spending like an AI call: [`embed_within_budget`] reserves its upper bound
//! (every byte of the question a token, at the model's price) in the budget before the request
//! and settles it to the tokens the reply reports, or sends nothing when the budget is spent.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the embeddings server could not be reached ({0})")]
    Unreachable(String),
    #[error("the embeddings server refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the embeddings server sent a reply Plainsight could not read ({0})")]
    BadReply(String),
    /// Nothing was sent: the budget has no room for the embedding.
    #[error("the question was not sent to the embeddings server: {0}")]
    OverBudget(String),
}

/// Turns a question into a unit vector; similar questions get a cosine near 1.
pub trait Embedder: Send + Sync {
    /// Names the embedder and its settings: vectors of different embedders are never compared.
    fn id(&self) -> String;
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError>;

    /// The most embedding `text` can cost, in nano-dollars: what the budget reserves before the
    /// call. 0 (the default) for an embedder that costs nothing, which is not budgeted.
    fn max_cost_nanos(&self, text: &str) -> i64 {
        let _ = text;
        0
    }

    /// Embeds `text` and says what that cost, in nano-dollars (what the budget is charged).
    fn embed_priced(&self, text: &str) -> Result<(Vec<f32>, i64), EmbedError> {
        self.embed(text).map(|v| (v, 0))
    }

    /// Who is paid, as the budget's `provider:` scope names it.
    fn provider(&self) -> &str {
        "local"
    }
}

/// Embeds `text`, held to the budget in `db`: a paid embedder's most expensive call is reserved
/// in `scopes` first (refused with the budget's own message, and nothing sent, when it does not
/// fit), then settled to what the call cost, or released when it failed. A free embedder is
/// called directly.
pub fn embed_within_budget(
    embedder: &dyn Embedder,
    db: &mut crate::history::AppDb,
    scopes: &[&str],
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<f32>, EmbedError> {
    let most = embedder.max_cost_nanos(text);
    if most <= 0 {
        return embedder.embed(text);
    }
    let reservation = db
        .reserve(crate::budget::Purpose::Embedding, scopes, most, now)
        .map_err(|e| EmbedError::OverBudget(e.to_string()))?;
    let embedded = embedder.embed_priced(text);
    let updated = match &embedded {
        Ok((_, cost)) => db.settle(&reservation, *cost, now),
        // Nothing billed for a refused or failed request.
        Err(_) => db.release(&reservation),
    };
    if let Err(e) = updated {
        tracing::warn!(error = %e, "the budget could not be updated");
    }
    embedded.map(|(vector, _)| vector)
}

/// Dimensions of the local embedder's hashed feature space.
const DIMS: usize = 512;

/// Words that carry no meaning for telling questions apart. (Not the planner's filler list:
/// "most" and "together" matter here.)
const STOP: &[&str] = &[
    "the", "a", "an", "of", "in", "on", "for", "to", "by", "per", "and", "or", "is", "are", "was",
    "were", "what", "which", "how", "do", "does", "did", "we", "our", "my", "i", "it", "its",
    "with", "at", "from", "each", "every", "all", "there", "that", "this", "be", "been", "give",
    "list", "tell", "get", "see", "want", "would", "like", "please", "can", "could", "you", "show",
    "me", "us", "much", "many", "had", "have", "has", "will", "about", "into",
];

/// Hashed word unigrams, word bigrams and character trigrams of the question's normalised words
/// (lowercase, singular, synonyms mapped to one word: "revenue per region" ≈ "sales by
/// region"), signed-hashed into 512 dimensions and L2-normalised. Deterministic, instant, and
/// nothing leaves the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalEmbedder;

/// The words the local embedder looks at, in order.
pub fn normalised_words(text: &str) -> Vec<String> {
    crate::planner::words::Words::new(text)
        .all()
        .iter()
        .map(|w| canonical_word(w))
        .filter(|w| !STOP.contains(&w.as_str()))
        .collect()
}

pub use crate::planner::lexicon::canonical_word;

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn add(v: &mut [f32], feature: &str, weight: f32) {
    let h = fnv(feature.as_bytes(), 0);
    let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
    v[(h % DIMS as u64) as usize] += sign * weight;
}

impl Embedder for LocalEmbedder {
    fn id(&self) -> String {
        format!("local-ngram-v1-{DIMS}")
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let words = normalised_words(text);
        let mut v = vec![0.0_f32; DIMS];
        for w in &words {
            add(&mut v, &format!("w:{w}"), 1.0);
            let padded: Vec<char> = format!("<{w}>").chars().collect();
            for tri in padded.windows(3) {
                add(
                    &mut v,
                    &format!("c:{}", tri.iter().collect::<String>()),
                    0.25,
                );
            }
        }
        for pair in words.windows(2) {
            add(&mut v, &format!("b:{} {}", pair[0], pair[1]), 0.35);
        }
        Ok(normalise(v))
    }
}

fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

/// Cosine of two unit vectors (their dot product); 0 when the lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// What an embeddings model the price table does not know is taken to cost: USD per million
/// input tokens, above every listed price.
const UNKNOWN_EMBEDDING_PRICE: f64 = 1.0;

/// An OpenAI-compatible `POST {base}/embeddings` (base includes `/v1`).
pub struct OpenAiEmbedder {
    base_url: String,
    model: String,
    key: Option<Secret>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// Ask for base64 vectors (smaller replies); floats otherwise.
    base64: bool,
    /// Nano-dollars per million input tokens.
    price_per_million: i64,
}

impl std::fmt::Debug for OpenAiEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEmbedder")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiEmbedder {
    pub fn new(
        base_url: &str,
        model: &str,
        key: Option<Secret>,
        base64: bool,
    ) -> Result<Self, EmbedError> {
        let fail = |e: String| EmbedError::Unreachable(e);
        let client = crate::http::https_builder()
            .map_err(fail)?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| EmbedError::Unreachable(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EmbedError::Unreachable(e.to_string()))?;
        let price =
            crate::llm::prices::embedding_price(model, base_url).unwrap_or(UNKNOWN_EMBEDDING_PRICE);
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            key,
            client,
            runtime,
            base64,
            price_per_million: crate::money::nanos(price),
        })
    }

    /// Prices its calls at `usd_per_million` input tokens instead of the price table's figure
    /// (free on this computer, [`UNKNOWN_EMBEDDING_PRICE`] for a model the table does not know).
    #[must_use]
    pub fn with_price(mut self, usd_per_million: f64) -> Self {
        self.price_per_million = crate::money::nanos(usd_per_million.max(0.0));
        self
    }

    /// What `tokens` input tokens cost, in nano-dollars, rounded up.
    fn cost_of(&self, tokens: u64) -> i64 {
        let nanos = (i128::from(tokens) * i128::from(self.price_per_million) + 999_999) / 1_000_000;
        i64::try_from(nanos).unwrap_or(i64::MAX)
    }

    /// The request, and the vector with the input tokens the reply reports (if it does).
    fn request(&self, text: &str) -> Result<(Vec<f32>, Option<u64>), EmbedError> {
        let mut body = json!({"model": self.model, "input": text});
        if self.base64 {
            body["encoding_format"] = json!("base64");
        }
        let mut req = self
            .client
            .post(format!("{}/embeddings", self.base_url))
            .json(&body);
        if let Some(key) = &self.key {
            req = req.bearer_auth(key.expose());
        }
        let (status, value) = self.runtime.block_on(async {
            let resp = req.send().await.map_err(|e| {
                EmbedError::Unreachable(if e.is_timeout() {
                    "timed out".into()
                } else {
                    "connection failed".into()
                })
            })?;
            let status = resp.status().as_u16();
            let text = crate::http::capped_text(resp)
                .await
                .map_err(|_| EmbedError::BadReply("the reply was cut off".into()))?;
            Ok::<_, EmbedError>((
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            ))
        })?;
        if !(200..300).contains(&status) {
            let message: String = value
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("no details")
                .chars()
                .take(200)
                .collect();
            // The server's words may quote the key back.
            return Err(EmbedError::Refused {
                status,
                message: crate::redact::redact(&message),
            });
        }
        let tokens = value
            .pointer("/usage/prompt_tokens")
            .or_else(|| value.pointer("/usage/total_tokens"))
            .and_then(Value::as_u64);
        Ok((parse_embedding(&value)?, tokens))
    }
}

/// One vector from an embeddings reply: `data[0].embedding` as floats or base64 of f32 LE.
pub fn parse_embedding(body: &Value) -> Result<Vec<f32>, EmbedError> {
    let bad = |why: &str| EmbedError::BadReply(why.to_string());
    let embedding = body
        .get("data")
        .and_then(|d| d.get(0))
        .and_then(|d| d.get("embedding"))
        .ok_or_else(|| bad("no data[0].embedding"))?;
    let v: Vec<f32> = match embedding {
        Value::Array(xs) => xs
            .iter()
            .map(|x| {
                x.as_f64()
                    .map(|f| f as f32)
                    .ok_or_else(|| bad("a value is not a number"))
            })
            .collect::<Result<_, _>>()?,
        Value::String(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| bad("the base64 vector does not decode"))?;
            if bytes.len() % 4 != 0 {
                return Err(bad("the base64 vector is not whole 32-bit floats"));
            }
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }
        _ => return Err(bad("the embedding is neither a list nor base64")),
    };
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return Err(bad("the vector is empty or not finite"));
    }
    Ok(normalise(v))
}

impl Embedder for OpenAiEmbedder {
    fn id(&self) -> String {
        format!("openai:{}:{}", self.base_url, self.model)
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.request(text).map(|(vector, _)| vector)
    }

    /// Every byte of the text counted as a token (a token is never shorter than a byte).
    fn max_cost_nanos(&self, text: &str) -> i64 {
        self.cost_of(u64::try_from(text.len()).unwrap_or(u64::MAX))
    }

    /// The tokens the reply reports at the model's price; the upper bound when it reports none.
    fn embed_priced(&self, text: &str) -> Result<(Vec<f32>, i64), EmbedError> {
        let (vector, tokens) = self.request(text)?;
        let cost = tokens.map_or_else(|| self.max_cost_nanos(text), |t| self.cost_of(t));
        Ok((vector, cost))
    }

    fn provider(&self) -> &str {
        "openai"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(a: &str, b: &str) -> f32 {
        let e = LocalEmbedder;
        cosine(&e.embed(a).unwrap(), &e.embed(b).unwrap())
    }

    #[test]
    fn synonyms_plurals_and_filler_do_not_change_the_meaning() {
        assert!(sim("show me sales by region", "revenue per region") > 0.95);
        assert!(
            sim(
                "which products were bought together most often?",
                "which products are most often bought together"
            ) > 0.9
        );
        assert!(sim("sales by region", "number of customers by signup month") < 0.5);
    }

    #[test]
    fn float_and_base64_vectors_read_alike() {
        let floats = json!({"data": [{"embedding": [0.6, 0.8]}]});
        let bytes: Vec<u8> = [0.6_f32, 0.8]
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect();
        let b64 = json!({"data": [{"embedding": base64::engine::general_purpose::STANDARD.encode(bytes)}]});
        assert_eq!(
            parse_embedding(&floats).unwrap(),
            parse_embedding(&b64).unwrap()
        );
        assert!(parse_embedding(&json!({"data": []})).is_err());
        assert!(parse_embedding(&json!({"data": [{"embedding": "%%%"}]})).is_err());
    }
}
