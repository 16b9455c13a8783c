//! `plainsight ask` with an AI provider: a loopback server on 127.0.0.1 plays Perplexity (Agent
//! API) and the CLI's JSON shows the generated SQL's answer and the provider's cost.

use std::path::Path;
use std::process::{Command, Output};

use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::Server;
use serde_json::{json, Value};

use crate::cli::{bin, sample_db};

const TODAY: &str = "2026-11-26";
const KEY: &str = "pplx-loopback-test-key-0000WXYZ";

/// `plainsight ask` on the sample, through the loopback provider, with its key and data dir; the
/// caller adds flags and the question.
fn ask_command(server: &Server, data: &Path) -> Command {
    let db = sample_db().to_str().expect("utf-8 path");
    let mut command = Command::new(bin());
    command
        .args([
            "ask",
            "--db",
            db,
            "--today",
            TODAY,
            "--json",
            "--provider",
            "perplexity",
            "--base-url",
            &server.url(),
        ])
        .env("PLAINSIGHT_DATA_DIR", data)
        .env("PERPLEXITY_API_KEY", KEY);
    command
}

fn ask(server: &Server, data: &Path, extra_env: &[(&str, &str)], question: &str) -> Output {
    ask_command(server, data)
        .arg(question)
        .envs(extra_env.iter().copied())
        .output()
        .expect("plainsight runs")
}

fn ask_with(server: &Server, data: &Path, extra_args: &[&str], question: &str) -> Output {
    ask_command(server, data)
        .args(extra_args)
        .arg(question)
        .output()
        .expect("plainsight runs")
}

#[test]
fn the_cli_answers_through_the_provider_with_its_cost() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let sql = "SELECT c.segment, COUNT(DISTINCT o.order_id) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.segment";
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Orders per customer segment.", "chart_hint": "bar", "assumptions": []});
    server.push(perplexity::agent_ok(
        &format!("<think>count orders per segment</think>{reply}"),
        AgentUsage::new(3_000, 60, 0.003, 0.00006, 0.0),
    ));
    let out = ask(
        &server,
        data.path(),
        &[],
        "which products were bought together most often?",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["route"], "answer", "{a}");
    assert_eq!(a["cost"]["provider"], "perplexity/perplexity/sonar");
    assert_eq!(a["columns"], json!(["segment", "orders"]));
    assert_eq!(
        a["mappings"],
        json!([]),
        "the AI's reading is not the planner's word by word"
    );
    assert_eq!(a["cost"]["source"], "provider");
    assert!(
        (a["cost"]["total_usd"].as_f64().unwrap_or_default() - 0.00306).abs() < 1e-9,
        "{}",
        a["cost"]
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(KEY),
        "the key never appears in output"
    );
}

#[test]
fn a_rejected_key_is_one_plain_sentence_and_the_offline_reading_stays() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    server.push(perplexity::unauthorized_html());
    let out = ask(&server, data.path(), &[], "how are we doing?");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["error_kind"], "llm_unauthorized");
    assert!(
        a["message"].as_str().is_some_and(
            |m| m.starts_with("Perplexity rejected the API key; open Settings → API keys")
        ),
        "{a}"
    );
    assert_eq!(a["route"], "clarify");
    // Offline, nothing is sent at all.
    let db = sample_db().to_str().expect("utf-8 path");
    let out = Command::new(bin())
        .args([
            "ask",
            "--db",
            db,
            "--today",
            TODAY,
            "--json",
            "--offline",
            "--base-url",
            &server.url(),
            "how are we doing?",
        ])
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .env("PERPLEXITY_API_KEY", KEY)
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(server.requests().len(), 1, "--offline sends nothing");
}

