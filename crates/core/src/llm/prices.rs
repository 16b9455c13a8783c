//! The price table (`data/prices.json`, with its date and source): what a call costs when the
//! provider does not say. Perplexity reports `usage.cost`, which always wins.

use std::sync::OnceLock;

use serde_json::Value;

use super::provider::ProviderKind;

/// Prices of one model, USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
    pub request_fee: f64,
}

impl Price {
    pub const FREE: Self = Self {
        input_per_million: 0.0,
        output_per_million: 0.0,
        request_fee: 0.0,
    };

    /// (input, output, fees) in USD for these token counts.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> (f64, f64, f64) {
        (
            input_tokens as f64 * self.input_per_million / 1e6,
            output_tokens as f64 * self.output_per_million / 1e6,
            self.request_fee,
        )
    }
}

const TABLE: &str = include_str!("../../data/prices.json");

fn table() -> &'static Value {
    static T: OnceLock<Value> = OnceLock::new();
    // The file is part of the build and checked by a test; a broken edit yields an empty table.
    T.get_or_init(|| serde_json::from_str(TABLE).unwrap_or(Value::Null))
}

/// The table's date, for the cost breakdown ("prices as of …").
pub fn as_of() -> &'static str {
    table()["as_of"].as_str().unwrap_or("unknown")
}

/// What a Daytona sandbox costs per second with `cpus` vCPUs and `gib` GiB of memory.
pub fn daytona_per_second(cpus: f64, gib: f64) -> f64 {
    let d = &table()["daytona"];
    cpus * d["vcpu_per_second"].as_f64().unwrap_or(0.0)
        + gib * d["gib_per_second"].as_f64().unwrap_or(0.0)
}

pub use crate::http::is_local;

/// The price of `model` at `provider`; local servers are free; `None` when the table does not
/// know the model.
pub fn lookup(provider: ProviderKind, model: &str, base_url: &str) -> Option<Price> {
    if provider == ProviderKind::OpenAi && is_local(base_url) {
        return Some(Price::FREE);
    }
    let model = model.trim().to_ascii_lowercase();
    table()["models"].as_array()?.iter().find_map(|m| {
        (m["provider"] == provider.as_str() && m["model"].as_str() == Some(model.as_str())).then(
            || Price {
                input_per_million: m["input"].as_f64().unwrap_or(0.0),
                output_per_million: m["output"].as_f64().unwrap_or(0.0),
                request_fee: m["request_fee"].as_f64().unwrap_or(0.0),
            },
        )
    })
}

/// USD per million input tokens of an embeddings `model` served at `base_url`: free on this
/// computer, `None` when the table does not know the model.
pub fn embedding_price(model: &str, base_url: &str) -> Option<f64> {
    if is_local(base_url) {
        return Some(0.0);
    }
    let model = model.trim().to_ascii_lowercase();
    table()["embeddings"].as_array()?.iter().find_map(|m| {
        (m["model"].as_str() == Some(model.as_str()))
            .then(|| m["input"].as_f64())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_computer_is_local_and_free() {
        for (url, local) in [
            ("http://localhost:11434/v1", true),
            ("http://127.0.0.1:8080/v1", true),
            ("http://127.1.2.3/v1", true),
            ("http://[::1]:8080/v1", true),
            ("http://127.0.0.1@api.example.com/v1", false),
            ("http://user:pw@localhost/v1", false),
            ("http://127.evil.example/v1", false),
            ("http://localhost.example.com/v1", false),
            ("https://api.openai.com/v1", false),
            ("ftp://127.0.0.1/", false),
            ("not a url", false),
        ] {
            assert_eq!(is_local(url), local, "{url}");
        }
        assert_eq!(
            lookup(
                ProviderKind::OpenAi,
                "gpt-4o",
                "http://127.0.0.1@api.openai.com/v1"
            )
            .map(|p| p == Price::FREE),
            lookup(ProviderKind::OpenAi, "gpt-4o", "https://api.openai.com/v1")
                .map(|p| p == Price::FREE)
        );
    }

    #[test]
    fn the_table_parses_and_prices_models() {
        assert_eq!(as_of(), "2026-11-26");
        let sonar = lookup(
            ProviderKind::PerplexitySonar,
            "sonar-pro",
            "https://api.perplexity.ai",
        )
        .unwrap();
        let (i, o, f) = sonar.cost(1_000_000, 100_000);
        assert!((i - 3.0).abs() < 1e-9 && (o - 1.5).abs() < 1e-9 && (f - 0.006).abs() < 1e-9);
        assert_eq!(
            lookup(
                ProviderKind::OpenAi,
                "llama3.1",
                "http://localhost:11434/v1"
            ),
            Some(Price::FREE),
            "local models are free"
        );
        assert_eq!(
            lookup(
                ProviderKind::OpenAi,
                "some-new-model",
                "https://api.openai.com/v1"
            ),
            None
        );
        for m in table()["models"].as_array().unwrap() {
            assert!(
                ProviderKind::parse(m["provider"].as_str().unwrap()).is_some(),
                "{m}"
            );
        }
        assert_eq!(
            embedding_price("text-embedding-3-small", "https://api.openai.com/v1"),
            Some(0.02)
        );
        assert_eq!(
            embedding_price("text-embedding-3-small", "http://localhost:11434/v1"),
            Some(0.0),
            "local servers are free"
        );
        assert_eq!(
            embedding_price("nomic-embed-text", "https://api.example.com/v1"),
            None
        );
    }
}
