//! The Daytona server over real TCP connections: the sandbox lifecycle, code runs, faults and
//! the records that prove no sandbox was left behind.

mod common;

use std::time::Duration;

use common::{send, Response};
use plainsight_loopback::daytona::{API_KEY, CREATE_LIMIT, ORGANIZATION_ID, SNAPSHOT};
use plainsight_loopback::{DaytonaServer, Reply};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

/// What the Plainsight client sends to create a sandbox.
const CREATE: &str = r#"{"networkBlockAll":true,"cpu":2,"memory":2,"autoStopInterval":5,"autoDeleteInterval":0,"labels":{"code-toolbox-language":"python"}}"#;

/// Sends one request with `Authorization: Bearer <key>`; fails the test if no whole response
/// arrives.
fn with_key(server: &DaytonaServer, key: &str, method: &str, path: &str, body: &str) -> Response {
    let bearer = format!("Bearer {key}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    send(&server.url(), method, path, &headers, body, WAIT)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn api(server: &DaytonaServer, method: &str, path: &str, body: &str) -> Response {
    with_key(server, API_KEY, method, path, body)
}

/// Creates a sandbox with [`CREATE`] and returns the Sandbox object.
fn create(server: &DaytonaServer) -> Value {
    let response = api(server, "POST", "/sandbox", CREATE);
    assert_eq!(
        response.status, 200,
        "create is 200, not 201: {}",
        response.body
    );
    response.json()
}

/// Polls `GET /sandbox/{id}` until the state is no longer `creating`; returns the states seen.
fn poll(server: &DaytonaServer, id: &str) -> Vec<String> {
    let mut states = Vec::new();
    while states.len() < 10 {
        let response = api(server, "GET", &format!("/sandbox/{id}"), "");
        assert_eq!(response.status, 200, "{}", response.body);
        let state = response.json()["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        states.push(state.clone());
        if state != "creating" {
            break;
        }
    }
    states
}

/// The path of `POST {toolboxProxyUrl}/{id}/process/code-run`, built as a client would.
fn code_run_path(server: &DaytonaServer, sandbox: &Value) -> String {
    let proxy = sandbox["toolboxProxyUrl"].as_str().unwrap_or_default();
    let url = format!(
        "{proxy}/{}/process/code-run",
        sandbox["id"].as_str().unwrap_or_default()
    );
    url.strip_prefix(&server.url())
        .unwrap_or_else(|| panic!("{url} is not on {}", server.url()))
        .to_owned()
}

fn run(server: &DaytonaServer, sandbox: &Value, code: &str) -> Response {
    let body = json!({"code": code, "language": "python", "timeout": 30}).to_string();
    api(server, "POST", &code_run_path(server, sandbox), &body)
}

/// A created and started sandbox.
fn started(server: &DaytonaServer) -> Value {
    let sandbox = create(server);
    let id = sandbox["id"].as_str().unwrap_or_default();
    assert_eq!(poll(server, id).last().map(String::as_str), Some("started"));
    sandbox
}

fn id(sandbox: &Value) -> String {
    sandbox["id"].as_str().unwrap_or_default().to_owned()
}

fn is_iso_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && text[..4].parse::<u32>().is_ok_and(|y| y >= 2024)
}

#[test]
fn lifecycle_create_poll_run_delete() {
    let server = DaytonaServer::start();
    server.script_result(0, "4\n");

    let sandbox = create(&server);
    let id = id(&sandbox);
    assert_eq!(sandbox["state"], "creating");
    assert_eq!(sandbox["desiredState"], "started");
    assert_eq!(
        sandbox["toolboxProxyUrl"],
        json!(format!("{}/toolbox", server.url()))
    );
    assert_eq!(server.toolbox_url(), format!("{}/toolbox", server.url()));
    assert_eq!(server.live(), [id.as_str()]);

    assert_eq!(
        poll(&server, &id),
        ["creating", "started"],
        "started on the second GET by default"
    );

    let response = run(&server, &sandbox, "print(2+2)");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"exitCode": 0, "result": "4\n", "artifacts": {"charts": []}})
    );

    let response = api(&server, "DELETE", &format!("/sandbox/{id}"), "");
    assert_eq!(response.status, 200, "delete is 200: {}", response.body);
    assert_eq!(
        (
            response.json()["id"].as_str(),
            response.json()["desiredState"].as_str()
        ),
        (Some(id.as_str()), Some("destroyed"))
    );

    assert_eq!(server.created(), [id.as_str()]);
    assert_eq!(server.deleted(), [id.as_str()]);
    assert!(
        server.live().is_empty(),
        "no sandbox is left: {:?}",
        server.live()
    );
    assert_eq!(
        server.code_runs(),
        [json!({"code": "print(2+2)", "language": "python", "timeout": 30})]
    );
    let requests: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let expected = [
        "POST /sandbox".to_owned(),
        format!("GET /sandbox/{id}"),
        format!("GET /sandbox/{id}"),
        format!("POST /toolbox/{id}/process/code-run"),
        format!("DELETE /sandbox/{id}"),
    ];
    assert_eq!(requests, expected);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(&format!("Bearer {API_KEY}"))));
    assert_eq!(
        server.sandbox(&id).map(|s| s["state"].clone()),
        Some(json!("destroying")),
        "kept for inspection"
    );
}

