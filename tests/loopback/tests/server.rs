//! The loopback server over real TCP connections: scripting, recording, delays and shutdown.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::{call, connect, read_response, send};
use plainsight_loopback::{Reply, Server};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn url_is_http_on_127_0_0_1_without_trailing_slash() {
    let server = Server::start();
    let url = server.url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with('/'), "{url}");
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_default();
    assert_ne!(port, 0, "{url}");
}

#[test]
fn pushed_replies_are_served_in_order_one_per_request() {
    let server = Server::start();
    server.push(Reply::json(200, json!({"n": 1})));
    server.push(Reply::json(201, json!({"n": 2})));
    server.push(Reply::text(202, "text/plain", "three"));

    let first = call(&server.url(), "POST", "/a", "{}");
    let second = call(&server.url(), "GET", "/b", "");
    let third = call(&server.url(), "PUT", "/c", "");
    assert_eq!((first.status, first.json()["n"].as_i64()), (200, Some(1)));
    assert_eq!((second.status, second.json()["n"].as_i64()), (201, Some(2)));
    assert_eq!((third.status, third.body.as_str()), (202, "three"));
    assert_eq!(third.header("content-type"), Some("text/plain"));
    assert_eq!(first.header("connection"), Some("close"));

    // The queue is used up: the next request is unscripted.
    assert_eq!(call(&server.url(), "POST", "/a", "{}").status, 500);
}

#[test]
fn routes_answer_when_the_queue_is_empty() {
    let server = Server::start();
    server.route(
        "get",
        "/models",
        Reply::json(200, json!({"object": "list", "data": []})),
    );
    server.push(Reply::json(200, json!({"queued": true})));

    // A queued reply goes first, whatever the path.
    assert_eq!(
        call(&server.url(), "GET", "/models", "").json()["queued"],
        true
    );
    // Then the standing reply, as often as asked, also with a query string.
    for path in ["/models", "/models", "/models?limit=2"] {
        let response = call(&server.url(), "GET", path, "");
        assert_eq!(
            (response.status, response.json()["object"].as_str()),
            (200, Some("list")),
            "{path}"
        );
    }
    // Another method or path is not routed.
    assert_eq!(call(&server.url(), "POST", "/models", "{}").status, 500);
    assert_eq!(call(&server.url(), "GET", "/models/x", "").status, 500);
    // A later route for the same method and path replaces the earlier one.
    server.route("GET", "/models", Reply::json(503, json!({})));
    assert_eq!(call(&server.url(), "GET", "/models", "").status, 503);
}

#[test]
fn records_method_path_headers_and_body() {
    let server = Server::start();
    server.push(Reply::json(200, json!({})));
    let body = r#"{"model":"sonar","messages":[{"role":"user","content":"hé"}]}"#;
    let response = send(
        &server.url(),
        "POST",
        "/chat/completions?trace=1",
        &[
            ("Authorization", "Bearer pplx-test"),
            ("Content-Type", "application/json"),
            ("X-Custom", "  spaced  "),
        ],
        body,
        WAIT,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status, 200);

    let requests = server.wait_for_requests(1, WAIT);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/chat/completions?trace=1");
    assert_eq!(request.body, body);
    assert_eq!(request.json()["messages"][0]["content"], "hé");
    assert!(
        request
            .headers
            .iter()
            .all(|(k, _)| *k == k.to_ascii_lowercase()),
        "{:?}",
        request.headers
    );
    assert_eq!(request.header("authorization"), Some("Bearer pplx-test"));
    assert_eq!(request.header("AUTHORIZATION"), Some("Bearer pplx-test"));
    assert_eq!(request.header("x-custom"), Some("spaced"));
    assert_eq!(
        request.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(request.header("missing"), None);
    assert_eq!(server.requests(), requests);
}

#[test]
fn requests_are_recorded_in_order() {
    let server = Server::start();
    for path in ["/one", "/two", "/three"] {
        call(
            &server.url(),
            "POST",
            path,
            &format!("{{\"path\":\"{path}\"}}"),
        );
    }
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/one", "/two", "/three"]);
}

#[test]
fn unscripted_request_gets_a_500_naming_it() {
    let server = Server::start();
    let response = call(&server.url(), "POST", "/v1/agent", "{}");
    assert_eq!(response.status, 500);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({"error": {"message": "loopback: no scripted reply for POST /v1/agent", "type": "loopback", "code": 500}})
    );
    assert_eq!(
        server.requests().len(),
        1,
        "unscripted requests are recorded too"
    );
}

#[test]
fn reply_headers_are_sent() {
    let server = Server::start();
    server.push(
        Reply::json(200, json!({}))
            .with_header("x-request-id", "req_1")
            .with_header("Content-Length", "999"),
    );
    let response = call(&server.url(), "GET", "/", "");
    assert_eq!(response.header("x-request-id"), Some("req_1"));
    assert_eq!(
        response.header("content-length"),
        Some("2"),
        "the server computes content-length itself"
    );
}

