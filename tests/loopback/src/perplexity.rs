//! Perplexity replies: Sonar chat completions (`POST /chat/completions`, external-apis.md
//! §1.5–1.6) and the Agent API (`POST /v1/agent`, §1.7).
//!
//! The `*_body` functions return the JSON alone, for tests that change a field before wrapping
//! it with [`Reply::json`].

use serde_json::{json, Value};

use crate::{fresh_id, unix_now, uuid_like, Reply};

/// The `model` the Sonar builders put in their replies.
pub const SONAR_MODEL: &str = "sonar";
/// The `model` the Agent API builders put in their replies.
pub const AGENT_MODEL: &str = "perplexity/sonar";

/// Token counts and USD costs for a Sonar reply's `usage` object.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SonarUsage {
    /// `usage.prompt_tokens`.
    pub prompt_tokens: u64,
    /// `usage.completion_tokens`.
    pub completion_tokens: u64,
    /// `usage.cost.input_tokens_cost` (USD).
    pub input_tokens_cost: f64,
    /// `usage.cost.output_tokens_cost` (USD).
    pub output_tokens_cost: f64,
    /// `usage.cost.request_cost` (USD): the per-request search fee.
    pub request_cost: f64,
    /// `usage.cost.total_cost` (USD).
    pub total_cost: f64,
}

impl SonarUsage {
    /// Usage with `total_cost = input_cost + output_cost + request_cost`.
    pub fn new(
        prompt_tokens: u64,
        completion_tokens: u64,
        input_cost: f64,
        output_cost: f64,
        request_cost: f64,
    ) -> SonarUsage {
        SonarUsage {
            prompt_tokens,
            completion_tokens,
            input_tokens_cost: input_cost,
            output_tokens_cost: output_cost,
            request_cost,
            total_cost: input_cost + output_cost + request_cost,
        }
    }

    /// The `usage` object: `prompt_tokens`, `completion_tokens`, `total_tokens` (their sum) and
    /// `cost {input_tokens_cost, output_tokens_cost, request_cost, total_cost}`. The optional
    /// search fields (`search_context_size`, `num_search_queries`, …) are left out.
    pub fn to_json(&self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost": {
                "input_tokens_cost": self.input_tokens_cost,
                "output_tokens_cost": self.output_tokens_cost,
                "request_cost": self.request_cost,
                "total_cost": self.total_cost,
            },
        })
    }
}

/// The body of a successful, non-streamed Sonar chat completion whose answer is `content`:
/// `id`, `model`, `created`, `object: "chat.completion"`, one choice with `index: 0`,
/// `finish_reason: "stop"`, `message {role: "assistant", content}` and (as the API also sends
/// it) `delta {role: "assistant", content: ""}`, empty `citations` and `search_results`, and
/// `usage`.
pub fn sonar_body(content: &str, usage: &SonarUsage) -> Value {
    json!({
        "id": uuid_like(),
        "model": SONAR_MODEL,
        "created": unix_now(),
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": content},
            "delta": {"role": "assistant", "content": ""},
        }],
        "citations": [],
        "search_results": [],
        "usage": usage.to_json(),
    })
}

/// 200 with [`sonar_body`].
pub fn sonar_ok(content: &str, usage: SonarUsage) -> Reply {
    Reply::json(200, sonar_body(content, &usage))
}

/// Token counts and USD costs for an Agent API reply's `usage` object.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AgentUsage {
    /// `usage.input_tokens`.
    pub input_tokens: u64,
    /// `usage.output_tokens`.
    pub output_tokens: u64,
    /// `usage.cost.input_cost` (USD).
    pub input_cost: f64,
    /// `usage.cost.output_cost` (USD).
    pub output_cost: f64,
    /// `usage.cost.tool_calls_cost` (USD), e.g. $0.005 per `web_search` call.
    pub tool_calls_cost: f64,
    /// `usage.cost.total_cost` (USD).
    pub total_cost: f64,
    /// Number of `web_search` tool calls; when non-zero, `usage.tool_calls_details` is
    /// `{"search_web": {"invocation": n}}`, otherwise it is left out.
    pub search_calls: u64,
}

