//! The real LLM client and the pipeline's LLM branch against loopback servers on 127.0.0.1 that
//! speak Perplexity's and OpenAI's wire formats (plainsight-loopback). Nothing here is mocked:
//! requests go over HTTP and the servers record what they received.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use plainsight_core::llm::provider::{
    configured, ChatRequest, Choice, HttpProvider, LlmError, LlmProvider, ProviderConfig,
    ProviderKind,
};
use plainsight_core::secret::Secret;
use plainsight_core::{AiMode, Pipeline, PipelineOptions, Route};
use plainsight_loopback::perplexity::{self, AgentUsage, SonarUsage};
use plainsight_loopback::{openai, rate_limited, server_error, Reply, Server};
use serde_json::{json, Value};

const KEY: &str = "pplx-test-0123456789abcdefKEY9";

fn config(kind: ProviderKind, server: &Server) -> ProviderConfig {
    let mut c = ProviderConfig::new(kind);
    c.base_url = server.url();
    c.api_key = Some(Secret::new(KEY));
    c.timeout = Duration::from_secs(5);
    c
}

fn provider(kind: ProviderKind, server: &Server) -> HttpProvider {
    HttpProvider::new(config(kind, server)).expect("client")
}

fn request() -> ChatRequest {
    ChatRequest {
        system: "You write SQL.".into(),
        turns: vec![(true, "total revenue".into())],
        max_tokens: 300,
        json_schema: Some(json!({"type": "object"})),
    }
}

#[test]
fn the_agent_api_is_called_without_search_and_its_cost_is_read() {
    let server = Server::start();
    server.push(perplexity::agent_ok(
        "{\"kind\":\"answer\"}",
        AgentUsage::new(900, 40, 0.0009, 0.0001, 0.0),
    ));
    let done = provider(ProviderKind::Perplexity, &server)
        .complete(&request(), None)
        .expect("completion");
    assert_eq!(done.text, "{\"kind\":\"answer\"}");
    assert_eq!(
        (
            done.usage.input_tokens,
            done.usage.output_tokens,
            done.attempts
        ),
        (900, 40, 1)
    );
    let cost = done.usage.cost.expect("the Agent API reports cost");
    assert!((cost.total - 0.001).abs() < 1e-12, "{cost:?}");
    let sent = &server.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/v1/agent")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = sent.json();
    assert_eq!(body["model"], "perplexity/sonar");
    assert_eq!(body["instructions"], "You write SQL.");
    assert_eq!(
        body["input"],
        json!([{"role": "user", "content": "total revenue"}])
    );
    assert_eq!(
        body["max_output_tokens"], 300,
        "an output cap is always sent"
    );
    assert!(
        body.get("tools").is_none(),
        "no web_search tool: search stays off"
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
}

#[test]
fn sonar_disables_search_and_counts_its_request_fee() {
    let server = Server::start();
    server.push(perplexity::sonar_ok(
        "<think>plan</think>{\"kind\":\"answer\"}",
        SonarUsage::new(14, 96, 0.00004, 0.00144, 0.006),
    ));
    let done = provider(ProviderKind::PerplexitySonar, &server)
        .complete(&request(), None)
        .expect("completion");
    assert!(
        done.text.starts_with("<think>"),
        "the raw text is kept for repair"
    );
    let cost = done.usage.cost.expect("cost");
    assert!(
        (cost.fees - 0.006).abs() < 1e-12 && (cost.total - 0.00748).abs() < 1e-12,
        "{cost:?}"
    );
    let body = server.requests()[0].json();
    assert_eq!(server.requests()[0].path, "/chat/completions");
    assert_eq!(body["disable_search"], true);
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "You write SQL."})
    );
    assert_eq!(body["max_tokens"], 300);
}

#[test]
fn openai_compatible_servers_report_tokens_and_local_ones_need_no_key() {
    let server = Server::start();
    server.push(openai::chat_ok("SELECT 1", 120, 8));
    let mut c = config(ProviderKind::OpenAi, &server);
    c.api_key = None;
    let done = HttpProvider::new(c)
        .expect("client")
        .complete(&request(), None)
        .expect("completion");
    assert_eq!(
        (
            done.usage.input_tokens,
            done.usage.output_tokens,
            done.usage.cost
        ),
        (120, 8, None)
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        None,
        "no key, no header"
    );
    // A hosted provider without a key is not configured; a local server is.
    let env = |_: &str| None;
    let no_key = |_: ProviderKind| None;
    assert!(
        configured(&Choice::default(), &env, &no_key)
            .unwrap()
            .is_none(),
        "no key: offline"
    );
    let local = Choice {
        provider: Some("openai".into()),
        base_url: Some("http://localhost:11434/v1".into()),
        model: Some("llama3.1".into()),
    };
    assert_eq!(
        configured(&local, &env, &no_key).unwrap().map(|c| c.model),
        Some("llama3.1".into())
    );
    let keyed = |kind: ProviderKind| (kind == ProviderKind::Perplexity).then(|| Secret::new(KEY));
    let c = configured(&Choice::default(), &env, &keyed)
        .unwrap()
        .expect("a key configures the default provider");
    assert_eq!(
        (c.kind, c.base_url.as_str()),
        (ProviderKind::Perplexity, "https://api.perplexity.ai")
    );
    assert!(!format!("{c:?}").contains(KEY), "the key never prints");
    assert!(configured(
        &Choice {
            provider: Some("gemini".into()),
            ..Choice::default()
        },
        &env,
        &no_key
    )
    .unwrap_err()
    .contains("not a provider"));
}

#[track_caller]
fn fails_with(
    server: &Server,
    kind: ProviderKind,
    reply: Reply,
    expected: &LlmError,
    message: &str,
) {
    server.push(reply);
    let mut c = config(kind, server);
    c.max_retries = 0;
    let err = HttpProvider::new(c)
        .expect("client")
        .complete(&request(), None)
        .expect_err("an error");
    assert_eq!(&err, expected);
    assert_eq!(err.to_string(), message);
    assert!(!err.to_string().contains(KEY));
}

