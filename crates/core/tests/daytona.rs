//! The Daytona runner against a loopback server that keeps Daytona v0's sandbox lifecycle and
//! wire format (plainsight-loopback's `DaytonaServer`): every run creates a network-blocked
//! sandbox, waits for it, runs the script with the rows inline, and deletes it — whatever
//! happens. No sandbox is ever left behind.

use std::time::Duration;

use plainsight_core::python::daytona::DaytonaRunner;
use plainsight_core::python::{CodeRunner, PyError, PyLimits};
use plainsight_core::secret::Secret;
use plainsight_loopback::daytona::{DaytonaServer, API_KEY};
use serde_json::{json, Map, Value};

fn runner(server: &DaytonaServer, key: &str) -> DaytonaRunner {
    DaytonaRunner::new(&server.url(), Secret::new(key))
        .expect("client")
        .with_start_limit(Duration::from_secs(10))
}

fn rows() -> Vec<Map<String, Value>> {
    vec![json!({"region": "West", "amount": 10})
        .as_object()
        .cloned()
        .expect("object")]
}

#[test]
fn a_script_runs_in_a_fresh_network_blocked_sandbox_that_is_then_deleted() {
    let server = DaytonaServer::start();
    server.script_result(
        0,
        "hello\n__PLAINSIGHT_RESULT__[{\"region\": \"West\", \"total\": 10}]\n",
    );
    let out = runner(&server, API_KEY)
        .run("result = [{'region': r['region'], 'total': r['amount']} for r in rows]\nprint('hello')", &rows(), PyLimits::default())
        .expect("runs");
    assert_eq!(out.columns, ["region", "total"]);
    assert_eq!(out.rows, [vec![json!("West"), json!(10)]]);
    assert_eq!(out.printed, "hello\n");
    assert_eq!(server.created().len(), 1);
    assert!(server.live().is_empty(), "the sandbox was deleted");
    let create = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/sandbox")
        .expect("created")
        .json();
    assert_eq!(create["networkBlockAll"], true, "no network in the sandbox");
    let run = &server.code_runs()[0];
    assert_eq!(run["language"], "python");
    let code = run["code"].as_str().expect("code");
    assert!(
        code.contains("json.loads(") && code.contains("West"),
        "rows travel inline: {code}"
    );
    assert!(code.contains("print('hello')"));
}

#[test]
fn every_failure_is_a_plain_message_and_leaves_no_sandbox() {
    let server = DaytonaServer::start();
    let r = runner(&server, API_KEY);
    server.script_result(1, "Traceback (most recent call last):\n  File \"<string>\", line 3\nZeroDivisionError: division by zero\n");
    assert_eq!(
        r.run("result = 1 / 0", &rows(), PyLimits::default()),
        Err(PyError::Script(
            "ZeroDivisionError: division by zero".into()
        ))
    );
    server.script_timeout();
    assert_eq!(
        r.run("while True: pass", &rows(), PyLimits::default()),
        Err(PyError::Timeout(5))
    );
    server.script_crash();
    assert!(matches!(
        r.run("result = 1", &rows(), PyLimits::default()),
        Err(PyError::Remote(_))
    ));
    server.script_result(0, "no marker here\n");
    assert_eq!(
        r.run("x = 1", &rows(), PyLimits::default()),
        Err(PyError::NoResult)
    );
    server.fail_to_start("out of capacity");
    let err = r
        .run("result = 1", &rows(), PyLimits::default())
        .expect_err("failed start");
    assert!(err.to_string().contains("failed to start"), "{err}");
    assert_eq!(server.created().len(), 5);
    assert!(
        server.live().is_empty(),
        "no sandbox left behind: {:?}",
        server.live()
    );

    let busy = DaytonaServer::start();
    busy.rate_limit_next_create(30);
    let err = runner(&busy, API_KEY)
        .run("result = 1", &rows(), PyLimits::default())
        .expect_err("429");
    assert_eq!(
        err.to_string(),
        "Daytona is busy (rate limit reached); try again in a minute"
    );
    assert!(busy.created().is_empty());
    let err = runner(&busy, "not-the-key")
        .run("result = 1", &rows(), PyLimits::default())
        .expect_err("401");
    assert_eq!(
        err.to_string(),
        "Daytona rejected the API key; open Settings → API keys and check it"
    );
}

#[test]
fn an_llm_python_answer_can_run_in_daytona() {
    use plainsight_core::llm::provider::{HttpProvider, ProviderConfig, ProviderKind};
    use plainsight_loopback::perplexity::{self, AgentUsage};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.sqlite");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    plainsight_core::sample::write_sample_db(&db, today, 1_000).expect("sample");
    let llm = plainsight_loopback::Server::start();
    let reply = json!({"kind": "answer", "language": "python", "query": "SELECT region, SUM(revenue) AS revenue FROM sales GROUP BY region", "code": "result = sorted(rows, key=lambda r: -r['revenue'])[:2]", "explanation": "Top two regions."});
    llm.push(perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(100, 10, 0.001, 0.0, 0.0),
    ));
    let daytona = DaytonaServer::start();
    daytona.script_result(0, "__PLAINSIGHT_RESULT__[{\"region\": \"East\", \"revenue\": 2.0}, {\"region\": \"West\", \"revenue\": 1.0}]\n");
    let mut config = ProviderConfig::new(ProviderKind::Perplexity);
    config.base_url = llm.url();
    config.api_key = Some(Secret::new("pplx-test-key-000000000000"));
    let pipeline =
        plainsight_core::Pipeline::open(&db, plainsight_core::PipelineOptions::default())
            .expect("pipeline")
            .with_llm(std::sync::Arc::new(
                HttpProvider::new(config).expect("client"),
            ))
            .with_runner(std::sync::Arc::new(runner(&daytona, API_KEY)));
    let a = pipeline
        .ask(
            "which two regions sell the most, in python please?",
            today,
            None,
        )
        .expect("answer");
    assert_eq!(
        (a.route, a.language),
        (
            plainsight_core::Route::Answer,
            Some(plainsight_core::Language::Python)
        ),
        "{a:?}"
    );
    assert_eq!(a.rows.len(), 2);
    let code = daytona.code_runs()[0]["code"]
        .as_str()
        .expect("code")
        .to_string();
    assert!(
        code.contains("\\\"region\\\"") && code.contains("sorted(rows"),
        "the query's rows went inline with the script"
    );
    assert!(daytona.live().is_empty(), "deleted afterwards");
    let sandbox = a
        .cost
        .breakdown
        .iter()
        .find(|c| c.item == "sandbox")
        .expect("the sandbox's seconds are charged");
    assert!(sandbox.nanos > 0 && sandbox.usd() < 0.01, "{sandbox:?}");
    assert_eq!(
        a.cost.total_nanos,
        1_000_000 + sandbox.nanos,
        "{:?}",
        a.cost
    );
}
