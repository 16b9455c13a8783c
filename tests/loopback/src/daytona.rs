//! A stateful Daytona v0 server (external-apis.md §2): the sandbox lifecycle under `/sandbox`
//! and the toolbox's `code-run` under `/toolbox/{id}/process/code-run`, with scripted run
//! results and faults, recording which sandboxes were created and deleted.
//!
//! The client under test uses [`DaytonaServer::url`] as its API base (where the real one uses
//! `https://app.daytona.io/api`), so the lifecycle paths are `/sandbox…`; sandboxes report
//! `toolboxProxyUrl` = `{url}/toolbox`. Nothing is executed: a `code-run` answers with the next
//! scripted outcome ([`DaytonaServer::script_result`], [`DaytonaServer::script_timeout`],
//! [`DaytonaServer::script_crash`]), or with exit code 0 and an empty result when none is left.
//!
//! Requests the server does not know (other methods or paths) fall through to the inner
//! [`Server`]'s queue and routes, so a test can still script them with [`DaytonaServer::server`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::server::lock;
use crate::{iso_now, uuid_like, Recorded, Reply, Server};

/// The API key a [`DaytonaServer::start`]ed server accepts (as `Authorization: Bearer <key>`).
pub const API_KEY: &str = "dtn_loopback_0123456789abcdef";
/// The `organizationId` of every sandbox.
pub const ORGANIZATION_ID: &str = "org_loopback";
/// The `snapshot` of a sandbox created without one.
pub const SNAPSHOT: &str = "daytonaio/sandbox:0.5.0";
/// `X-RateLimit-Limit-sandbox-create` on a 429: the Tier 1 limit of sandbox creations a minute.
pub const CREATE_LIMIT: u32 = 300;

/// One scripted `code-run` outcome.
#[derive(Clone, Debug)]
enum Run {
    /// 200 `{exitCode, result, artifacts: {charts: []}}`.
    Finished { exit_code: i64, result: String },
    /// The daemon's 408 for a run that outlived its `timeout`.
    Timeout,
    /// The connection closes without a reply.
    Crash,
}

#[derive(Debug)]
struct Sandbox {
    /// The Sandbox object as the API returns it (`state` and `updatedAt` change).
    json: Value,
    /// `GET`s answered so far.
    polls: u32,
    /// The `GET` that finds it started (or failed).
    start_after_polls: u32,
    /// Why it ends in `error` instead of `started`, if it does.
    start_error: Option<String>,
    deleted: bool,
}

impl Sandbox {
    fn id(&self) -> &str {
        self.json["id"].as_str().unwrap_or_default()
    }

    fn state(&self) -> &str {
        self.json["state"].as_str().unwrap_or_default()
    }

    fn set_state(&mut self, state: &str, desired: &str) {
        self.json["state"] = json!(state);
        self.json["desiredState"] = json!(desired);
        self.json["updatedAt"] = json!(iso_now());
    }

    /// Moves on from `creating` once `start_after_polls` GETs (this one included) have been seen.
    fn settle(&mut self) {
        if self.state() != "creating" || self.polls < self.start_after_polls {
            return;
        }
        match self.start_error.clone() {
            Some(reason) => {
                self.set_state("error", "started");
                self.json["errorReason"] = json!(reason);
            }
            None => self.set_state("started", "started"),
        }
    }
}

/// What the server knows: its settings, scripted faults, sandboxes and records.
#[derive(Debug)]
struct Daytona {
    api_key: String,
    toolbox_url: String,
    start_after_polls: u32,
    start_error: Option<String>,
    create_rate_limits: VecDeque<u64>,
    runs: VecDeque<Run>,
    sandboxes: Vec<Sandbox>,
    created: Vec<String>,
    deleted: Vec<String>,
    code_runs: Vec<Value>,
}

impl Daytona {
    /// The sandbox named `id_or_name` (by id or by name), unless it was deleted.
    fn find(&mut self, id_or_name: &str) -> Option<&mut Sandbox> {
        self.sandboxes.iter_mut().find(|s| {
            !s.deleted && (s.id() == id_or_name || s.json["name"].as_str() == Some(id_or_name))
        })
    }

    fn authorized(&self, request: &Recorded) -> bool {
        let presented = request
            .header("authorization")
            .and_then(|value| value.split_once(' '));
        presented.is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && token.trim() == self.api_key
        })
    }
}