#[test]
fn every_error_shape_becomes_one_plain_message() {
    let server = Server::start();
    let px = "Perplexity";
    fails_with(
        &server,
        ProviderKind::PerplexitySonar,
        perplexity::error(400, "Invalid model 'sonar-x'. Permitted models can be found in the documentation.", "invalid_model"),
        &LlmError::Rejected {
            provider: px,
            message: "Invalid model 'sonar-x'. Permitted models can be found in the documentation.".into(),
        },
        "Perplexity refused the request: Invalid model 'sonar-x'. Permitted models can be found in the documentation.",
    );
    fails_with(
        &server,
        ProviderKind::Perplexity,
        perplexity::unauthorized_html(),
        &LlmError::Unauthorized { provider: px },
        "Perplexity rejected the API key; open Settings → API keys and check it",
    );
    fails_with(
        &server,
        ProviderKind::PerplexitySonar,
        perplexity::validation_422("field required"),
        &LlmError::Rejected {
            provider: px,
            message: "field required".into(),
        },
        "Perplexity refused the request: field required",
    );
    fails_with(
        &server,
        ProviderKind::Perplexity,
        perplexity::agent_unknown_field("temperature"),
        &LlmError::Rejected {
            provider: px,
            message: "invalid request body: json: unknown field \"temperature\"".into(),
        },
        "Perplexity refused the request: invalid request body: json: unknown field \"temperature\"",
    );
    fails_with(
        &server,
        ProviderKind::Perplexity,
        perplexity::agent_failed("the model could not complete the task"),
        &LlmError::Failed {
            provider: px,
            message: "the model could not complete the task".into(),
        },
        "Perplexity could not finish the answer: the model could not complete the task",
    );
    fails_with(
        &server,
        ProviderKind::OpenAi,
        server_error(),
        &LlmError::Server {
            provider: "The AI provider",
            status: 500,
        },
        "The AI provider had a problem on its side (HTTP 500); try again in a minute",
    );
    fails_with(
        &server,
        ProviderKind::OpenAi,
        rate_limited(Some(120)),
        &LlmError::RateLimited {
            provider: "The AI provider",
            retry_after: Some(120),
        },
        "The AI provider is busy (rate limit reached); try again in about 2 minutes",
    );
    fails_with(
        &server,
        ProviderKind::OpenAi,
        Reply::text(200, "text/html", "<html>captive portal</html>"),
        &LlmError::BadReply {
            provider: "The AI provider",
            detail: "not JSON".into(),
        },
        "The AI provider sent a reply Plainsight could not read (not JSON)",
    );
}

#[test]
fn retryable_failures_are_retried_with_backoff_honouring_retry_after() {
    let server = Server::start();
    server.push(rate_limited(Some(1)));
    server.push(server_error());
    server.push(openai::chat_ok("SELECT 1", 5, 2));
    let started = Instant::now();
    let done = provider(ProviderKind::OpenAi, &server)
        .complete(&request(), None)
        .expect("third time lucky");
    assert_eq!(done.attempts, 3);
    assert!(
        started.elapsed() >= Duration::from_millis(1_400),
        "waited retry-after (1 s) then a 1 s backoff: {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 3);
    // Bounded: three 500s with two retries is an error, not a loop.
    for _ in 0..3 {
        server.push(server_error());
    }
    let err = provider(ProviderKind::OpenAi, &server)
        .complete(&request(), None)
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::Server {
            provider: "The AI provider",
            status: 500
        }
    );
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn a_slow_provider_times_out_and_stop_cancels_at_once() {
    let server = Server::start();
    server.push(openai::chat_ok("SELECT 1", 5, 2).after(Duration::from_secs(4)));
    let mut c = config(ProviderKind::OpenAi, &server);
    c.timeout = Duration::from_secs(1);
    c.max_retries = 0;
    let err = HttpProvider::new(c)
        .expect("client")
        .complete(&request(), None)
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::Timeout {
            provider: "The AI provider",
            secs: 1
        }
    );

    server.push(openai::chat_ok("SELECT 1", 5, 2).after(Duration::from_secs(4)));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = server.requests().len();
    // Stop is pressed once the request has reached the provider (no sleep).
    let (err, pressed) = std::thread::scope(|s| {
        let presser = s.spawn(|| {
            server.wait_for_requests(sent + 1, Duration::from_secs(5));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            Instant::now()
        });
        let err = provider(ProviderKind::OpenAi, &server)
            .complete(&request(), Some(&stop))
            .unwrap_err();
        (err, presser.join().expect("presser"))
    });
    assert_eq!(err, LlmError::Cancelled);
    assert!(
        pressed.elapsed() < Duration::from_secs(1),
        "Stop is noticed quickly: {:?}",
        pressed.elapsed()
    );
}

#[test]
fn an_unreachable_provider_and_a_missing_key_are_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut c = ProviderConfig::new(ProviderKind::OpenAi);
    c.base_url = format!("http://127.0.0.1:{port}/v1");
    c.max_retries = 0;
    let err = HttpProvider::new(c)
        .expect("client")
        .complete(&request(), None)
        .unwrap_err();
    assert_eq!(err.kind(), "llm_unreachable", "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    let err = HttpProvider::new(ProviderConfig::new(ProviderKind::Perplexity))
        .expect("client")
        .complete(&request(), None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Perplexity has no API key yet; add one in Settings → API keys (or set PERPLEXITY_API_KEY)"
    );
}

// ---- The pipeline's LLM branch ----

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
}

struct Shop {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.sqlite");
    plainsight_core::sample::write_sample_db(&db, today(), 2_000).expect("sample");
    Shop { _dir: dir, db }
}

fn pipeline(shop: &Shop, server: &Server, mode: AiMode) -> Pipeline {
    let options = PipelineOptions {
        ai: mode,
        ..PipelineOptions::default()
    };
    Pipeline::open(&shop.db, options)
        .expect("pipeline")
        .with_llm(Arc::new(provider(ProviderKind::Perplexity, server)))
}

const BOUGHT_TOGETHER: &str = "SELECT a.product_id AS first_product, b.product_id AS second_product, COUNT(*) AS orders_together FROM order_items a JOIN order_items b ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 ORDER BY orders_together DESC LIMIT 5";

fn answer_json(sql: &str) -> String {
    json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Pairs of products in the same order, counted.", "chart_hint": "bar", "assumptions": ["all orders count"]}).to_string()
}