#[test]
fn a_spent_budget_blocks_the_ai_for_the_cli_too() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let plainsight = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .output()
            .expect("runs")
    };
    let out = plainsight(&[
        "budget", "set", "global", "--limit", "0.0001", "--period", "day",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ask(
        &server,
        data.path(),
        &[],
        "which products were bought together most often?",
    );
    assert!(
        out.status.success(),
        "exit 0 when blocked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (a["route"].as_str(), a["error_kind"].as_str()),
        (Some("blocked"), Some("budget_exceeded")),
        "{a}"
    );
    assert!(server.requests().is_empty(), "nothing sent");
    let shown: Value =
        serde_json::from_slice(&plainsight(&["budget", "show", "--json"]).stdout).expect("json");
    assert_eq!(shown["scopes"][0]["scope"], "global");
    assert_eq!(shown["scopes"][0]["period"], "day");
    assert!(
        shown["scopes"][0]["resets_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("T00:00:00")),
        "{shown}"
    );
    let out = plainsight(&["budget", "set", "team", "--limit", "1"]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("not a budget scope")
    );
}

#[test]
fn the_cli_reports_records_and_budgets_exactly_the_providers_figure() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let plainsight = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .output()
            .expect("runs")
    };
    // The provider says 0.00748 (its parts added as doubles are 0.0074800000000000005).
    let mut usage = AgentUsage::new(2_000, 60, 0.001, 0.00048, 0.006);
    usage.total_cost = 0.00748;
    let sql = "SELECT c.segment, COUNT(DISTINCT o.order_id) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.segment";
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Orders per customer segment.", "assumptions": []});
    server.push(perplexity::agent_ok(&reply.to_string(), usage));
    let out = ask(
        &server,
        data.path(),
        &[],
        "which products were bought together most often?",
    );
    let a = json_of(&out);
    assert_eq!(a["route"], "answer", "{a}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#""total_usd":0.00748,"#),
        "printed as the provider wrote it: {}",
        a["cost"]
    );
    assert_eq!(
        a["cost"]["breakdown"],
        json!([{"item": "prompt", "usd": 0.001}, {"item": "completion", "usd": 0.00048}, {"item": "fees", "usd": 0.006}])
    );
    // A second answer of 0.00306: as doubles the two make 0.010539999999999999.
    server.push(answer_reply());
    let b = json_of(&ask(&server, data.path(), &[], "how are we doing?"));
    assert_eq!(b["cost"]["total_usd"], 0.00306, "{b}");
    let out = plainsight(&["budget", "show", "--json"]);
    let shown: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (
            shown["scopes"][0]["scope"].as_str(),
            shown["scopes"][0]["spent_usd"].as_f64()
        ),
        (Some("global"), Some(0.01054)),
        "{shown}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#""spent_usd":0.01054,"#),
        "{shown}"
    );
    assert_eq!(
        shown["scopes"][0]["reserved_usd"], 0.0,
        "every reservation was settled: {shown}"
    );
    // The history keeps each answer's cost in nano-dollars.
    let app = rusqlite::Connection::open(plainsight_core::datadir::app_db_path(data.path()))
        .expect("app database");
    let costs: Vec<i64> = app
        .prepare("SELECT cost_nanos FROM history ORDER BY id")
        .expect("history")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("costs");
    assert_eq!(costs, [7_480_000, 3_060_000]);
}