#[test]
fn sandbox_has_every_required_field_and_echoes_the_request() {
    let server = DaytonaServer::start();
    let sandbox = create(&server);
    for field in [
        "id",
        "organizationId",
        "name",
        "user",
        "env",
        "labels",
        "public",
        "networkBlockAll",
        "target",
        "cpu",
        "gpu",
        "memory",
        "disk",
        "toolboxProxyUrl",
        "state",
        "desiredState",
        "autoStopInterval",
        "autoArchiveInterval",
        "autoDeleteInterval",
        "createdAt",
        "updatedAt",
    ] {
        assert!(
            sandbox.get(field).is_some_and(|v| !v.is_null()),
            "{field} missing from {sandbox}"
        );
    }
    assert_eq!(sandbox["networkBlockAll"], true);
    assert_eq!(
        (sandbox["cpu"].as_i64(), sandbox["memory"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (
            sandbox["autoStopInterval"].as_i64(),
            sandbox["autoDeleteInterval"].as_i64()
        ),
        (Some(5), Some(0))
    );
    assert_eq!(
        sandbox["labels"],
        json!({"code-toolbox-language": "python"})
    );
    assert_eq!(sandbox["organizationId"], ORGANIZATION_ID);
    assert_eq!(
        sandbox["name"], sandbox["id"],
        "an unnamed sandbox is named by its id"
    );
    assert!(
        is_iso_timestamp(&sandbox["createdAt"]) && is_iso_timestamp(&sandbox["updatedAt"]),
        "{sandbox}"
    );

    // Absent fields get the API's defaults.
    let bare = api(&server, "POST", "/sandbox", "{}").json();
    let defaults = json!({
        "snapshot": SNAPSHOT, "user": "daytona", "env": {}, "labels": {}, "public": false, "networkBlockAll": false,
        "target": "us", "cpu": 1, "gpu": 0, "memory": 1, "disk": 3,
        "autoStopInterval": 15, "autoArchiveInterval": 10080, "autoDeleteInterval": -1,
    });
    for (field, expected) in defaults.as_object().into_iter().flatten() {
        assert_eq!(&bare[field], expected, "default {field}");
    }
    assert_ne!(bare["id"], sandbox["id"], "ids are fresh");
}

#[test]
fn sandbox_can_be_fetched_and_deleted_by_name() {
    let server = DaytonaServer::start();
    let sandbox = api(
        &server,
        "POST",
        "/sandbox",
        r#"{"name":"plainsight-run-1"}"#,
    )
    .json();
    let response = api(&server, "GET", "/sandbox/plainsight-run-1?verbose=true", "");
    assert_eq!(
        (response.status, response.json()["id"].clone()),
        (200, sandbox["id"].clone())
    );
    assert_eq!(
        api(&server, "DELETE", "/sandbox/plainsight-run-1", "").status,
        200
    );
    assert_eq!(server.deleted(), [id(&sandbox)]);
}

#[test]
fn code_run_without_a_script_succeeds_empty_and_scripts_go_in_order() {
    let server = DaytonaServer::start();
    let sandbox = started(&server);
    let empty = json!({"exitCode": 0, "result": "", "artifacts": {"charts": []}});
    assert_eq!(run(&server, &sandbox, "pass").json(), empty);

    server.script_result(
        1,
        "Traceback (most recent call last):\nZeroDivisionError: division by zero\n",
    );
    server.script_result(0, "done\n");
    let first = run(&server, &sandbox, "1/0").json();
    assert_eq!(
        (
            first["exitCode"].as_i64(),
            first["result"]
                .as_str()
                .map(|r| r.contains("ZeroDivisionError"))
        ),
        (Some(1), Some(true))
    );
    assert_eq!(
        run(&server, &sandbox, "print('done')").json()["result"],
        "done\n"
    );
    assert_eq!(
        run(&server, &sandbox, "pass").json(),
        empty,
        "the script is used up"
    );
    assert_eq!(server.code_runs().len(), 4);
}

#[test]
fn unknown_and_deleted_sandboxes_are_404() {
    let server = DaytonaServer::start();
    let response = api(&server, "GET", "/sandbox/x", "");
    assert_eq!(response.status, 404);
    let body = response.json();
    assert!(is_iso_timestamp(&body["timestamp"]), "{body}");
    assert_eq!(
        json!({"path": body["path"], "statusCode": body["statusCode"], "error": body["error"], "message": body["message"]}),
        json!({"path": "/sandbox/x", "statusCode": 404, "error": "Not Found", "message": "Sandbox with ID or name x not found"})
    );

    let sandbox = started(&server);
    let id = id(&sandbox);
    assert_eq!(
        api(&server, "DELETE", &format!("/sandbox/{id}"), "").status,
        200
    );
    let again = api(&server, "GET", &format!("/sandbox/{id}"), "");
    assert_eq!(
        (again.status, again.json()["message"].clone()),
        (
            404,
            json!(format!("Sandbox with ID or name {id} not found"))
        )
    );
    assert_eq!(
        api(&server, "DELETE", &format!("/sandbox/{id}"), "").status,
        404,
        "a second delete finds nothing"
    );
    let run = run(&server, &sandbox, "pass");
    assert_eq!(
        (run.status, run.json()["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{}",
        run.body
    );
    assert_eq!(server.deleted(), [id], "the failed delete is not recorded");
    assert!(server.code_runs().is_empty());
}

#[test]
fn wrong_or_missing_key_is_401() {
    let server = DaytonaServer::start();
    let response = with_key(&server, "dtn_wrong", "POST", "/sandbox", CREATE);
    assert_eq!(response.status, 401);
    assert_eq!(
        (
            response.json()["error"].as_str(),
            response.json()["message"].as_str()
        ),
        (Some("Unauthorized"), Some("Invalid API key"))
    );
    assert!(
        server.created().is_empty(),
        "nothing is created without the key"
    );

    let missing = send(
        &server.url(),
        "POST",
        "/sandbox",
        &[("content-type", "application/json")],
        CREATE,
        WAIT,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (missing.status, missing.json()["statusCode"].as_i64()),
        (401, Some(401))
    );

    let sandbox = started(&server);
    let id = id(&sandbox);
    assert_eq!(
        with_key(&server, "dtn_wrong", "GET", &format!("/sandbox/{id}"), "").status,
        401
    );
    assert_eq!(
        with_key(
            &server,
            "dtn_wrong",
            "DELETE",
            &format!("/sandbox/{id}"),
            ""
        )
        .status,
        401
    );
    let run = with_key(
        &server,
        "dtn_wrong",
        "POST",
        &code_run_path(&server, &sandbox),
        r#"{"code":"pass","language":"python"}"#,
    );
    assert_eq!(
        (run.status, run.json()["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    assert_eq!(server.live(), [id], "the wrong key deleted nothing");
    assert!(server.code_runs().is_empty());

    let custom = DaytonaServer::start_with_key("dtn_custom");
    assert_eq!(
        with_key(&custom, API_KEY, "POST", "/sandbox", CREATE).status,
        401
    );
    assert_eq!(
        with_key(&custom, "dtn_custom", "POST", "/sandbox", CREATE).status,
        200
    );
}

#[test]
fn timeout_is_408_with_the_toolbox_body() {
    let server = DaytonaServer::start();
    let sandbox = started(&server);
    server.script_timeout();
    let response = run(&server, &sandbox, "while True: pass");
    assert_eq!(response.status, 408);
    let body = response.json();
    assert!(is_iso_timestamp(&body["timestamp"]), "{body}");
    assert_eq!(
        json!({"statusCode": body["statusCode"], "message": body["message"], "code": body["code"], "path": body["path"], "method": body["method"]}),
        json!({
            "statusCode": 408,
            "message": "command execution timeout",
            "code": "REQUEST_TIMEOUT",
            "path": format!("/toolbox/{}/process/code-run", id(&sandbox)),
            "method": "POST",
        })
    );
    assert_eq!(server.code_runs().len(), 1);
    // The sandbox survives the timeout and must still be deleted.
    assert_eq!(server.live(), [id(&sandbox)]);
}

#[test]
fn crash_closes_the_connection_without_a_reply() {
    let server = DaytonaServer::start();
    let sandbox = started(&server);
    server.script_crash();
    let body = r#"{"code":"import os; os.abort()","language":"python"}"#;
    let bearer = format!("Bearer {API_KEY}");
    let crashed = send(
        &server.url(),
        "POST",
        &code_run_path(&server, &sandbox),
        &[("authorization", &bearer)],
        body,
        WAIT,
    );
    assert!(crashed.is_err(), "a crash sends no response: {crashed:?}");
    assert_eq!(server.code_runs().len(), 1, "the crashed run was received");

    // The server itself goes on: the next run answers and the sandbox can be deleted.
    assert_eq!(run(&server, &sandbox, "pass").status, 200);
    assert_eq!(
        api(&server, "DELETE", &format!("/sandbox/{}", id(&sandbox)), "").status,
        200
    );
    assert!(server.live().is_empty());
}

#[test]
fn rate_limited_create_is_429_with_sandbox_create_headers() {
    let server = DaytonaServer::start();
    server.rate_limit_next_create(7);
    let response = api(&server, "POST", "/sandbox", CREATE);
    assert_eq!(response.status, 429);
    let limit = CREATE_LIMIT.to_string();
    for (header, value) in [
        ("x-ratelimit-limit-sandbox-create", limit.as_str()),
        ("x-ratelimit-remaining-sandbox-create", "0"),
        ("x-ratelimit-reset-sandbox-create", "7"),
        ("retry-after-sandbox-create", "7"),
    ] {
        assert_eq!(
            response.header(header),
            Some(value),
            "{header} in {:?}",
            response.headers
        );
    }
    let body = response.json();
    assert!(is_iso_timestamp(&body["timestamp"]), "{body}");
    assert_eq!(
        (
            body["statusCode"].as_i64(),
            body["error"].as_str(),
            body["message"].as_str(),
            body["path"].as_str()
        ),
        (
            Some(429),
            Some("Too Many Requests"),
            Some("Rate limit exceeded"),
            Some("/sandbox")
        )
    );
    assert!(
        server.created().is_empty(),
        "a throttled create creates nothing"
    );

    // Only the next create was throttled.
    let sandbox = create(&server);
    assert_eq!(server.created(), [id(&sandbox)]);
}

#[test]
fn failed_start_ends_in_the_error_state() {
    let server = DaytonaServer::start();
    server.fail_to_start("no capacity in region us");
    let sandbox = create(&server);
    let id = id(&sandbox);
    assert_eq!(poll(&server, &id), ["creating", "error"]);
    let failed = api(&server, "GET", &format!("/sandbox/{id}"), "").json();
    assert_eq!(
        (failed["state"].as_str(), failed["errorReason"].as_str()),
        (Some("error"), Some("no capacity in region us"))
    );

    let run = run(&server, &sandbox, "pass");
    assert_eq!(
        (run.status, run.json()["code"].as_str()),
        (409, Some("CONFLICT")),
        "no code runs in a failed sandbox"
    );
    assert_eq!(
        api(&server, "DELETE", &format!("/sandbox/{id}"), "").status,
        200,
        "a failed sandbox can be deleted"
    );
    assert!(server.live().is_empty());
}

#[test]
fn start_after_polls_sets_when_a_sandbox_starts() {
    let server = DaytonaServer::start();
    server.start_after_polls(0);
    assert_eq!(create(&server)["state"], "started", "0: started at once");

    server.start_after_polls(4);
    let sandbox = create(&server);
    assert_eq!(
        poll(&server, &id(&sandbox)),
        ["creating", "creating", "creating", "started"]
    );
}

#[test]
fn code_run_before_start_or_with_a_bad_body_is_refused() {
    let server = DaytonaServer::start();
    let sandbox = create(&server);
    let early = run(&server, &sandbox, "pass");
    assert_eq!(
        (early.status, early.json()["code"].as_str()),
        (409, Some("CONFLICT")),
        "the client must wait for started"
    );

    assert_eq!(
        poll(&server, &id(&sandbox)).last().map(String::as_str),
        Some("started")
    );
    let path = code_run_path(&server, &sandbox);
    for (body, code) in [
        (r#"{"code":"pass","language":"ruby"}"#, "BAD_REQUEST"),
        (r#"{"code":"pass"}"#, "BAD_REQUEST"),
        (r#"{"code":5,"language":"python"}"#, "INVALID_REQUEST_BODY"),
        (
            r#"{"code":"pass","language":"python","timeout":-1}"#,
            "INVALID_REQUEST_BODY",
        ),
        ("not json", "INVALID_REQUEST_BODY"),
    ] {
        let response = api(&server, "POST", &path, body);
        assert_eq!(
            (response.status, response.json()["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    assert_eq!(
        server.code_runs().len(),
        5,
        "refused bodies are recorded too"
    );
    assert_eq!(server.code_runs()[4], json!("not json"));
}

#[test]
fn create_with_a_field_of_the_wrong_type_is_400() {
    let server = DaytonaServer::start();
    let response = api(
        &server,
        "POST",
        "/sandbox",
        r#"{"cpu":"2","networkBlockAll":"yes","labels":{"a":1}}"#,
    );
    assert_eq!(response.status, 400);
    let body = response.json();
    assert_eq!(body["error"], "Bad Request");
    let mut messages: Vec<&str> = body["message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    messages.sort_unstable();
    assert_eq!(
        messages,
        [
            "cpu must be an integer number",
            "labels must be an object of strings",
            "networkBlockAll must be a boolean value"
        ]
    );
    assert!(server.created().is_empty());
}

#[test]
fn other_endpoints_fall_through_to_the_inner_server() {
    let server = DaytonaServer::start();
    let sandbox = started(&server);
    let path = format!("/sandbox/{}/stop", id(&sandbox));
    assert_eq!(
        api(&server, "POST", &path, "").status,
        500,
        "not imitated: the unscripted 500"
    );
    server
        .server()
        .route("POST", &path, Reply::json(200, json!({"stopped": true})));
    assert_eq!(api(&server, "POST", &path, "").json()["stopped"], true);
    assert_eq!(server.wait_for_requests(5, WAIT).len(), 5);
}