#[test]
fn a_question_the_planner_cannot_answer_is_written_by_the_llm_validated_and_run() {
    let shop = shop();
    let server = Server::start();
    server.push(perplexity::agent_ok(
        &format!(
            "<think>pairs via self-join</think>\n```json\n{}\n```",
            answer_json(BOUGHT_TOGETHER)
        ),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    let p = pipeline(&shop, &server, AiMode::Auto);
    let a = p
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!(a.route, Route::Answer, "{a:?}");
    assert_eq!(a.rows.len(), 5);
    assert_eq!(
        a.columns,
        ["first_product", "second_product", "orders_together"]
    );
    assert!(a
        .code
        .as_deref()
        .is_some_and(|c| c.contains("JOIN order_items b")));
    assert!(
        a.interpretation
            .starts_with("Pairs of products in the same order"),
        "{}",
        a.interpretation
    );
    assert_eq!(
        (a.cost.total_nanos, a.cost.total_usd()),
        (2_490_000, 0.00249),
        "the provider's usage.cost: {:?}",
        a.cost
    );
    assert_eq!(a.cost.source, plainsight_core::CostSource::Provider);
    assert_eq!(a.generated_by, "perplexity/perplexity/sonar");
    assert!(a
        .privacy_receipt
        .as_deref()
        .is_some_and(|r| r.contains("which products were bought together")));
}

#[test]
fn a_failing_query_goes_back_once_and_both_attempts_are_paid_for() {
    let shop = shop();
    let server = Server::start();
    server.push(perplexity::agent_ok(
        &answer_json("SELECT product_name, SUM(qty) FROM order_items GROUP BY 1"),
        AgentUsage::new(2_000, 50, 0.002, 0.00005, 0.0),
    ));
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_300, 80, 0.0023, 0.00008, 0.0),
    ));
    let a = pipeline(&shop, &server, AiMode::Auto)
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!((a.route, a.rows.len()), (Route::Answer, 5), "{a:?}");
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    let retry = sent[1].json()["input"].to_string();
    assert!(
        retry.contains("no such column"),
        "the error went back to the model: {retry}"
    );
    assert_eq!(
        (a.cost.total_nanos, a.cost.total_usd()),
        (4_430_000, 0.00443),
        "exactly 0.00205 + 0.00238: {:?}",
        a.cost
    );
    assert!(
        a.cost
            .breakdown
            .iter()
            .any(|i| i.item == "self-correction" && i.nanos == 2_380_000),
        "{:?}",
        a.cost.breakdown
    );

    // A write is refused by the guard, corrected once, and if it comes back again the answer says so.
    server.push(perplexity::agent_ok(
        &answer_json("DELETE FROM orders"),
        AgentUsage::new(10, 5, 0.001, 0.0, 0.0),
    ));
    server.push(perplexity::agent_ok(
        &answer_json("DROP TABLE orders"),
        AgentUsage::new(10, 5, 0.001, 0.0, 0.0),
    ));
    let a = pipeline(&shop, &server, AiMode::Auto)
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!(
        (a.route, a.error_kind.as_deref()),
        (Route::Fallback, Some("llm_code_failed")),
        "{a:?}"
    );
    assert!(
        a.message
            .starts_with("The AI could not write a query that works"),
        "{}",
        a.message
    );
    assert_eq!(a.cost.total_nanos, 2_000_000);
}

#[test]
fn no_data_row_or_personal_value_is_sent_by_default() {
    let shop = shop();
    let server = Server::start();
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(1, 1, 0.0, 0.0, 0.0),
    ));
    pipeline(&shop, &server, AiMode::Auto)
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    let body = server.requests()[0].body.clone();
    let conn = rusqlite::Connection::open(&shop.db).expect("open");
    let personal: Vec<String> = conn
        .prepare(
            "SELECT name FROM customers UNION ALL SELECT email FROM customers WHERE email IS NOT NULL UNION ALL SELECT name FROM products",
        )
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(personal.len() > 100);
    for value in personal.iter().filter(|v| v.len() > 3) {
        assert!(!body.contains(value.as_str()), "{value:?} left the machine");
    }
    // A whole data row never appears either: no order's date + amount pair.
    let (date, revenue): (String, f64) = conn
        .query_row("SELECT order_date, revenue FROM sales LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert!(!body.contains(&format!("{date}\",{revenue}")), "no rows");
    assert!(
        body.contains("West"),
        "category values (regions) are sent so the model can filter"
    );
}

/// Every customer's name and e-mail, as written and as SQLite's `hex()` spells them (upper and
/// lower case): none may appear in what is sent to the AI, logged or traced.
fn customer_values(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT name, email, hex(name), hex(email) FROM customers")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok([
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ])
        })
        .expect("query");
    let mut values = Vec::new();
    for row in rows {
        for v in row.expect("row") {
            values.push(v.to_lowercase());
            values.push(v);
        }
    }
    values.retain(|v| v.len() > 3);
    values
}