#[test]
fn a_key_the_provider_quotes_back_is_in_no_file_no_log_line_and_no_output() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let plainsight = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .env("PLAINSIGHT_LOG", "trace")
            .output()
            .expect("runs")
    };
    let mut outputs = Vec::new();
    // An error body that quotes the key, as some gateways do.
    server.push(perplexity::error(
        400,
        &format!("Invalid API key {KEY}: not allowed for this model"),
        "invalid_request",
    ));
    let out = ask(
        &server,
        data.path(),
        &[("PLAINSIGHT_LOG", "trace")],
        "which products were bought together most often?",
    );
    let a = json_of(&out);
    assert_eq!(a["error_kind"], "llm_rejected", "{a}");
    assert!(
        a["message"]
            .as_str()
            .is_some_and(|m| m.contains("Invalid API key [redacted]")),
        "{a}"
    );
    outputs.push(out);
    // A reply that echoes it: in the explanation, an assumption, the SQL and a column's name.
    let sql = format!("SELECT '{KEY}' AS \"{KEY}\", segment, COUNT(*) AS customers FROM customers GROUP BY segment");
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": format!("Customers per segment (key {KEY})."),
        "assumptions": [format!("sent with Authorization: Bearer {KEY}")]});
    server.push(perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(2_000, 60, 0.002, 0.00006, 0.0),
    ));
    let out = ask(
        &server,
        data.path(),
        &[("PLAINSIGHT_LOG", "trace")],
        "which products were bought together most often?",
    );
    let a = json_of(&out);
    assert_eq!(a["route"], "answer", "{a}");
    assert!(
        a["interpretation"]
            .as_str()
            .is_some_and(|i| i.contains("(key [redacted])")),
        "{a}"
    );
    outputs.push(out);
    // A failed run whose error quotes it (HTTP 200, status "failed").
    server.push(perplexity::agent_failed(&format!("upstream refused {KEY}")));
    let out = ask(
        &server,
        data.path(),
        &[("PLAINSIGHT_LOG", "trace")],
        "how are we doing?",
    );
    assert_eq!(json_of(&out)["error_kind"], "llm_failed");
    outputs.push(out);
    for args in [
        &["breaker", "show", "--json"][..],
        &["budget", "show", "--json"],
        &["cache", "stats", "--json"],
    ] {
        outputs.push(plainsight(args));
    }
    let text = |out: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let secret = "loopback-test-key-0000";
    assert!(KEY.contains(secret));
    for out in &outputs {
        assert!(
            !text(out).contains(secret),
            "the key appeared in output: {}",
            text(out)
        );
    }
    assert!(
        outputs.iter().any(|o| text(o).contains("[redacted]")),
        "the key was there to mask"
    );
    // Nor in any file of the data folder: app database (history, cache, breakers), its WAL, the log.
    let mut files = Vec::new();
    let mut dirs = vec![data.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(data.path().join("logs"))),
        "a log was written: {files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the key was written to {}",
            file.display()
        );
    }
    let app = rusqlite::Connection::open(plainsight_core::datadir::app_db_path(data.path()))
        .expect("app database");
    let (history, cached): (i64, i64) = app
        .query_row(
            "SELECT (SELECT count(*) FROM history), (SELECT count(*) FROM llm_cache)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("counts");
    assert!(
        history >= 3 && cached == 1,
        "the answers were recorded and the reply cached (masked): {history}, {cached}"
    );
}

fn answer_reply() -> plainsight_loopback::Reply {
    let sql = "SELECT c.segment, COUNT(DISTINCT o.order_id) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.segment";
    let reply = json!({"kind": "answer", "language": "sql", "code": sql, "explanation": "Orders per customer segment.", "chart_hint": "bar", "assumptions": []});
    perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(3_000, 60, 0.003, 0.00006, 0.0),
    )
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn above_the_approval_threshold_the_cli_needs_max_cost_and_keeps_within_it() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let app = plainsight_core::history::AppDb::open(&data.path().join("plainsight.sqlite"))
        .expect("app db");
    app.set_setting("approval_usd", "0", &|_| None)
        .expect("setting");
    let q = "which products were bought together most often?";
    let a = json_of(&ask(&server, data.path(), &[], q));
    assert_eq!(
        (a["route"].as_str(), a["error_kind"].as_str()),
        (Some("blocked"), Some("approval_needed")),
        "{a}"
    );
    let at_most = a["cost"]["estimate"]["at_most_usd"]
        .as_f64()
        .expect("an estimate");
    assert!(
        a["message"]
            .as_str()
            .is_some_and(|m| m.contains("would cost about $")),
        "{a}"
    );
    assert!(
        server.requests().is_empty(),
        "nothing is sent without approval"
    );
    // --max-cost below one call's upper bound: still nothing; at the bound: answered.
    let a = json_of(&ask_with(
        &server,
        data.path(),
        &["--max-cost", "0.000001"],
        q,
    ));
    assert_eq!(a["error_kind"], "approval_needed", "{a}");
    assert!(server.requests().is_empty());
    server.push(answer_reply());
    let a = json_of(&ask_with(
        &server,
        data.path(),
        &["--max-cost", &at_most.to_string()],
        q,
    ));
    assert_eq!(a["route"], "answer", "{a}");
    assert!(a["cost"]["total_usd"]
        .as_f64()
        .is_some_and(|c| c <= at_most));
    let out = ask_with(&server, data.path(), &["--max-cost=-1"], q);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--max-cost"));
}

