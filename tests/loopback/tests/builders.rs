//! Each reply builder, served over a real connection: status, headers and the documented body
//! fields (docs/external-apis.md §1 and §3).

mod common;

use std::time::Duration;

use common::{call, Response};
use plainsight_loopback::perplexity::{self, AgentUsage, SonarUsage};
use plainsight_loopback::{openai, rate_limited, server_error, slow, sse, Reply, Server};
use serde_json::{json, Value};

/// Serves `reply` once and returns what a client received.
fn fetch(reply: Reply) -> Response {
    let server = Server::start();
    server.push(reply);
    call(&server.url(), "POST", "/chat/completions", "{}")
}

fn assert_close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
}

#[test]
fn sonar_ok_is_a_full_chat_completion_with_message_delta_and_cost() {
    let usage = SonarUsage::new(14, 96, 0.000_04, 0.001_44, 0.006);
    assert!((usage.total_cost - 0.007_48).abs() < 1e-12);
    let response = fetch(perplexity::sonar_ok("{\"version\":\"1.91.1\"}", usage));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert!(body["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(body["model"], perplexity::SONAR_MODEL);
    assert!(body["created"].as_u64().is_some_and(|t| t > 1_700_000_000));
    assert_eq!(body["object"], "chat.completion");
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(
        choice["message"],
        json!({"role": "assistant", "content": "{\"version\":\"1.91.1\"}"})
    );
    assert_eq!(choice["delta"]["role"], "assistant");
    assert!(choice["delta"]["content"].is_string());
    assert_eq!(body["citations"], json!([]));
    assert_eq!(body["search_results"], json!([]));
    let usage = &body["usage"];
    assert_eq!(
        (
            usage["prompt_tokens"].as_u64(),
            usage["completion_tokens"].as_u64()
        ),
        (Some(14), Some(96))
    );
    assert_eq!(usage["total_tokens"], 110);
    assert_close(&usage["cost"]["input_tokens_cost"], 0.000_04);
    assert_close(&usage["cost"]["output_tokens_cost"], 0.001_44);
    assert_close(&usage["cost"]["request_cost"], 0.006);
    assert_close(&usage["cost"]["total_cost"], 0.000_04 + 0.001_44 + 0.006);
}

#[test]
fn sonar_ids_differ_between_replies() {
    let a = perplexity::sonar_body("a", &SonarUsage::default());
    let b = perplexity::sonar_body("b", &SonarUsage::default());
    assert_ne!(a["id"], b["id"]);
}

#[test]
fn agent_ok_is_a_completed_response_with_output_text_and_cost() {
    let usage = AgentUsage::new(20, 30, 0.000_005, 0.000_075, 0.005).with_search_calls(1);
    let response = fetch(perplexity::agent_ok("SELECT 1", usage));
    assert_eq!(response.status, 200);
    let body = response.json();
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("resp_")),
        "{}",
        body["id"]
    );
    assert_eq!(body["object"], "response");
    assert!(body["created_at"].is_u64());
    assert_eq!(body["status"], "completed");
    assert_eq!(body["model"], perplexity::AGENT_MODEL);
    let message = &body["output"][0];
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(
        message["content"],
        json!([{"type": "output_text", "text": "SELECT 1"}])
    );
    let usage = &body["usage"];
    assert_eq!(
        (
            usage["input_tokens"].as_u64(),
            usage["output_tokens"].as_u64(),
            usage["total_tokens"].as_u64()
        ),
        (Some(20), Some(30), Some(50))
    );
    assert_eq!(usage["cost"]["currency"], "USD");
    assert_close(&usage["cost"]["input_cost"], 0.000_005);
    assert_close(&usage["cost"]["output_cost"], 0.000_075);
    assert_close(&usage["cost"]["tool_calls_cost"], 0.005);
    assert_close(&usage["cost"]["total_cost"], 0.000_005 + 0.000_075 + 0.005);
    assert_eq!(
        usage["tool_calls_details"],
        json!({"search_web": {"invocation": 1}})
    );

    let without_search = perplexity::agent_body("x", &AgentUsage::new(1, 1, 0.0, 0.0, 0.0));
    assert!(without_search["usage"].get("tool_calls_details").is_none());
}

#[test]
fn agent_failed_is_http_200_with_status_failed_and_an_error() {
    let response = fetch(perplexity::agent_failed("upstream model error"));
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "failed");
    assert_eq!(body["error"]["message"], "upstream model error");
    assert!(body["error"]["code"].is_string());
    assert_eq!(body["output"], json!([]));
}

#[test]
fn agent_unknown_field_is_the_documented_400() {
    let response = fetch(perplexity::agent_unknown_field("search_mode"));
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json(),
        json!({"error": {"message": "invalid request body: json: unknown field \"search_mode\"", "type": "invalid_request", "code": 400, "param": "search_mode"}})
    );
}

#[test]
fn perplexity_error_code_is_an_integer() {
    let response = fetch(perplexity::error(
        400,
        "Invalid model 'x'.",
        "invalid_model",
    ));
    assert_eq!(response.status, 400);
    let error = &response.json()["error"];
    assert_eq!(error["message"], "Invalid model 'x'.");
    assert_eq!(error["type"], "invalid_model");
    assert!(error["code"].is_u64(), "{}", error["code"]);
    assert_eq!(error["code"], 400);

    let limited = fetch(perplexity::error(
        429,
        "Rate limit exceeded",
        "request_rate_limit_exceeded",
    ));
    assert_eq!(
        (limited.status, limited.json()["error"]["code"].as_u64()),
        (429, Some(429))
    );
}

