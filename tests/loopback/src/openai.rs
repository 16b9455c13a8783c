//! OpenAI-compatible replies (OpenAI, Ollama, LM Studio; external-apis.md §3): chat completions,
//! embeddings, the model list and errors.
//!
//! The `*_body` functions return the JSON alone, for tests that change a field before wrapping
//! it with [`Reply::json`].

use serde_json::{json, Value};

use crate::{fresh_id, unix_now, Reply};

/// The `model` [`chat_ok`] puts in its replies.
pub const CHAT_MODEL: &str = "gpt-4o-mini";
/// The `model` the embeddings builders put in their replies.
pub const EMBEDDING_MODEL: &str = "text-embedding-3-small";

/// The body of a non-streamed chat completion whose answer is `content`: `id: "chatcmpl-…"`,
/// `object: "chat.completion"`, `created`, `model`, one choice `{index: 0, message {role:
/// "assistant", content, refusal: null}, logprobs: null, finish_reason: "stop"}`, `usage` with
/// `prompt_tokens`, `completion_tokens`, `total_tokens`, `prompt_tokens_details` and
/// `completion_tokens_details`, plus `system_fingerprint` and `service_tier`.
pub fn chat_body(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "id": format!("chatcmpl-{:016x}", fresh_id()),
        "object": "chat.completion",
        "created": unix_now(),
        "model": CHAT_MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "system_fingerprint": "fp_loopback",
        "service_tier": "default",
    })
}

/// 200 with [`chat_body`].
pub fn chat_ok(content: &str, prompt_tokens: u64, completion_tokens: u64) -> Reply {
    Reply::json(200, chat_body(content, prompt_tokens, completion_tokens))
}

/// An OpenAI error: `status` with `{"error":{"message","type","param":null,"code"}}`, where
/// `code` is a **string or null** (e.g. `error(401, "Incorrect API key provided", "invalid_request_error", Some("invalid_api_key"))`).
pub fn error(status: u16, message: &str, type_: &str, code: Option<&str>) -> Reply {
    Reply::json(
        status,
        json!({"error": {"message": message, "type": type_, "param": null, "code": code}}),
    )
}

/// 200 with the `GET /models` list: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
pub fn models(ids: &[&str]) -> Reply {
    let created = unix_now();
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "system"}))
        .collect();
    Reply::json(200, json!({"object": "list", "data": data}))
}

/// 200 with an embeddings list in the default `float` encoding:
/// `{"object":"list","data":[{"object":"embedding","index":i,"embedding":[…]}],"model","usage":{"prompt_tokens","total_tokens"}}`.
pub fn embeddings(vectors: &[Vec<f32>], prompt_tokens: u64) -> Reply {
    let data = vectors.iter().map(|v| json!(v)).collect();
    Reply::json(200, embeddings_body(data, prompt_tokens))
}

/// 200 with an embeddings list for `encoding_format: "base64"` (what the official Python SDK
/// asks for): each `embedding` is the base64 of the vector's little-endian `f32` bytes.
pub fn embeddings_base64(vectors: &[Vec<f32>], prompt_tokens: u64) -> Reply {
    let data = vectors
        .iter()
        .map(|v| {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            Value::String(base64(&bytes))
        })
        .collect();
    Reply::json(200, embeddings_body(data, prompt_tokens))
}

fn embeddings_body(embeddings: Vec<Value>, prompt_tokens: u64) -> Value {
    let data: Vec<Value> = embeddings
        .into_iter()
        .enumerate()
        .map(|(index, embedding)| json!({"object": "embedding", "index": index, "embedding": embedding}))
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": EMBEDDING_MODEL,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    })
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