#[test]
fn the_breaker_is_shared_by_cli_processes_shown_and_recovers() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    server.handle(move |_| {
        Some(if flag.load(Ordering::SeqCst) {
            answer_reply()
        } else {
            plainsight_loopback::server_error()
        })
    });
    let env = [
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "2"),
        ("CIRCUIT_BREAKER_RECOVERY_TIMEOUT_MS", "60000"),
    ];
    let q = "which products were bought together most often?";
    for _ in 0..2 {
        let a = json_of(&ask(&server, data.path(), &env, q));
        assert_eq!(a["error_kind"], "llm_server_error", "{a}");
    }
    let sent = server.requests().len();
    // A third process finds the provider paused and does not call it.
    let a = json_of(&ask(&server, data.path(), &env, q));
    assert_eq!(a["error_kind"], "provider_paused", "{a}");
    assert!(
        a["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Perplexity is paused until")),
        "{a}"
    );
    assert_eq!(
        server.requests().len(),
        sent,
        "a paused provider is not called"
    );
    let show = |env: &[(&str, &str)]| {
        json_of(
            &Command::new(bin())
                .args(["breaker", "show", "--json"])
                .env("PLAINSIGHT_DATA_DIR", data.path())
                .envs(env.iter().copied())
                .output()
                .expect("runs"),
        )
    };
    let shown = show(&env);
    assert_eq!(shown["breakers"][0]["provider"], "perplexity");
    assert_eq!(shown["breakers"][0]["state"], "open", "{shown}");
    assert!(
        shown["breakers"][0]["paused_until"].is_string()
            && shown["breakers"][0]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("HTTP 500"))
    );
    // After the pause the provider works again: one trial, it closes. The pause passes by
    // moving its stored end (UTC) a minute and a second back, not by waiting for it.
    healthy.store(true, Ordering::SeqCst);
    let moved = rusqlite::Connection::open(plainsight_core::datadir::app_db_path(data.path()))
        .expect("the app database")
        .execute(
            "UPDATE breakers SET until = strftime('%Y-%m-%dT%H:%M:%f', until, '-61 seconds') WHERE provider = 'perplexity'",
            [],
        )
        .expect("moved");
    assert_eq!(moved, 1);
    let a = json_of(&ask(&server, data.path(), &env, q));
    assert_eq!(
        (a["route"].as_str(), a["error_kind"].as_str()),
        (Some("answer"), None),
        "{a}"
    );
    assert_eq!(show(&env)["breakers"][0]["state"], "closed");
}