/// A log captured in memory, for one thread.
#[derive(Clone, Default)]
struct CapturedLog(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn error_messages_that_quote_the_data_never_reach_the_ai_the_log_or_the_trace() {
    use plainsight_core::trace::langfuse::LangfuseTracer;
    use plainsight_core::trace::Tracer;
    use plainsight_loopback::langfuse::LangfuseServer;

    // Each query fails at run time with a message that, as SQLite words it, carries customers'
    // names and e-mails: hex() passes any masking of quoted text, and the JSON functions quote
    // the path they were given.
    let attacks = [
        "SELECT json_extract('{}', 'x' || (SELECT hex(group_concat(name || email)) FROM customers)) AS leak",
        "SELECT json_extract('{}', (SELECT group_concat(name || ' ' || email, '|') FROM customers)) AS leak",
        "SELECT json_set('{}', '$.' || (SELECT group_concat(email) FROM customers) || '[', 1) AS leak",
        "SELECT json_extract('{}', 'x' || lower(hex(name))) AS leak FROM customers",
        "SELECT json((SELECT group_concat(name) FROM customers)) AS leak",
        "SELECT json_extract('{}', 'x' || (SELECT hex(email) FROM customers WHERE customer_id = 7)) AS leak",
        "SELECT '{}' ->> ('x' || (SELECT group_concat(email) FROM customers)) AS leak",
    ];
    let shop = shop();
    let values = customer_values(&shop.db);
    // The attack is real: SQLite's own message carries the customers.
    let raw = rusqlite::Connection::open(&shop.db)
        .expect("open")
        .query_row(attacks[0], [], |r| r.get::<_, Option<String>>(0));
    let raw = raw.expect_err("the path is invalid").to_string();
    assert!(
        values.iter().filter(|v| raw.contains(v.as_str())).count() > 100,
        "{raw}"
    );
    let server = Server::start();
    let langfuse = LangfuseServer::start("pk-lf-leak-public", "sk-lf-leak-secret");
    let tracer = Arc::new(
        LangfuseTracer::start(
            &langfuse.url(),
            &Secret::new("pk-lf-leak-public"),
            &Secret::new("sk-lf-leak-secret"),
        )
        .expect("tracer"),
    );
    let p =
        pipeline(&shop, &server, AiMode::Auto).with_tracer(Arc::clone(&tracer) as Arc<dyn Tracer>);
    let log = CapturedLog::default();
    let writer = log.clone();
    let log_to = tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    );
    for attack in attacks {
        server.push(perplexity::agent_ok(
            &answer_json(attack),
            AgentUsage::new(100, 10, 0.0001, 0.0, 0.0),
        ));
        server.push(perplexity::agent_ok(
            &answer_json(BOUGHT_TOGETHER),
            AgentUsage::new(100, 10, 0.0001, 0.0, 0.0),
        ));
        let a = tracing::dispatcher::with_default(&log_to, || {
            p.ask(
                "which products were bought together most often?",
                today(),
                None,
            )
            .expect("answer")
        });
        assert_eq!(
            (a.route, a.rows.len()),
            (Route::Answer, 5),
            "{attack}: corrected on the second try: {a:?}"
        );
        for text in [
            &a.message,
            &a.interpretation,
            a.privacy_receipt.as_deref().unwrap_or_default(),
        ] {
            assert!(
                !values.iter().any(|v| text.contains(v.as_str())),
                "{attack}: the answer quotes a customer: {text}"
            );
        }
    }
    tracer.flush(Duration::from_secs(2));
    let sent = server.requests_without(&values);
    assert_eq!(sent.len(), 2 * attacks.len());
    let correction = sent[1].json()["input"].to_string();
    assert!(
        correction.contains(
            "That did not work: the query failed while running: a JSON path or value was invalid"
        ),
        "{correction}"
    );
    let log = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
    assert!(
        log.contains("a JSON path or value was invalid"),
        "the log says what went wrong: {log}"
    );
    assert!(
        !values.iter().any(|v| log.contains(v.as_str())),
        "the log quotes a customer: {log}"
    );
    let traced: Vec<String> = langfuse
        .server
        .requests()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert!(
        traced
            .iter()
            .any(|b| b.contains("a JSON path or value was invalid")),
        "the trace carries the same text"
    );
    assert!(
        !traced
            .iter()
            .any(|b| values.iter().any(|v| b.contains(v.as_str()))),
        "the trace quotes a customer"
    );
}

#[test]
fn writes_and_confident_questions_never_reach_the_provider() {
    let shop = shop();
    let server = Server::start();
    let p = pipeline(&shop, &server, AiMode::Auto);
    assert_eq!(
        p.ask("delete all refunded orders", today(), None)
            .expect("refused")
            .route,
        Route::Refused
    );
    let local = p
        .ask("show me last month's sales by region", today(), None)
        .expect("answer");
    assert_eq!(
        (
            local.route,
            local.generated_by.as_str(),
            local.cost.total_nanos
        ),
        (Route::Answer, "planner", 0)
    );
    assert!(server.requests().is_empty(), "nothing was sent");
    // With --ai always the confident one goes too, but a write still does not.
    let always = pipeline(&shop, &server, AiMode::Always);
    assert_eq!(
        always
            .ask("drop the customers table", today(), None)
            .expect("refused")
            .route,
        Route::Refused
    );
    assert!(server.requests().is_empty());
}

#[test]
fn the_llm_may_ask_back_or_decline_and_its_failures_fall_back_to_the_planner() {
    let shop = shop();
    let server = Server::start();
    let clarify = json!({"kind": "clarify", "explanation": "\"Best\" could mean revenue or units.", "options": ["top 5 products by revenue", "top 5 products by units sold"]});
    server.push(perplexity::agent_ok(
        &clarify.to_string(),
        AgentUsage::new(1, 1, 0.001, 0.0, 0.0),
    ));
    let a = pipeline(&shop, &server, AiMode::Auto)
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!((a.route, a.options.len()), (Route::Clarify, 2));
    let declined = json!({"kind": "out_of_scope", "explanation": "No weather data.", "reason": "The data holds orders, customers and products."});
    server.push(perplexity::agent_ok(
        &declined.to_string(),
        AgentUsage::new(1, 1, 0.001, 0.0, 0.0),
    ));
    let a = pipeline(&shop, &server, AiMode::Auto)
        .ask("what's the weather in Paris tomorrow?", today(), None)
        .expect("answer");
    assert_eq!(a.route, Route::Fallback);
    assert!(a.message.contains("The data holds orders"), "{}", a.message);
    // A rejected key: the message says what to do, the offline reading is still there.
    server.push(perplexity::unauthorized_html());
    let a = pipeline(&shop, &server, AiMode::Auto)
        .ask("how are we doing?", today(), None)
        .expect("offline answer");
    assert_eq!(a.error_kind.as_deref(), Some("llm_unauthorized"));
    assert!(
        a.message
            .starts_with("Perplexity rejected the API key; open Settings → API keys and check it."),
        "{}",
        a.message
    );
    assert_eq!(
        a.route,
        Route::Clarify,
        "the planner's own rephrasings are offered"
    );
    assert!(!a.options.is_empty());
    let _: Value = server.requests()[0].json();
}