/// An endpoint the server imitates.
enum Endpoint<'a> {
    Create,
    Get(&'a str),
    Delete(&'a str),
    CodeRun(&'a str),
}

impl<'a> Endpoint<'a> {
    fn of(request: &'a Recorded) -> Option<Endpoint<'a>> {
        let segments: Vec<&str> = request
            .path_only()
            .trim_start_matches('/')
            .split('/')
            .collect();
        let endpoint = match (request.method.as_str(), segments.as_slice()) {
            ("POST", ["sandbox"]) => Endpoint::Create,
            ("GET", ["sandbox", id]) => Endpoint::Get(id),
            ("DELETE", ["sandbox", id]) => Endpoint::Delete(id),
            ("POST", ["toolbox", id, "process", "code-run"]) => Endpoint::CodeRun(id),
            _ => return None,
        };
        match endpoint {
            Endpoint::Get(id) | Endpoint::Delete(id) | Endpoint::CodeRun(id) if id.is_empty() => {
                None
            }
            endpoint => Some(endpoint),
        }
    }
}

/// A stateful imitation of Daytona's v0 REST API and toolbox on `127.0.0.1`; see the
/// [module documentation](self).
///
/// - `POST /sandbox` takes a `CreateSandbox` body and answers 200 with a Sandbox object in state
///   `creating` (absent fields get the API's defaults: 1 vCPU, 1 GiB, 3 GiB disk, auto-stop 15,
///   auto-archive 10080, auto-delete -1, …). Fields of the wrong JSON type get a NestJS 400.
/// - `GET /sandbox/{idOrName}` answers 200 with it; the `n`th GET of a sandbox (`n` =
///   [`start_after_polls`](DaytonaServer::start_after_polls), 2 unless set) finds it `started`,
///   or `error` (with `errorReason`) after [`fail_to_start`](DaytonaServer::fail_to_start).
/// - `DELETE /sandbox/{idOrName}` answers 200 with it (`state: destroying`, `desiredState:
///   destroyed`); from then on it is unknown (404).
/// - `POST /toolbox/{id}/process/code-run` takes `{code, language, argv?, envs?, timeout?}` and
///   answers with the next scripted outcome. As in the daemon, fields of the wrong type get 400
///   `INVALID_REQUEST_BODY` and a language other than `python`, `javascript` or `typescript`
///   (also a missing one) 400 `BAD_REQUEST`. A sandbox that is not `started` gets a 409 (a
///   loopback rule, to catch clients that run code before waiting for the sandbox).
///
/// Every one of these needs `Authorization: Bearer <key>` with the server's key, else 401.
/// Unknown sandboxes get 404: the NestJS body on the API, the toolbox's body on the toolbox.
pub struct DaytonaServer {
    server: Server,
    state: Arc<Mutex<Daytona>>,
}

impl DaytonaServer {
    /// Starts a server that accepts [`API_KEY`].
    pub fn start() -> DaytonaServer {
        DaytonaServer::start_with_key(API_KEY)
    }

    /// Starts a server that accepts `api_key`.
    ///
    /// # Panics
    /// As [`Server::start`].
    pub fn start_with_key(api_key: &str) -> DaytonaServer {
        let server = Server::start();
        let state = Arc::new(Mutex::new(Daytona {
            api_key: api_key.to_owned(),
            toolbox_url: format!("{}/toolbox", server.url()),
            start_after_polls: 2,
            start_error: None,
            create_rate_limits: VecDeque::new(),
            runs: VecDeque::new(),
            sandboxes: Vec::new(),
            created: Vec::new(),
            deleted: Vec::new(),
            code_runs: Vec::new(),
        }));
        let handler_state = Arc::clone(&state);
        server.handle(move |request| respond(&handler_state, request));
        DaytonaServer { server, state }
    }

    /// The API base, `http://127.0.0.1:PORT` (no trailing slash): sandboxes are at `{url}/sandbox`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The sandboxes' `toolboxProxyUrl`, `{url}/toolbox`.
    pub fn toolbox_url(&self) -> String {
        lock(&self.state).toolbox_url.clone()
    }

    /// The inner server, to script requests this one does not imitate ([`Server::push`],
    /// [`Server::route`]).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Sandboxes created from now on report `started` (or `error`) on their `n`th `GET`; with 0,
    /// the create reply itself says so. The default is 2 (one `creating`, then `started`).
    pub fn start_after_polls(&self, n: u32) {
        lock(&self.state).start_after_polls = n;
    }

    /// Sandboxes created from now on end in `error` with `errorReason: reason` instead of
    /// `started`.
    pub fn fail_to_start(&self, reason: &str) {
        lock(&self.state).start_error = Some(reason.to_owned());
    }

    /// The next `POST /sandbox` (after any earlier queued ones) gets a 429 with the NestJS body
    /// and `X-RateLimit-{Limit,Remaining,Reset}-sandbox-create` and `Retry-After-sandbox-create`
    /// headers, the last two saying `retry_after_secs`. No sandbox is created.
    pub fn rate_limit_next_create(&self, retry_after_secs: u64) {
        lock(&self.state)
            .create_rate_limits
            .push_back(retry_after_secs);
    }

    /// Queues a finished run for the next `code-run` (first in, first out, whichever sandbox it
    /// is in): 200 `{exitCode: exit_code, result, artifacts: {charts: []}}`. `result` is stdout
    /// and stderr merged, as the daemon reports them.
    pub fn script_result(&self, exit_code: i64, result: &str) {
        lock(&self.state).runs.push_back(Run::Finished {
            exit_code,
            result: result.to_owned(),
        });
    }

    /// Queues a timed-out run for the next `code-run`: 408 `{"statusCode":408,"message":"command
    /// execution timeout","code":"REQUEST_TIMEOUT","timestamp","path","method":"POST"}`, at once
    /// (the real daemon answers when the request's `timeout` has passed).
    pub fn script_timeout(&self) {
        lock(&self.state).runs.push_back(Run::Timeout);
    }

    /// Queues a crash for the next `code-run`: the connection closes without a reply.
    pub fn script_crash(&self) {
        lock(&self.state).runs.push_back(Run::Crash);
    }

    /// The ids of the sandboxes created, in order.
    pub fn created(&self) -> Vec<String> {
        lock(&self.state).created.clone()
    }

    /// The ids of the sandboxes deleted, in order.
    pub fn deleted(&self) -> Vec<String> {
        lock(&self.state).deleted.clone()
    }

    /// The ids of the sandboxes created and not deleted, in creation order: empty when a client
    /// cleaned up after itself.
    pub fn live(&self) -> Vec<String> {
        let state = lock(&self.state);
        state
            .created
            .iter()
            .filter(|id| !state.deleted.contains(id))
            .cloned()
            .collect()
    }

    /// The bodies of the `code-run` requests that reached a started sandbox, in order (as JSON;
    /// a body that is not JSON as a JSON string).
    pub fn code_runs(&self) -> Vec<Value> {
        lock(&self.state).code_runs.clone()
    }

    /// The Sandbox object with id `id` as the API last described it, also after its deletion.
    pub fn sandbox(&self, id: &str) -> Option<Value> {
        lock(&self.state)
            .sandboxes
            .iter()
            .find(|s| s.id() == id)
            .map(|s| s.json.clone())
    }

    /// Every request received so far, in the order they were read ([`Server::requests`]).
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// [`Server::wait_for_requests`].
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        self.server.wait_for_requests(n, timeout)
    }
}

impl std::fmt::Debug for DaytonaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaytonaServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// The reply to `request`, or `None` for requests this server does not imitate.
fn respond(state: &Mutex<Daytona>, request: &Recorded) -> Option<Reply> {
    let endpoint = Endpoint::of(request)?;
    let mut daytona = lock(state);
    let toolbox = matches!(endpoint, Endpoint::CodeRun(_));
    if !daytona.authorized(request) {
        return Some(if toolbox {
            toolbox_error(
                request,
                401,
                "unauthorized: invalid API key",
                "UNAUTHORIZED",
            )
        } else {
            let message = if request.header("authorization").is_some() {
                "Invalid API key"
            } else {
                "Unauthorized"
            };
            api_error(request, 401, "Unauthorized", &json!(message))
        });
    }
    Some(match endpoint {
        Endpoint::Create => create(&mut daytona, request),
        Endpoint::Get(id) => match daytona.find(id) {
            Some(sandbox) => {
                sandbox.polls += 1;
                sandbox.settle();
                Reply::json(200, sandbox.json.clone())
            }
            None => not_found(request, id),
        },
        Endpoint::Delete(id) => match daytona.find(id) {
            Some(sandbox) => {
                sandbox.deleted = true;
                sandbox.set_state("destroying", "destroyed");
                let reply = Reply::json(200, sandbox.json.clone());
                let id = sandbox.id().to_owned();
                daytona.deleted.push(id);
                reply
            }
            None => not_found(request, id),
        },
        Endpoint::CodeRun(id) => code_run(&mut daytona, request, id),
    })
}

fn create(daytona: &mut Daytona, request: &Recorded) -> Reply {
    if let Some(retry_after) = daytona.create_rate_limits.pop_front() {
        let retry_after = retry_after.to_string();
        return api_error(
            request,
            429,
            "Too Many Requests",
            &json!("Rate limit exceeded"),
        )
        .with_header(
            "X-RateLimit-Limit-sandbox-create",
            &CREATE_LIMIT.to_string(),
        )
        .with_header("X-RateLimit-Remaining-sandbox-create", "0")
        .with_header("X-RateLimit-Reset-sandbox-create", &retry_after)
        .with_header("Retry-After-sandbox-create", &retry_after);
    }
    let body = if request.body.trim().is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_str::<Value>(&request.body)
    };
    let fields = match body {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => {
            return api_error(
                request,
                400,
                "Bad Request",
                &json!(["the body must be a JSON object"]),
            )
        }
        Err(e) => {
            return api_error(
                request,
                400,
                "Bad Request",
                &json!(format!("loopback: the body is not JSON: {e}")),
            )
        }
    };
    let problems = invalid_fields(&fields);
    if !problems.is_empty() {
        return api_error(request, 400, "Bad Request", &json!(problems));
    }

    let id = uuid_like();
    let now = iso_now();
    let field = |name: &str, default: Value| {
        fields
            .get(name)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(default)
    };
    let mut json = json!({
        "id": id,
        "organizationId": ORGANIZATION_ID,
        "name": field("name", json!(id)),
        "snapshot": field("snapshot", json!(SNAPSHOT)),
        "user": field("user", json!("daytona")),
        "env": field("env", json!({})),
        "labels": field("labels", json!({})),
        "public": field("public", json!(false)),
        "networkBlockAll": field("networkBlockAll", json!(false)),
        "target": field("target", json!("us")),
        "cpu": field("cpu", json!(1)),
        "gpu": field("gpu", json!(0)),
        "memory": field("memory", json!(1)),
        "disk": field("disk", json!(3)),
        "toolboxProxyUrl": daytona.toolbox_url,
        "state": "creating",
        "desiredState": "started",
        "autoStopInterval": field("autoStopInterval", json!(15)),
        "autoArchiveInterval": field("autoArchiveInterval", json!(10080)),
        "autoDeleteInterval": field("autoDeleteInterval", json!(-1)),
        "createdAt": now,
        "updatedAt": now,
    });
    if let Some(allow) = fields.get("networkAllowList").filter(|v| !v.is_null()) {
        json["networkAllowList"] = allow.clone();
    }
    let mut sandbox = Sandbox {
        json,
        polls: 0,
        start_after_polls: daytona.start_after_polls,
        start_error: daytona.start_error.clone(),
        deleted: false,
    };
    sandbox.settle();
    let reply = Reply::json(200, sandbox.json.clone());
    daytona.created.push(id);
    daytona.sandboxes.push(sandbox);
    reply
}

/// class-validator's messages for `CreateSandbox` fields of the wrong JSON type (absent and
/// null fields are fine; unknown fields are ignored).
fn invalid_fields(fields: &Map<String, Value>) -> Vec<String> {
    const STRINGS: [&str; 5] = ["name", "snapshot", "user", "target", "networkAllowList"];
    const INTEGERS: [&str; 7] = [
        "cpu",
        "gpu",
        "memory",
        "disk",
        "autoStopInterval",
        "autoArchiveInterval",
        "autoDeleteInterval",
    ];
    const BOOLEANS: [&str; 2] = ["public", "networkBlockAll"];
    const OBJECTS: [&str; 2] = ["env", "labels"];
    let mut problems = Vec::new();
    for (name, value) in fields.iter().filter(|(_, v)| !v.is_null()) {
        let name = name.as_str();
        let problem = if STRINGS.contains(&name) && !value.is_string() {
            "must be a string"
        } else if INTEGERS.contains(&name) && !(value.is_i64() || value.is_u64()) {
            "must be an integer number"
        } else if BOOLEANS.contains(&name) && !value.is_boolean() {
            "must be a boolean value"
        } else if OBJECTS.contains(&name)
            && !value
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_string))
        {
            "must be an object of strings"
        } else {
            continue;
        };
        problems.push(format!("{name} {problem}"));
    }
    problems
}