#[test]
fn a_second_cli_process_answers_a_paraphrase_from_the_cache_and_the_cache_can_be_managed() {
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    let plainsight = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .output()
            .expect("runs")
    };
    server.push(answer_reply());
    let first = json_of(&ask(
        &server,
        data.path(),
        &[],
        "which customer segments placed the most orders together",
    ));
    assert_eq!(
        (first["route"].as_str(), first["cache"].as_str()),
        (Some("answer"), Some("miss")),
        "{first}"
    );
    let again = json_of(&ask(
        &server,
        data.path(),
        &[],
        "which customer segments together placed the most orders?",
    ));
    assert_eq!(
        (again["route"].as_str(), again["cache"].as_str()),
        (Some("answer"), Some("semantic")),
        "{again}"
    );
    assert_eq!(again["cost"]["total_usd"], 0.0);
    assert_eq!(again["rows"], first["rows"]);
    assert_eq!(
        again["mappings"],
        json!([]),
        "the cached answer is the AI's: no word-by-word reading of the planner's"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the second process did not call the provider"
    );
    let stats = json_of(&plainsight(&["cache", "stats", "--json"]));
    assert_eq!(
        (
            stats["entries"].as_i64(),
            stats["lookups"].as_i64(),
            stats["semantic_hits"].as_i64()
        ),
        (Some(1), Some(2), Some(1)),
        "{stats}"
    );
    assert!(
        (stats["saved_usd"].as_f64().unwrap_or_default() - 0.00306).abs() < 1e-9,
        "{stats}"
    );
    let out = plainsight(&["cache", "invalidate", "--model", "openai/gpt-4o-mini"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Forgot 0 cached answers."
    );
    let out = plainsight(&[
        "cache",
        "invalidate",
        "--model",
        "perplexity/perplexity/sonar",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Forgot 1 cached answer."
    );
    server.push(answer_reply());
    let third = json_of(&ask(
        &server,
        data.path(),
        &[],
        "which customer segments together placed the most orders?",
    ));
    assert_eq!(third["cache"], "miss", "{third}");
    assert!(plainsight(&["cache", "clear"]).status.success());
    assert_eq!(
        json_of(&plainsight(&["cache", "stats", "--json"]))["entries"],
        0
    );
    assert!(
        !plainsight(&["cache", "invalidate"]).status.success(),
        "one of --model, --source or --older-than"
    );
}

#[test]
fn plainsight_ask_sends_its_trace_before_exiting_and_logs_without_keys() {
    use plainsight_loopback::langfuse::LangfuseServer;
    let (public, secret) = ("pk-lf-cli-test-public-1234", "sk-lf-cli-test-secret-5678");
    let langfuse = LangfuseServer::start(public, secret);
    let server = Server::start();
    let data = tempfile::tempdir().expect("temp dir");
    server.push(answer_reply());
    let env = [
        ("LANGFUSE_PUBLIC_KEY", public),
        ("LANGFUSE_SECRET_KEY", secret),
        ("LANGFUSE_HOST", &langfuse.url() as &str),
    ];
    let a = json_of(&ask(
        &server,
        data.path(),
        &env,
        "which customer segments placed the most orders together",
    ));
    assert_eq!(a["route"], "answer", "{a}");
    // The process has exited: its trace must already be there.
    let spans = langfuse.spans();
    assert_eq!(
        spans.iter().filter(|s| s.name == "question").count(),
        1,
        "{spans:?}"
    );
    let generation = spans
        .iter()
        .find(|s| s.attr("langfuse.observation.type") == Some("generation"))
        .expect("the AI call");
    assert_eq!(
        generation.attr("gen_ai.request.model"),
        Some("perplexity/perplexity/sonar")
    );
    // Langfuse down: the answer is the same and the command does not hang.
    let down = LangfuseServer::start(public, secret);
    let url = down.url();
    drop(down);
    server.push(answer_reply());
    let started = std::time::Instant::now();
    let env = [
        ("LANGFUSE_PUBLIC_KEY", public),
        ("LANGFUSE_SECRET_KEY", secret),
        ("LANGFUSE_HOST", &url as &str),
    ];
    let a = json_of(&ask(
        &server,
        data.path(),
        &env,
        "which customer segments placed the most orders jointly",
    ));
    assert_eq!(a["route"], "answer", "{a}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "bounded flush: {:?}",
        started.elapsed()
    );
    // The log file has the stages and no key.
    let logs: Vec<_> = std::fs::read_dir(data.path().join("logs"))
        .expect("log folder")
        .flatten()
        .collect();
    assert_eq!(logs.len(), 1, "one daily file");
    let text = std::fs::read_to_string(logs[0].path()).expect("log");
    assert!(
        text.contains("stage=\"llm\"") || text.contains("stage=llm"),
        "{text}"
    );
    for key in [KEY, public, secret] {
        assert!(!text.contains(key), "{key} in the log");
    }
}