#[test]
fn the_budget_is_reserved_before_each_call_and_settled_to_the_actual_cost() {
    use plainsight_core::budget::{Period, Scope};
    use plainsight_core::history::AppDb;
    let shop = shop();
    let server = Server::start();
    let app_db = shop.db.with_file_name("plainsight.sqlite");
    let db = AppDb::open(&app_db).expect("app db");
    db.set_budget(&Scope {
        name: "global".into(),
        limit_nanos: 1_000_000,
        period: Period::Day,
        soft: 0.8,
    })
    .expect("scope");
    let options = PipelineOptions {
        app_db: Some(app_db.clone()),
        ..PipelineOptions::default()
    };
    let p = Pipeline::open(&shop.db, options.clone())
        .expect("pipeline")
        .with_llm(Arc::new(provider(ProviderKind::Perplexity, &server)));
    let a = p
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("blocked answer");
    assert_eq!(
        (a.route, a.error_kind.as_deref()),
        (Route::Blocked, Some("budget_exceeded")),
        "{a:?}"
    );
    assert!(
        a.message
            .starts_with("The global budget of $0.00 per day is spent")
            && a.message.contains("resets at"),
        "{}",
        a.message
    );
    assert!(server.requests().is_empty(), "nothing was sent over budget");
    assert_eq!(a.to_json()["route"], "blocked");

    // With room for one call: reserved at the upper bound, settled to the provider's figure.
    db.set_budget(&Scope {
        name: "global".into(),
        limit_nanos: 1_000_000_000,
        period: Period::Day,
        soft: 0.8,
    })
    .expect("scope");
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    let a = p
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!(a.route, Route::Answer);
    let now = chrono::Utc::now();
    let state = db
        .budgets(now)
        .expect("budgets")
        .into_iter()
        .find(|s| s.scope.name == "global")
        .expect("global");
    assert_eq!(
        (state.spent_nanos, state.reserved_nanos),
        (a.cost.total_nanos, 0),
        "{state:?}"
    );
    assert_eq!(state.spent_usd(), 0.00249);
}

#[test]
fn repeated_outages_pause_the_provider_and_questions_go_offline_at_once() {
    let shop = shop();
    let server = Server::start();
    let mut c = config(ProviderKind::Perplexity, &server);
    c.max_retries = 0;
    let options = PipelineOptions {
        breaker: three_strikes(Duration::from_secs(30)),
        ..PipelineOptions::default()
    };
    let p = Pipeline::open(&shop.db, options)
        .expect("pipeline")
        .with_llm(Arc::new(HttpProvider::new(c).expect("client")));
    for _ in 0..3 {
        server.push(server_error());
        let a = p
            .ask("how are we doing?", today(), None)
            .expect("offline answer");
        assert_eq!(a.error_kind.as_deref(), Some("llm_server_error"));
    }
    let a = p
        .ask("how are we doing?", today(), None)
        .expect("offline answer");
    assert_eq!(a.error_kind.as_deref(), Some("provider_paused"), "{a:?}");
    assert!(
        a.message.starts_with("Perplexity is paused until")
            && a.message.contains("answered offline"),
        "{}",
        a.message
    );
    assert_eq!(
        a.route,
        Route::Clarify,
        "the planner's own reading is given"
    );
    assert_eq!(
        server.requests().len(),
        3,
        "a paused provider is not called"
    );
    // A rejected key is not an outage: it never pauses the provider.
    let server = Server::start();
    let p = Pipeline::open(&shop.db, PipelineOptions::default())
        .expect("pipeline")
        .with_llm(Arc::new(provider(ProviderKind::Perplexity, &server)));
    for _ in 0..4 {
        server.push(perplexity::unauthorized_html());
        assert_eq!(
            p.ask("how are we doing?", today(), None)
                .expect("answer")
                .error_kind
                .as_deref(),
            Some("llm_unauthorized")
        );
    }
}

fn three_strikes(cool_down: Duration) -> plainsight_core::breaker::Config {
    plainsight_core::breaker::Config {
        threshold: 3,
        cool_down,
    }
}

/// A shop database with an app database beside it (budgets, breakers) and a global budget.
fn shop_with_app_db(limit_usd: f64) -> (Shop, std::path::PathBuf) {
    use plainsight_core::budget::{Period, Scope};
    let shop = shop();
    let app_db = shop.db.with_file_name("plainsight.sqlite");
    plainsight_core::history::AppDb::open(&app_db)
        .expect("app db")
        .set_budget(&Scope {
            name: "global".into(),
            limit_nanos: plainsight_core::money::nanos(limit_usd),
            period: Period::Day,
            soft: 0.8,
        })
        .expect("scope");
    (shop, app_db)
}