#[test]
fn delayed_reply_does_not_block_the_next_connection() {
    let server = Server::start();
    server.push(Reply::json(200, json!({"attempt": 1})).after(Duration::from_secs(3)));
    server.push(Reply::json(200, json!({"attempt": 2})));

    // The first attempt times out on the client side…
    let started = Instant::now();
    let first = send(
        &server.url(),
        "POST",
        "/chat/completions",
        &[],
        "{}",
        Duration::from_millis(300),
    );
    assert!(first.is_err(), "the delayed reply came early: {first:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.wait_for_requests(1, WAIT).len(), 1);

    // …and the retry gets the next scripted reply at once, while the first is still pending.
    let started = Instant::now();
    let second = call(&server.url(), "POST", "/chat/completions", "{}");
    assert_eq!(second.json()["attempt"], 2);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn delayed_reply_arrives_after_its_delay() {
    let server = Server::start();
    server.push(plainsight_loopback::slow(
        Reply::json(200, json!({"ok": true})),
        Duration::from_millis(300),
    ));
    let started = Instant::now();
    let response = call(&server.url(), "GET", "/slow", "");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(response.json()["ok"], true);
}

#[test]
fn drop_returns_promptly_with_a_pending_delayed_reply() {
    let server = Server::start();
    server.push(Reply::json(200, json!({})).after(Duration::from_secs(60)));
    let url = server.url();
    let mut stream = connect(&url, WAIT);
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.wait_for_requests(1, WAIT).len(), 1);

    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "drop took {:?}",
        started.elapsed()
    );

    // The pending client sees the connection close without a response, promptly.
    let mut rest = Vec::new();
    let started = Instant::now();
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "close took {:?}",
        started.elapsed()
    );
}

#[test]
fn drop_returns_promptly_with_an_idle_or_half_sent_connection() {
    let server = Server::start();
    let url = server.url();
    let _idle = connect(&url, WAIT);
    let mut half = connect(&url, WAIT);
    half.write_all(b"POST /x HTTP/1.1\r\ncontent-length: 10\r\n\r\n12345")
        .unwrap_or_else(|e| panic!("{e}"));
    thread::sleep(Duration::from_millis(100));

    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "drop took {:?}",
        started.elapsed()
    );
}

#[test]
fn wait_for_requests_is_bounded() {
    let server = Server::start();
    let started = Instant::now();
    assert!(server
        .wait_for_requests(1, Duration::from_millis(200))
        .is_empty());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(2),
        "waited {waited:?}"
    );

    // A request arriving during the wait ends it early.
    let url = server.url();
    let client = thread::spawn(move || call(&url, "GET", "/late", "").status);
    let started = Instant::now();
    assert_eq!(server.wait_for_requests(1, WAIT).len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(client.join().ok(), Some(500));
}

#[test]
fn concurrent_clients_each_get_one_reply() {
    let server = Server::start();
    for n in 0..8 {
        server.push(Reply::json(200, json!({"n": n})));
    }
    let url = server.url();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || {
                call(&url, "POST", "/chat/completions", "{}").json()["n"].as_i64()
            })
        })
        .collect();
    let mut got: Vec<i64> = clients
        .into_iter()
        .filter_map(|c| c.join().ok().flatten())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..8).collect::<Vec<_>>());
    assert_eq!(server.requests().len(), 8);
}

#[test]
fn expect_100_continue_is_answered() {
    let server = Server::start();
    server.push(Reply::json(200, json!({"ok": true})));
    let mut stream = connect(&server.url(), WAIT);
    stream
        .write_all(
            b"POST /e HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mut interim = [0u8; 25];
    stream
        .read_exact(&mut interim)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"{}").unwrap_or_else(|e| panic!("{e}"));
    let response = read_response(&mut stream).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status, 200);
    assert_eq!(server.requests()[0].body, "{}");
}

#[test]
fn chunked_request_body_is_decoded() {
    let server = Server::start();
    server.push(Reply::json(200, json!({})));
    let mut stream = connect(&server.url(), WAIT);
    stream
        .write_all(b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read_response(&mut stream).map(|r| r.status).ok(), Some(200));
    assert_eq!(server.requests()[0].json(), json!({"a": 1}));
}

#[test]
fn malformed_request_gets_a_400_and_is_not_recorded() {
    let server = Server::start();
    let mut stream = connect(&server.url(), WAIT);
    stream
        .write_all(b"NONSENSE\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read_response(&mut stream).map(|r| r.status).ok(), Some(400));
    assert!(server.requests().is_empty());
}

#[test]
fn head_request_gets_headers_only() {
    let server = Server::start();
    server.push(Reply::json(200, json!({"x": 1})));
    let mut stream = connect(&server.url(), WAIT);
    stream
        .write_all(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\n"), "{raw}");
    assert!(raw.contains("content-length: 7\r\n"), "{raw}");
}

#[test]
fn handler_answers_first_and_leaves_the_rest_to_the_queue() {
    let server = Server::start();
    server.handle(|request| {
        (request.path_only() == "/handled").then(|| Reply::json(200, json!({"by": "handler"})))
    });
    server.push(Reply::json(200, json!({"by": "queue"})));

    // The handler goes before the queue, which it leaves alone…
    assert_eq!(
        call(&server.url(), "GET", "/handled?x=1", "").json()["by"],
        "handler"
    );
    // …and what it declines goes to the queue, then the routes and the unscripted 500.
    assert_eq!(
        call(&server.url(), "GET", "/other", "").json()["by"],
        "queue"
    );
    assert_eq!(call(&server.url(), "GET", "/other", "").status, 500);
    assert_eq!(
        server.requests().len(),
        3,
        "handled requests are recorded too"
    );

    // A later handler replaces the earlier one.
    server.handle(|_| Some(Reply::text(202, "text/plain", "second")));
    assert_eq!(call(&server.url(), "GET", "/handled", "").status, 202);
}

#[test]
fn hang_up_closes_the_connection_without_a_reply() {
    let server = Server::start();
    server.push(Reply::hang_up());
    server.push(Reply::hang_up().after(Duration::from_millis(200)));
    server.push(Reply::json(200, json!({"ok": true})));

    for _ in 0..2 {
        let mut stream = connect(&server.url(), WAIT);
        stream
            .write_all(b"POST /run HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rest = Vec::new();
        let started = Instant::now();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "close took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        call(&server.url(), "POST", "/run", "{}").json()["ok"],
        true,
        "the server goes on"
    );
    assert_eq!(server.requests().len(), 3);
}
