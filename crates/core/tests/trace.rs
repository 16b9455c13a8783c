//! Traces of real questions sent to a loopback Langfuse OTLP endpoint (plainsight-loopback's
//! `LangfuseServer`, which checks auth, content type, ingestion version and ids as Langfuse does).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use plainsight_core::llm::provider::{HttpProvider, ProviderConfig, ProviderKind};
use plainsight_core::secret::Secret;
use plainsight_core::trace::langfuse::{LangfuseTracer, QUEUE_LIMIT};
use plainsight_core::trace::{QuestionTrace, Tracer};
use plainsight_core::{AiMode, Pipeline, PipelineOptions, Route};
use plainsight_loopback::langfuse::{LangfuseServer, PATH};
use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::{server_error, Reply, Server};
use serde_json::json;

const PUBLIC: &str = "pk-lf-loopback-public-0001";
const SECRET: &str = "sk-lf-loopback-secret-0002";
const AI_KEY: &str = "pplx-trace-test-key-7777ABCD";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
}

fn tracer(host: &str) -> Arc<LangfuseTracer> {
    Arc::new(
        LangfuseTracer::start(host, &Secret::new(PUBLIC), &Secret::new(SECRET)).expect("tracer"),
    )
}

fn a_trace(question: &str) -> QuestionTrace {
    QuestionTrace {
        question: question.into(),
        route: "answer".into(),
        error_kind: None,
        cache: None,
        cost_usd: 0.0,
        started: std::time::SystemTime::now(),
        duration: Duration::from_millis(5),
        stages: Vec::new(),
    }
}

#[test]
fn each_question_becomes_one_trace_with_its_stages_and_the_ai_call_as_a_generation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = dir.path().join("shop.sqlite");
    plainsight_core::sample::write_sample_db(&shop, today(), 500).expect("sample");
    let langfuse = LangfuseServer::start(PUBLIC, SECRET);
    let ai = Server::start();
    let sql = "SELECT c.segment, COUNT(*) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.segment";
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Orders per segment.", "chart_hint": "bar", "assumptions": []});
    ai.push(perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(2_100, 55, 0.0021, 0.000055, 0.0),
    ));
    let mut config = ProviderConfig::new(ProviderKind::Perplexity);
    config.base_url = ai.url();
    config.api_key = Some(Secret::new(AI_KEY));
    let tracer = tracer(&langfuse.url());
    let options = PipelineOptions {
        ai: AiMode::Auto,
        ..PipelineOptions::default()
    };
    let p = Pipeline::open(&shop, options)
        .expect("pipeline")
        .with_llm(Arc::new(HttpProvider::new(config).expect("client")))
        .with_tracer(Arc::clone(&tracer) as Arc<dyn Tracer>);
    let offline = p
        .ask("show me last month's sales by region", today(), None)
        .expect("answer");
    let by_ai = p
        .ask(
            "which customer segments placed the most orders together",
            today(),
            None,
        )
        .expect("answer");
    assert_eq!(
        (offline.route, by_ai.route),
        (Route::Answer, Route::Answer),
        "{by_ai:?}"
    );
    assert!(
        offline.stages.iter().any(|s| s.name == "plan")
            && by_ai.stages.iter().any(|s| s.name == "llm")
    );
    tracer.flush(Duration::from_secs(2));
    assert_eq!(tracer.stats().exported, 2, "{:?}", tracer.stats());

    let sent = langfuse.server.requests();
    assert!(sent
        .iter()
        .all(|r| r.path == PATH && r.header("x-langfuse-ingestion-version") == Some("4")));
    let spans = langfuse.spans();
    let roots: Vec<_> = spans
        .iter()
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 2, "one trace per question");
    assert!(roots
        .iter()
        .all(|r| r.name == "question" && r.attr("langfuse.trace.name") == Some("question")));
    assert_ne!(roots[0].trace_id, roots[1].trace_id);
    let of = |root: &plainsight_loopback::langfuse::Span| -> Vec<String> {
        spans
            .iter()
            .filter(|s| s.trace_id == root.trace_id && s.parent_span_id == root.span_id)
            .map(|s| s.name.clone())
            .collect()
    };
    assert_eq!(of(roots[0]), ["plan", "guard", "run", "chart", "draw"]);
    let ai_stages = of(roots[1]);
    for stage in [
        "plan", "cache", "breaker", "llm", "repair", "guard", "run", "chart",
    ] {
        assert!(
            stage == "cache" || stage == "breaker" || ai_stages.iter().any(|s| s == stage),
            "{stage} in {ai_stages:?}"
        );
    }
    let generation = spans.iter().find(|s| s.name == "llm").expect("the AI call");
    assert_eq!(
        generation.attr("langfuse.observation.type"),
        Some("generation")
    );
    assert_eq!(
        generation.attr("gen_ai.request.model"),
        Some("perplexity/perplexity/sonar")
    );
    assert_eq!(
        (
            generation.attr("gen_ai.usage.input_tokens"),
            generation.attr("gen_ai.usage.output_tokens")
        ),
        (Some("2100"), Some("55"))
    );
    let cost: serde_json::Value = serde_json::from_str(
        generation
            .attr("langfuse.observation.cost_details")
            .expect("cost"),
    )
    .expect("json");
    assert!(
        (cost["total"].as_f64().expect("total") - 0.002155).abs() < 1e-12,
        "{cost}"
    );
    let output: String = serde_json::from_str(
        generation
            .attr("langfuse.observation.output")
            .expect("output"),
    )
    .expect("json string");
    assert_eq!(output, sql, "the generated code");
    let input: String = serde_json::from_str(
        generation
            .attr("langfuse.observation.input")
            .expect("input"),
    )
    .expect("json string");
    assert!(
        input.contains("which customer segments placed the most orders together")
            && input.contains("Tables")
    );
    assert!(generation.start_end.0 < generation.start_end.1);
    // No key and no data row leaves in a trace.
    let everything: String = sent.iter().map(|r| r.body.as_str()).collect();
    assert!(!everything.contains(AI_KEY) && !everything.contains(SECRET));
    assert!(
        !everything.contains("\"Online\",") && !everything.contains("@example"),
        "no result rows or e-mail addresses"
    );
}