#[test]
fn outages_of_every_kind_open_the_shared_breaker_which_survives_a_restart_and_recovers() {
    use plainsight_core::breaker::Outcome;
    use plainsight_core::history::AppDb;
    let (shop, app_db) = shop_with_app_db(10.0);
    let server = Server::start();
    // The pipelines read a clock the test moves: waiting for the pause to pass is a step.
    let clock = Arc::new(plainsight_core::clock::FixedClock::at(chrono::Utc::now()));
    let open_pipeline = || {
        let mut c = config(ProviderKind::Perplexity, &server);
        c.max_retries = 0;
        c.timeout = Duration::from_millis(500);
        let options = PipelineOptions {
            ai: AiMode::Always,
            app_db: Some(app_db.clone()),
            breaker: three_strikes(Duration::from_millis(400)),
            ..PipelineOptions::default()
        };
        Pipeline::open(&shop.db, options)
            .expect("pipeline")
            .with_llm(Arc::new(HttpProvider::new(c).expect("client")))
            .with_clock(Arc::clone(&clock) as Arc<dyn plainsight_core::clock::Clock>)
    };
    let p = open_pipeline();
    // A server error, a timeout and a garbage success body: three outages in a row.
    server.push(server_error());
    server.push(
        perplexity::agent_ok("x", AgentUsage::new(1, 1, 0.0, 0.0, 0.0))
            .after(Duration::from_secs(2)),
    );
    server.push(Reply::text(
        200,
        "application/json",
        "{\"id\": \"resp_1\", \"output\": [tru",
    ));
    let mut kinds = Vec::new();
    for _ in 0..3 {
        kinds.push(
            p.ask(
                "which products were bought together most often?",
                today(),
                None,
            )
            .expect("offline answer")
            .error_kind,
        );
    }
    assert_eq!(
        kinds
            .iter()
            .map(|k| k.as_deref().unwrap_or("none"))
            .collect::<Vec<_>>(),
        ["llm_server_error", "llm_timeout", "llm_bad_reply"]
    );
    // "Restart": a new pipeline (as another process would) sees the breaker open, and why.
    let p = open_pipeline();
    let a = p
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("offline answer");
    assert_eq!(a.error_kind.as_deref(), Some("provider_paused"), "{a:?}");
    assert!(
        a.message.contains("paused until") && a.message.contains("(last: Perplexity sent a reply"),
        "{}",
        a.message
    );
    assert_eq!(
        server.requests().len(),
        3,
        "a paused provider is not called"
    );
    let now = plainsight_core::clock::Clock::utc(clock.as_ref());
    let stored = AppDb::open(&app_db)
        .expect("app db")
        .breakers(three_strikes(Duration::from_millis(400)))
        .expect("breakers");
    assert_eq!(
        (
            stored[0].provider.as_str(),
            stored[0].breaker.state_name(now)
        ),
        ("perplexity", "open")
    );
    // After the pause one trial goes out; it succeeds and the breaker closes.
    clock.advance(Duration::from_millis(450));
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    let a = p
        .ask(
            "which products were bought together most often?",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!(
        (a.route, a.error_kind.as_deref()),
        (Route::Answer, None),
        "{a:?}"
    );
    let mut db = AppDb::open(&app_db).expect("app db");
    let stored = db
        .breakers(three_strikes(Duration::from_millis(400)))
        .expect("breakers");
    assert_eq!(
        stored[0]
            .breaker
            .state_name(plainsight_core::clock::Clock::utc(clock.as_ref())),
        "closed"
    );
    // A rejected key (an HTML 401) is shown at once and never opens the breaker.
    for _ in 0..4 {
        server.push(perplexity::unauthorized_html());
        let a = p
            .ask(
                "which products were bought together most often?",
                today(),
                None,
            )
            .expect("answer");
        assert_eq!(a.error_kind.as_deref(), Some("llm_unauthorized"));
    }
    let now = plainsight_core::clock::Clock::utc(clock.as_ref());
    assert_eq!(
        db.breaker_allow("perplexity", three_strikes(Duration::from_millis(400)), now)
            .expect("read"),
        Ok(())
    );
    db.breaker_record(
        "perplexity",
        three_strikes(Duration::from_millis(400)),
        &Outcome::Success,
        now,
    )
    .expect("write");
}

#[test]
fn a_question_above_the_approval_threshold_waits_and_an_approval_caps_what_it_may_spend() {
    let (shop, app_db) = shop_with_app_db(10.0);
    let server = Server::start();
    let options = PipelineOptions {
        app_db: Some(app_db),
        approval_usd: Some(0.0),
        self_correct: 0,
        ..PipelineOptions::default()
    };
    let p = Pipeline::open(&shop.db, options)
        .expect("pipeline")
        .with_llm(Arc::new(provider(ProviderKind::Perplexity, &server)));
    let q = "which products were bought together most often?";
    let a = p.ask(q, today(), None).expect("waiting answer");
    assert_eq!(
        (a.route, a.error_kind.as_deref()),
        (Route::Blocked, Some("approval_needed")),
        "{a:?}"
    );
    let estimate = a.estimate.expect("an estimate before anything is sent");
    assert!(
        estimate.about_usd > 0.0 && estimate.about_usd < estimate.at_most_usd,
        "{estimate:?}"
    );
    assert!(
        a.message
            .starts_with("This question needs the AI and would cost about $")
            && a.message.contains("(at most $"),
        "{}",
        a.message
    );
    assert!(
        server.requests().is_empty(),
        "nothing is sent before approval"
    );
    assert_eq!(
        a.to_json()["cost"]["estimate"]["at_most_usd"],
        estimate.at_most_usd
    );
    // Approved too little for even one call: still nothing is sent.
    let a = p
        .ask_with(q, today(), None, Some(estimate.at_most_usd / 10.0))
        .expect("waiting answer");
    assert_eq!(a.error_kind.as_deref(), Some("approval_needed"));
    assert!(
        a.message.contains("more than the $") && a.message.contains("you allowed"),
        "{}",
        a.message
    );
    assert!(server.requests().is_empty());
    // Approved at the estimate's upper bound: it runs.
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    let a = p
        .ask_with(q, today(), None, Some(estimate.at_most_usd))
        .expect("answer");
    assert_eq!((a.route, a.rows.len()), (Route::Answer, 5), "{a:?}");
    assert!(a.cost.total_usd() <= estimate.at_most_usd);
}

#[test]
fn a_provider_charging_more_than_reserved_is_charged_in_full_and_the_estimate_grows() {
    use plainsight_core::history::AppDb;
    let (shop, app_db) = shop_with_app_db(100_000.0);
    let server = Server::start();
    let options = |approval: Option<f64>| PipelineOptions {
        app_db: Some(app_db.clone()),
        approval_usd: approval,
        self_correct: 0,
        ..PipelineOptions::default()
    };
    let q = "which products were bought together most often?";
    let llm: Arc<dyn LlmProvider> = Arc::new(provider(ProviderKind::Perplexity, &server));
    let dry = Pipeline::open(&shop.db, options(Some(0.0)))
        .expect("pipeline")
        .with_llm(Arc::clone(&llm));
    let before = dry
        .ask(q, today(), None)
        .expect("estimate")
        .estimate
        .expect("estimate");
    // The provider reports three times the reservation (the upper bound of one call).
    let charged = before.at_most_usd * 3.0;
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, charged * 0.8, charged * 0.2, 0.0),
    ));
    let p = Pipeline::open(&shop.db, options(None))
        .expect("pipeline")
        .with_llm(Arc::clone(&llm));
    let a = p.ask(q, today(), None).expect("answer");
    assert_eq!(a.route, Route::Answer);
    assert_eq!(a.cost.total_nanos, plainsight_core::money::nanos(charged));
    let state = AppDb::open(&app_db)
        .expect("db")
        .budgets(chrono::Utc::now())
        .expect("budgets");
    assert_eq!(
        (state[0].spent_nanos, state[0].reserved_nanos),
        (a.cost.total_nanos, 0),
        "the excess is charged: {state:?}"
    );
    let after = dry
        .ask(q, today(), None)
        .expect("estimate")
        .estimate
        .expect("estimate");
    assert!(
        after.at_most_usd >= charged,
        "this model's upper bound now covers what it charged: {before:?} → {after:?}"
    );
    // A wild figure ($5,000) is charged too, but the margin stops at 10×.
    server.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, 4_000.0, 1_000.0, 0.0),
    ));
    p.ask(q, today(), None).expect("answer");
    let capped = dry
        .ask(q, today(), None)
        .expect("estimate")
        .estimate
        .expect("estimate");
    assert!(
        capped.at_most_usd <= before.at_most_usd * 10.0 + 1e-9,
        "{before:?} → {capped:?}"
    );
}