#[test]
fn unauthorized_html_is_a_401_openresty_page() {
    let response = fetch(perplexity::unauthorized_html());
    assert_eq!(response.status, 401);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert!(
        response
            .body
            .contains("<title>401 Authorization Required</title>"),
        "{}",
        response.body
    );
    assert!(response.body.contains("openresty"));
    assert!(
        serde_json::from_str::<Value>(&response.body).is_err(),
        "the body must not be JSON"
    );
}

#[test]
fn validation_422_has_a_detail_list() {
    let response = fetch(perplexity::validation_422(
        "Input should be 'sonar' or 'sonar-pro'",
    ));
    assert_eq!(response.status, 422);
    assert_eq!(
        response.json(),
        json!({"detail": [{"loc": ["body", "model"], "msg": "Input should be 'sonar' or 'sonar-pro'", "type": "value_error"}]})
    );
}

#[test]
fn openai_chat_ok_is_a_chat_completion_with_usage_details() {
    let response = fetch(openai::chat_ok("SELECT 1", 12, 3));
    assert_eq!(response.status, 200);
    let body = response.json();
    assert!(body["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("chatcmpl-")));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].is_u64());
    assert_eq!(body["model"], openai::CHAT_MODEL);
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "SELECT 1");
    assert_eq!(choice["finish_reason"], "stop");
    assert!(choice.get("delta").is_none());
    let usage = &body["usage"];
    assert_eq!(
        (
            usage["prompt_tokens"].as_u64(),
            usage["completion_tokens"].as_u64(),
            usage["total_tokens"].as_u64()
        ),
        (Some(12), Some(3), Some(15))
    );
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 0);
    assert!(usage.get("cost").is_none());
}

#[test]
fn openai_error_code_is_a_string_or_null() {
    let response = fetch(openai::error(
        401,
        "Incorrect API key provided",
        "invalid_request_error",
        Some("invalid_api_key"),
    ));
    assert_eq!(response.status, 401);
    assert_eq!(
        response.json(),
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})
    );
    let response = fetch(openai::error(400, "bad", "invalid_request_error", None));
    let error = &response.json()["error"];
    assert!(error["code"].is_null() && error["param"].is_null());
}

#[test]
fn openai_models_lists_the_ids() {
    let server = Server::start();
    server.route(
        "GET",
        "/v1/models",
        openai::models(&["llama3.2", "qwen2.5-coder"]),
    );
    let response = call(&server.url(), "GET", "/v1/models", "");
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["llama3.2", "qwen2.5-coder"]);
    assert_eq!(body["data"][0]["object"], "model");
    assert!(body["data"][0]["created"].is_u64());
    assert!(body["data"][0]["owned_by"].is_string());
}

#[test]
fn openai_embeddings_in_float_and_base64() {
    let vectors = vec![vec![1.0_f32, -0.5, 0.25], vec![0.0, 2.0, -3.5]];
    let body = fetch(openai::embeddings(&vectors, 8)).json();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], openai::EMBEDDING_MODEL);
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 8, "total_tokens": 8})
    );
    for (i, vector) in vectors.iter().enumerate() {
        let item = &body["data"][i];
        assert_eq!(
            (item["object"].as_str(), item["index"].as_u64()),
            (Some("embedding"), Some(i as u64))
        );
        let floats: Vec<f32> = item["embedding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .map(|x| x as f32)
            .collect();
        assert_eq!(&floats, vector);
    }

    // base64 of little-endian f32: 1.0 = 00 00 80 3F, -0.5 = 00 00 00 BF.
    let body = fetch(openai::embeddings_base64(&[vec![1.0, -0.5]], 2)).json();
    assert_eq!(body["data"][0]["embedding"], "AACAPwAAAL8=");
    assert_eq!(body["data"][0]["index"], 0);
}

#[test]
fn rate_limited_is_a_429_with_optional_retry_after() {
    let response = fetch(rate_limited(Some(7)));
    assert_eq!(response.status, 429);
    assert_eq!(response.header("retry-after"), Some("7"));
    let error = &response.json()["error"];
    assert_eq!(error["code"], "rate_limit_exceeded");
    assert!(error["message"].is_string() && error["type"].is_string() && error["param"].is_null());

    let response = fetch(rate_limited(None));
    assert_eq!(response.status, 429);
    assert_eq!(response.header("retry-after"), None);
}

#[test]
fn server_error_is_a_500_in_openai_shape() {
    let response = fetch(server_error());
    assert_eq!(response.status, 500);
    let error = &response.json()["error"];
    assert_eq!(error["type"], "server_error");
    assert!(error["message"].is_string() && error["code"].is_null());
}

#[test]
fn slow_sets_the_delay_and_keeps_the_reply() {
    let reply = slow(openai::chat_ok("x", 1, 1), Duration::from_millis(250));
    assert_eq!(reply.delay, Duration::from_millis(250));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
}

#[test]
fn sse_sends_data_events_and_done() {
    let response = fetch(sse(
        &[
            json!({"choices": [{"delta": {"content": "SEL"}}]}),
            json!({"choices": [{"delta": {"content": "ECT"}}]}),
        ],
        true,
    ));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    let data: Vec<&str> = response
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.len(), 3);
    assert_eq!(
        serde_json::from_str::<Value>(data[1]).ok(),
        Some(json!({"choices": [{"delta": {"content": "ECT"}}]}))
    );
    assert_eq!(data[2], "[DONE]");
    assert!(!fetch(sse(&[json!({})], false)).body.contains("[DONE]"));
}