#[test]
fn a_rate_limit_is_retried_after_its_retry_after() {
    let langfuse = LangfuseServer::start(PUBLIC, SECRET);
    langfuse
        .server
        .push(Reply::json(429, json!({"error": "rate limited"})).with_header("retry-after", "0"));
    let tracer = tracer(&langfuse.url());
    tracer.export(a_trace("revenue by region"));
    tracer.flush(Duration::from_secs(5));
    assert_eq!(
        (tracer.stats().exported, langfuse.server.requests().len()),
        (1, 2)
    );
    assert_eq!(langfuse.spans().len(), 1);
}

#[test]
fn wrong_keys_are_refused_and_not_retried() {
    let langfuse = LangfuseServer::start(PUBLIC, "sk-lf-another");
    let tracer = tracer(&langfuse.url());
    tracer.export(a_trace("revenue by region"));
    tracer.flush(Duration::from_secs(5));
    assert_eq!(
        (tracer.stats().failed, langfuse.server.requests().len()),
        (1, 1)
    );
}

#[test]
fn a_failing_langfuse_pauses_its_exporter_and_never_slows_an_answer() {
    let langfuse = LangfuseServer::start(PUBLIC, SECRET);
    for _ in 0..9 {
        langfuse.server.push(server_error());
    }
    let tracer = tracer(&langfuse.url());
    for i in 0..3 {
        tracer.export(a_trace(&format!("question {i}")));
        tracer.flush(Duration::from_secs(5));
    }
    assert_eq!(tracer.stats().failed, 3, "{:?}", tracer.stats());
    assert_eq!(
        langfuse.server.requests().len(),
        9,
        "three attempts per batch"
    );
    // Open now: new traces wait in the queue and nothing is sent.
    let started = Instant::now();
    tracer.export(a_trace("question 4"));
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "exporting never waits for Langfuse"
    );
    // The exporter says when it has looked at the queue and held it back (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(5);
    while tracer.stats().held == 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert!(tracer.stats().held > 0, "{:?}", tracer.stats());
    assert_eq!(
        langfuse.server.requests().len(),
        9,
        "the breaker holds calls back"
    );
    assert_eq!(tracer.stats().pending, 1);
}

#[test]
fn the_queue_is_bounded_and_drops_the_oldest() {
    let langfuse = LangfuseServer::start(PUBLIC, SECRET);
    langfuse
        .server
        .push(Reply::json(200, json!({})).after(Duration::from_millis(800)));
    let tracer = tracer(&langfuse.url());
    tracer.export(a_trace("first"));
    langfuse.server.wait_for_requests(1, Duration::from_secs(5));
    for i in 0..QUEUE_LIMIT + 40 {
        tracer.export(a_trace(&format!("question {i}")));
    }
    let stats = tracer.stats();
    assert_eq!(
        (stats.dropped, stats.pending),
        (40, QUEUE_LIMIT + 1),
        "{stats:?}"
    );
    tracer.flush(Duration::from_secs(5));
    let kept: Vec<String> = langfuse
        .spans()
        .iter()
        .filter_map(|s| s.attr("langfuse.trace.input").map(str::to_string))
        .collect();
    assert!(
        kept.contains(&"\"question 40\"".to_string())
            && !kept.contains(&"\"question 39\"".to_string()),
        "the oldest went first"
    );
}