#[test]
fn two_hundred_concurrent_questions_never_spend_past_the_hard_cap() {
    use plainsight_core::history::AppDb;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (shop, app_db) = shop_with_app_db(1.0);
    let server = Server::start();
    let options = |approval: Option<f64>| PipelineOptions {
        ai: AiMode::Always,
        app_db: Some(app_db.clone()),
        approval_usd: approval,
        self_correct: 0,
        ..PipelineOptions::default()
    };
    let llm: Arc<dyn LlmProvider> = Arc::new(provider(ProviderKind::Perplexity, &server));
    let q = "which products were bought together most often?";
    let upper = Pipeline::open(&shop.db, options(Some(0.0)))
        .expect("pipeline")
        .with_llm(Arc::clone(&llm))
        .ask(q, today(), None)
        .expect("estimate")
        .estimate
        .expect("estimate")
        .at_most_usd;
    // Each reply costs a pseudo-random amount below the upper bound of one call.
    let counter = Arc::new(AtomicU64::new(0x9E37_79B9_7F4A_7C15));
    server.handle(move |_| {
        let mut x = counter.fetch_add(0x6A09_E667_F3BC_C909, Ordering::Relaxed);
        x ^= x >> 29;
        let share = (x % 1000) as f64 / 1000.0;
        Some(perplexity::agent_ok(
            &answer_json(BOUGHT_TOGETHER),
            AgentUsage::new(2_400, 90, upper * share * 0.9, upper * share * 0.1, 0.0),
        ))
    });
    let p = Arc::new(
        Pipeline::open(&shop.db, options(None))
            .expect("pipeline")
            .with_llm(llm),
    );
    let answers: Vec<plainsight_core::Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let p = Arc::clone(&p);
                scope.spawn(move || p.ask(q, today(), None).expect("answer"))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let state = AppDb::open(&app_db)
        .expect("db")
        .budgets(chrono::Utc::now())
        .expect("budgets");
    assert!(
        state[0].spent_nanos <= 1_000_000_000 && state[0].reserved_nanos == 0,
        "{state:?}"
    );
    let charged: i64 = answers.iter().map(|a| a.cost.total_nanos).sum();
    assert_eq!(
        charged, state[0].spent_nanos,
        "the ledger matches the answers to the nano-dollar: {state:?}"
    );
    let (answered, blocked): (Vec<_>, Vec<_>) =
        answers.iter().partition(|a| a.route == Route::Answer);
    assert!(
        !answered.is_empty() && !blocked.is_empty(),
        "{} answered, {} blocked",
        answered.len(),
        blocked.len()
    );
    for a in &blocked {
        assert_eq!(
            (a.route, a.error_kind.as_deref()),
            (Route::Blocked, Some("budget_exceeded")),
            "{a:?}"
        );
        assert!(
            a.message
                .starts_with("The global budget of $1.00 per day is spent"),
            "{}",
            a.message
        );
    }
    assert_eq!(
        server.requests().len(),
        answered.len(),
        "a blocked question sends nothing"
    );
}

#[test]
fn a_paraphrase_is_answered_from_the_cache_on_todays_data_without_calling_the_provider() {
    use plainsight_core::history::AppDb;
    let (shop, app_db) = shop_with_app_db(10.0);
    let server = Server::start();
    server.push(perplexity::agent_ok(
        &answer_json("SELECT COUNT(*) AS orders FROM orders"),
        AgentUsage::new(2_000, 40, 0.002, 0.0005, 0.0),
    ));
    let open = || {
        let options = PipelineOptions {
            ai: AiMode::Always,
            app_db: Some(app_db.clone()),
            cache: Some(plainsight_core::cache::CacheConfig::default()),
            ..PipelineOptions::default()
        };
        Pipeline::open(&shop.db, options)
            .expect("pipeline")
            .with_llm(Arc::new(provider(ProviderKind::Perplexity, &server)))
    };
    let first = open()
        .ask("how many orders were placed", today(), None)
        .expect("answer");
    assert_eq!(
        (first.route, first.cache.as_deref()),
        (Route::Answer, Some("miss")),
        "{first:?}"
    );
    assert_eq!(first.cost.total_nanos, 2_500_000);
    let before = first.rows[0][0].as_i64().expect("a count");
    // New rows after caching: the cached code runs again and sees them.
    let conn = rusqlite::Connection::open(&shop.db).expect("open");
    conn.execute_batch(
        "CREATE TEMP TABLE one AS SELECT * FROM orders LIMIT 1; UPDATE one SET order_id = 99999999; INSERT INTO orders SELECT * FROM one;",
    )
    .expect("insert");
    drop(conn);
    // After a restart (a new pipeline), in other words: no provider call, no cost.
    let again = open()
        .ask("Count the orders that were placed", today(), None)
        .expect("answer");
    assert_eq!(
        (again.route, again.cache.as_deref()),
        (Route::Answer, Some("semantic")),
        "{again:?}"
    );
    assert_eq!(
        again.rows[0][0].as_i64(),
        Some(before + 1),
        "re-executed on today's data"
    );
    assert_eq!(again.cost.total_nanos, 0);
    assert!(
        again
            .message
            .starts_with("Answered from cache, saved $0.0025"),
        "{}",
        again.message
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the paraphrase made no provider call"
    );
    assert_eq!(again.to_json()["cache"], "semantic");
    // The same words again: the exact layer.
    assert_eq!(
        open()
            .ask("how many orders were placed", today(), None)
            .expect("answer")
            .cache
            .as_deref(),
        Some("exact")
    );
    // Another number is another question.
    server.push(perplexity::agent_ok(
        &answer_json("SELECT COUNT(*) AS orders FROM orders LIMIT 5"),
        AgentUsage::new(2_000, 40, 0.002, 0.0005, 0.0),
    ));
    let other = open()
        .ask("how many orders were placed in 2025", today(), None)
        .expect("answer");
    assert_eq!(other.cache.as_deref(), Some("miss"));
    assert_eq!(server.requests().len(), 2);
    let stats = AppDb::open(&app_db)
        .expect("db")
        .cache_stats(chrono::Utc::now().timestamp())
        .expect("stats");
    assert_eq!(
        (
            stats.entries,
            stats.lookups,
            stats.exact_hits,
            stats.semantic_hits
        ),
        (2, 4, 1, 1),
        "{stats:?}"
    );
    assert_eq!(
        (stats.saved_nanos, stats.saved_usd()),
        (5_000_000, 0.005),
        "{stats:?}"
    );
}