fn code_run(daytona: &mut Daytona, request: &Recorded, id: &str) -> Reply {
    let Some(sandbox) = daytona
        .sandboxes
        .iter()
        .find(|s| !s.deleted && s.id() == id)
    else {
        return toolbox_error(
            request,
            404,
            &format!("not found: sandbox {id} not found"),
            "NOT_FOUND",
        );
    };
    if sandbox.state() != "started" {
        let message = format!(
            "conflict: sandbox {id} is not started (state: {})",
            sandbox.state()
        );
        return toolbox_error(request, 409, &message, "CONFLICT");
    }
    let body = serde_json::from_str::<Value>(&request.body);
    daytona.code_runs.push(
        body.as_ref()
            .map_or_else(|_| json!(request.body), Clone::clone),
    );
    let body = match body {
        Ok(Value::Object(body)) => body,
        Ok(other) => {
            return toolbox_error(
                request,
                400,
                &format!("invalid body request: not an object: {other}"),
                "INVALID_REQUEST_BODY",
            )
        }
        Err(e) => {
            return toolbox_error(
                request,
                400,
                &format!("invalid body request: {e}"),
                "INVALID_REQUEST_BODY",
            )
        }
    };
    // Like Go's decoder: a field of the wrong type is refused, an absent (or null) one is empty.
    let present = |name: &str| body.get(name).filter(|v| !v.is_null());
    for (name, wanted) in [("code", "string"), ("language", "string")] {
        if present(name).is_some_and(|v| !v.is_string()) {
            let message = format!(
                "invalid body request: json: cannot unmarshal into field {name} of type {wanted}"
            );
            return toolbox_error(request, 400, &message, "INVALID_REQUEST_BODY");
        }
    }
    if present("timeout").is_some_and(|t| t.as_u64().is_none_or(|t| u32::try_from(t).is_err())) {
        let message =
            "invalid body request: json: cannot unmarshal into field timeout of type uint32";
        return toolbox_error(request, 400, message, "INVALID_REQUEST_BODY");
    }
    let language = body
        .get("language")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !["python", "javascript", "typescript"].contains(&language) {
        return toolbox_error(
            request,
            400,
            &format!("bad request: unsupported language: {language}"),
            "BAD_REQUEST",
        );
    }
    match daytona.runs.pop_front() {
        None => finished(0, ""),
        Some(Run::Finished { exit_code, result }) => finished(exit_code, &result),
        Some(Run::Timeout) => {
            toolbox_error(request, 408, "command execution timeout", "REQUEST_TIMEOUT")
        }
        Some(Run::Crash) => Reply::hang_up(),
    }
}

fn finished(exit_code: i64, result: &str) -> Reply {
    Reply::json(
        200,
        json!({"exitCode": exit_code, "result": result, "artifacts": {"charts": []}}),
    )
}

fn not_found(request: &Recorded, id_or_name: &str) -> Reply {
    api_error(
        request,
        404,
        "Not Found",
        &json!(format!("Sandbox with ID or name {id_or_name} not found")),
    )
}

/// The API's NestJS error body: `{path, timestamp, statusCode, error, message}` (§2.4).
fn api_error(request: &Recorded, status: u16, error: &str, message: &Value) -> Reply {
    Reply::json(
        status,
        json!({"path": request.path, "timestamp": iso_now(), "statusCode": status, "error": error, "message": message}),
    )
}

/// The toolbox's error body: `{statusCode, message, code, timestamp, path, method}` (§2.4).
fn toolbox_error(request: &Recorded, status: u16, message: &str, code: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "statusCode": status,
            "message": message,
            "code": code,
            "timestamp": iso_now(),
            "path": request.path_only(),
            "method": request.method,
        }),
    )
}