impl AgentUsage {
    /// Usage with `total_cost = input_cost + output_cost + tool_calls_cost` and no search calls.
    pub fn new(
        input_tokens: u64,
        output_tokens: u64,
        input_cost: f64,
        output_cost: f64,
        tool_calls_cost: f64,
    ) -> AgentUsage {
        AgentUsage {
            input_tokens,
            output_tokens,
            input_cost,
            output_cost,
            tool_calls_cost,
            total_cost: input_cost + output_cost + tool_calls_cost,
            search_calls: 0,
        }
    }

    /// The same usage with `n` web-search tool calls reported in `tool_calls_details`.
    #[must_use]
    pub fn with_search_calls(mut self, n: u64) -> AgentUsage {
        self.search_calls = n;
        self
    }

    /// The `usage` object: `input_tokens`, `output_tokens`, `total_tokens` (their sum),
    /// `cost {currency: "USD", input_cost, output_cost, tool_calls_cost, total_cost}` and, with
    /// search calls, `tool_calls_details`.
    pub fn to_json(&self) -> Value {
        let mut usage = json!({
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "cost": {
                "currency": "USD",
                "input_cost": self.input_cost,
                "output_cost": self.output_cost,
                "tool_calls_cost": self.tool_calls_cost,
                "total_cost": self.total_cost,
            },
        });
        if self.search_calls > 0 {
            usage["tool_calls_details"] = json!({"search_web": {"invocation": self.search_calls}});
        }
        usage
    }
}

/// The body of a completed Agent API response whose answer is `text`: `id: "resp_…"`,
/// `object: "response"`, `created_at`, `status: "completed"`, `model`, `output` with one
/// `{type: "message", id, role: "assistant", status: "completed", content: [{type:
/// "output_text", text}]}` item, and `usage`.
pub fn agent_body(text: &str, usage: &AgentUsage) -> Value {
    json!({
        "id": format!("resp_{:016x}", fresh_id()),
        "object": "response",
        "created_at": unix_now(),
        "status": "completed",
        "model": AGENT_MODEL,
        "output": [{
            "type": "message",
            "id": format!("msg_{:016x}", fresh_id()),
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text}],
        }],
        "usage": usage.to_json(),
    })
}

/// 200 with [`agent_body`].
pub fn agent_ok(text: &str, usage: AgentUsage) -> Reply {
    Reply::json(200, agent_body(text, &usage))
}

/// A failed Agent API run: **HTTP 200** with `status: "failed"`, empty `output`, no `usage`, and
/// `error {message, type: "server_error", code: "internal_error"}` (the SDK's `ErrorInfo`:
/// `message` required, `code` and `type` optional strings).
pub fn agent_failed(message: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "id": format!("resp_{:016x}", fresh_id()),
            "object": "response",
            "created_at": unix_now(),
            "status": "failed",
            "model": AGENT_MODEL,
            "output": [],
            "error": {"message": message, "type": "server_error", "code": "internal_error"},
        }),
    )
}

/// The Agent API's 400 for a request field it does not know:
/// `{"error":{"message":"invalid request body: json: unknown field \"X\"","type":"invalid_request","code":400,"param":"X"}}`.
pub fn agent_unknown_field(field: &str) -> Reply {
    Reply::json(
        400,
        json!({"error": {
            "message": format!("invalid request body: json: unknown field \"{field}\""),
            "type": "invalid_request",
            "code": 400,
            "param": field,
        }}),
    )
}

/// A Perplexity error: `status` with `{"error":{"message","type","code"}}`, where `code` is the
/// status as an **integer** (e.g. `error(400, "Invalid model 'x'. …", "invalid_model")`).
pub fn error(status: u16, message: &str, type_: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {"message": message, "type": type_, "code": status}}),
    )
}

/// 401 with the `text/html` page openresty sends for a bad API key (not JSON).
pub fn unauthorized_html() -> Reply {
    Reply::text(
        401,
        "text/html",
        "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n\
         <center><h1>401 Authorization Required</h1></center>\r\n<hr><center>openresty</center>\r\n\
         </body>\r\n</html>\r\n",
    )
    .with_header("server", "openresty")
}

/// A 422 validation error about the request's `model`:
/// `{"detail":[{"loc":["body","model"],"msg":msg,"type":"value_error"}]}`.
pub fn validation_422(msg: &str) -> Reply {
    Reply::json(
        422,
        json!({"detail": [{"loc": ["body", "model"], "msg": msg, "type": "value_error"}]}),
    )
}