#[test]
fn the_openai_compatible_embedder_reads_float_and_base64_vectors_and_plain_errors() {
    use plainsight_core::cache::embed::{Embedder, OpenAiEmbedder};
    let server = Server::start();
    server.push(openai::embeddings(&[vec![3.0, 4.0]], 5));
    server.push(openai::embeddings_base64(&[vec![3.0, 4.0]], 5));
    server.push(openai::error(
        401,
        "Incorrect API key provided",
        "invalid_request_error",
        Some("invalid_api_key"),
    ));
    let floats = OpenAiEmbedder::new(
        &server.url(),
        "text-embedding-3-small",
        Some(Secret::new(KEY)),
        false,
    )
    .expect("client");
    assert_eq!(
        floats.embed("sales by region").expect("vector"),
        [0.6, 0.8],
        "unit length"
    );
    let b64 = OpenAiEmbedder::new(
        &server.url(),
        "text-embedding-3-small",
        Some(Secret::new(KEY)),
        true,
    )
    .expect("client");
    assert_eq!(b64.embed("sales by region").expect("vector"), [0.6, 0.8]);
    let err = floats.embed("sales by region").expect_err("refused");
    assert_eq!(
        err.to_string(),
        "the embeddings server refused the request (HTTP 401): Incorrect API key provided"
    );
    let sent = server.requests();
    assert_eq!(
        (sent[0].path.as_str(), sent[0].header("authorization")),
        ("/embeddings", Some(format!("Bearer {KEY}").as_str()))
    );
    assert_eq!(
        sent[0].json(),
        json!({"model": "text-embedding-3-small", "input": "sales by region"})
    );
    assert_eq!(sent[1].json()["encoding_format"], "base64");
    assert!(!err.to_string().contains(KEY));
}

#[test]
fn a_paid_embedding_is_reserved_before_the_call_and_settled_in_the_ledger() {
    use plainsight_core::budget::{Period, Scope};
    use plainsight_core::cache::embed::{
        embed_within_budget, EmbedError, Embedder, OpenAiEmbedder,
    };
    use plainsight_core::history::AppDb;
    let embeddings = Server::start();
    // OpenAI's $0.02 per million tokens (20 nano-dollars a token), though the loopback is local.
    let embedder = Arc::new(
        OpenAiEmbedder::new(&embeddings.url(), "text-embedding-3-small", None, false)
            .expect("client")
            .with_price(0.02),
    );
    let q = "which products were bought together most often?";
    assert_eq!(
        embedder.max_cost_nanos(q),
        20 * q.len() as i64,
        "every byte a token"
    );
    let shop = shop();
    let app_db = shop.db.with_file_name("plainsight.sqlite");
    let mut db = AppDb::open(&app_db).expect("app db");
    let scope = |name: &str, limit_nanos: i64| Scope {
        name: name.into(),
        limit_nanos,
        period: Period::Day,
        soft: 0.8,
    };

    // A budget too small for the embedding: refused with the budget's own words, nothing sent.
    db.set_budget(&scope("global", 500)).expect("scope");
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("time")
        .and_utc();
    let err = embed_within_budget(embedder.as_ref(), &mut db, &["global"], q, now)
        .expect_err("over budget");
    assert!(matches!(err, EmbedError::OverBudget(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the question was not sent to the embeddings server: the global budget of $0.00 per day is spent ($0.0000 used); it resets at 2026-11-27 00:00"
    );
    let llm = Server::start();
    let options = PipelineOptions {
        ai: AiMode::Always,
        app_db: Some(app_db.clone()),
        cache: Some(plainsight_core::cache::CacheConfig::default()),
        ..PipelineOptions::default()
    };
    let p = Pipeline::open(&shop.db, options)
        .expect("pipeline")
        .with_embedder(Arc::clone(&embedder) as Arc<dyn Embedder>)
        .with_llm(Arc::new(provider(ProviderKind::Perplexity, &llm)));
    let a = p.ask(q, today(), None).expect("blocked answer");
    assert_eq!(
        (a.route, a.error_kind.as_deref()),
        (Route::Blocked, Some("budget_exceeded")),
        "{a:?}"
    );
    assert!(
        embeddings.requests().is_empty() && llm.requests().is_empty(),
        "nothing was sent over budget"
    );

    // With room: the embedding is reserved, sent, and settled to the 7 tokens the reply reports.
    db.set_budget(&scope("global", 1_000_000_000))
        .expect("scope");
    db.set_budget(&scope("provider:openai", 1_000_000))
        .expect("scope");
    embeddings.push(openai::embeddings(&[vec![3.0, 4.0]], 7));
    llm.push(perplexity::agent_ok(
        &answer_json(BOUGHT_TOGETHER),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    let a = p.ask(q, today(), None).expect("answer");
    assert_eq!(
        (a.route, a.cache.as_deref()),
        (Route::Answer, Some("miss")),
        "{a:?}"
    );
    assert_eq!(embeddings.requests().len(), 1);
    let conn = rusqlite::Connection::open(&app_db).expect("open");
    let mut ledger: Vec<(String, String, String, i64)> = conn
        .prepare("SELECT scope, purpose, kind, nanos FROM budget_ledger")
        .expect("ledger")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    ledger.sort();
    let row = |scope: &str, purpose: &str, nanos: i64| {
        (
            scope.to_string(),
            purpose.to_string(),
            "settled".to_string(),
            nanos,
        )
    };
    assert_eq!(
        ledger,
        [
            row("global", "ai", 2_490_000),
            row("global", "embedding", 140),
            row("provider:openai", "embedding", 140)
        ],
        "the embedding in its provider's scope too, the AI call only where it applies"
    );
}
