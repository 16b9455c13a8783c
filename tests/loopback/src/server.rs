//! The scriptable HTTP/1.1 server: one thread accepts, one short-lived thread per connection.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long `Drop` waits, in total, for the server's threads to finish.
const STOP_WAIT: Duration = Duration::from_secs(1);
/// How long a client may take to send one whole request (head and body) after connecting.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// How often a thread that is reading a request or sleeping out a delay looks at the stop flag.
const POLL: Duration = Duration::from_millis(10);
/// The largest request head (request line and headers) the server reads.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body the server reads.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A scripted HTTP reply: what the server sends back for one request.
///
/// The server always adds `content-length` and `connection: close` itself (any such headers in
/// [`Reply::headers`] are left out), so every connection carries exactly one request. A
/// [`Reply::hang_up`] sends nothing at all: the connection is closed, as when a server crashes.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The HTTP status code, e.g. 200, 429.
    pub status: u16,
    /// Response headers in the order they are sent (names as given; HTTP names are case-insensitive).
    pub headers: Vec<(String, String)>,
    /// The response body, sent as is.
    pub body: String,
    /// How long the server waits after reading the request before it answers. Other connections
    /// are served meanwhile, and dropping the [`Server`] cuts the wait short (the client then sees
    /// the connection close without a response).
    pub delay: Duration,
    /// When true, the server closes the connection after [`Reply::delay`] without sending
    /// anything, as a server that crashed mid-request would; status, headers and body are unused.
    pub hang_up: bool,
}

impl Reply {
    /// A reply with a JSON body and `content-type: application/json`.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "callers write `Reply::json(200, json!({..}))`"
    )]
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::text(status, "application/json", &body.to_string())
    }

    /// A reply with `body` and the given `content-type` (e.g. `text/html`, `text/event-stream`).
    pub fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.to_owned(),
            delay: Duration::ZERO,
            hang_up: false,
        }
    }

    /// No reply: the server reads the request, then closes the connection without sending a byte
    /// (after [`Reply::after`]'s delay, if one is set). Clients see the connection end before any
    /// response, as when the server crashes mid-request.
    pub fn hang_up() -> Reply {
        Reply {
            status: 0,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
            hang_up: true,
        }
    }

    /// The same reply with one more header (appended; an existing header of that name stays).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same reply, sent `delay` after the request has been read (to make clients time out).
    #[must_use]
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// The first value of header `name` (case-insensitive), if the reply has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The reply to a request for which nothing was scripted: a 500 whose message names the request.
    fn unscripted(method: &str, path: &str) -> Reply {
        Reply::json(
            500,
            json!({"error": {
                "message": format!("loopback: no scripted reply for {method} {path}"),
                "type": "loopback",
                "code": 500,
            }}),
        )
    }
}

/// One request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The request method as sent, e.g. `POST`.
    pub method: String,
    /// The request target as sent, including any query string, e.g. `/v1/models?limit=5`.
    pub path: String,
    /// The request headers in the order sent, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The request body (decoded from chunked transfer coding if the client used it), as UTF-8
    /// (invalid bytes replaced with U+FFFD).
    pub body: String,
}

impl Recorded {
    /// The first value of header `name` (case-insensitive), if the request had it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    /// If the body is not JSON (the message shows the request and the body), so a test fails there.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "loopback: the body of {} {} is not JSON ({e}): {:?}",
                self.method, self.path, self.body
            )
        })
    }

    /// The path without its query string, e.g. `/v1/models` for `/v1/models?limit=5`.
    pub fn path_only(&self) -> &str {
        self.path
            .split_once('?')
            .map_or(self.path.as_str(), |(p, _)| p)
    }
}

/// A standing reply for one method and path.
struct Route {
    method: String,
    path: String,
    reply: Reply,
}

impl Route {
    fn matches(&self, request: &Recorded) -> bool {
        self.method == request.method
            && (self.path == request.path || self.path == request.path_only())
    }
}

/// A function that may answer a request before the queue and the routes are consulted.
type Handler = Arc<dyn Fn(&Recorded) -> Option<Reply> + Send + Sync>;

#[derive(Default)]
struct State {
    handler: Option<Handler>,
    queue: VecDeque<Reply>,
    routes: Vec<Route>,
    requests: Vec<Recorded>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled whenever a request is recorded.
    arrived: Condvar,
    stop: AtomicBool,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Records `request` and picks its reply: the handler's, else the next scripted one, else a
    /// matching route, else the unscripted 500.
    fn take_reply(&self, request: Recorded) -> Reply {
        // The handler runs without the lock held, so it may take its own locks (and a slow
        // handler does not hold up other connections).
        let handler = lock(&self.state).handler.clone();
        let handled = handler.and_then(|handler| handler(&request));
        let mut state = lock(&self.state);
        let reply = match handled {
            Some(reply) => reply,
            None => match state.queue.pop_front() {
                Some(reply) => reply,
                None => match state.routes.iter().find(|r| r.matches(&request)) {
                    Some(route) => route.reply.clone(),
                    None => Reply::unscripted(&request.method, &request.path),
                },
            },
        };
        state.requests.push(request);
        drop(state);
        self.arrived.notify_all();
        reply
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A scriptable HTTP/1.1 server on `127.0.0.1` (a free port), serving on background threads.
///
/// Each request gets the reply of the [`handler`](Server::handle), if one is set and answers it;
/// else the next reply [`pushed`](Server::push) (first in, first out); when none is left, a
/// [`route`](Server::route) for its method and path; otherwise a 500 whose JSON message says
/// which request had no scripted reply. Every request is recorded ([`Server::requests`]), after
/// the handler has seen it.
///
/// Each connection carries one request (replies say `connection: close`) and is served on its own
/// thread, so a delayed reply does not hold up other clients. Dropping the server stops it; the
/// drop waits about a second at most, even when a delayed reply is still pending.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:0` and starts serving.
    ///
    /// # Panics
    /// If no loopback port can be bound or no thread can be started.
    pub fn start() -> Server {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap_or_else(|e| panic!("loopback: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("loopback: no local address: {e}"));
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            stop: AtomicBool::new(false),
            connections: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("loopback-accept-{}", addr.port()))
                .spawn(move || accept_loop(&listener, &shared))
                .unwrap_or_else(|e| panic!("loopback: cannot start the accept thread: {e}"))
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues `reply` for the next request that has no earlier queued reply (first in, first out;
    /// one reply per request, whatever its method and path).
    pub fn push(&self, reply: Reply) {
        lock(&self.shared.state).queue.push_back(reply);
    }

    /// Sets a standing reply for `method` (e.g. `GET`, compared case-insensitively) and `path`,
    /// used for every such request that arrives while no pushed reply is queued. `path` matches
    /// the request target exactly or, when `path` has no query, the target without its query.
    /// A later call for the same method and path replaces the earlier reply.
    pub fn route(&self, method: &str, path: &str, reply: Reply) {
        let method = method.to_ascii_uppercase();
        let mut state = lock(&self.shared.state);
        state
            .routes
            .retain(|r| !(r.method == method && r.path == path));
        state.routes.push(Route {
            method,
            path: path.to_owned(),
            reply,
        });
    }

    /// Sets a handler that is asked first about every request: `Some(reply)` answers it, `None`
    /// leaves it to the queue and the routes. It runs on the connection's thread, so it must be
    /// `Send + Sync`; it can keep state of its own (behind a `Mutex`) to imitate a stateful
    /// service. A later call replaces the earlier handler.
    pub fn handle(&self, handler: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static) {
        lock(&self.shared.state).handler = Some(Arc::new(handler));
    }

    /// A probe that says whether scripted replies are waiting in the queue (for handlers that let
    /// scripted failures go first).
    pub(crate) fn clone_queue_probe(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move || !lock(&shared.state).queue.is_empty()
    }

    /// Every request received so far, in the order they were read.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.state).requests.clone()
    }

    /// Every request received so far, after checking that none of their bodies contains any of
    /// `values` (the privacy tests' row values); panics naming the first request that does.
    pub fn requests_without(&self, values: &[String]) -> Vec<Recorded> {
        let sent = self.requests();
        for (i, request) in sent.iter().enumerate() {
            let leaked: Vec<&String> = values
                .iter()
                .filter(|v| request.body.contains(v.as_str()))
                .collect();
            assert!(
                leaked.is_empty(),
                "request {i} sent {} customer values, e.g. {:?}",
                leaked.len(),
                leaked.first()
            );
        }
        sent
    }

    /// Waits until at least `n` requests have been received or `timeout` has passed, then returns
    /// all requests received so far (fewer than `n` if the time ran out).
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared.state);
        while state.requests.len() < n {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self
                .shared
                .arrived
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.requests.clone()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept thread, which blocks in accept(), with a connection it will drop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        let deadline = Instant::now() + STOP_WAIT;
        if let Some(acceptor) = self.acceptor.take() {
            join_by(acceptor, deadline);
        }
        let connections = std::mem::take(&mut *lock(&self.shared.connections));
        for connection in connections {
            join_by(connection, deadline);
        }
    }
}

/// Joins `handle` if it finishes before `deadline`; otherwise leaves the thread to finish alone.
fn join_by(handle: JoinHandle<()>, deadline: Instant) {
    while !handle.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
    if handle.is_finished() {
        let _ = handle.join();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let Ok(stream) = stream else {
            // E.g. out of file descriptors: do not spin.
            thread::sleep(POLL);
            continue;
        };
        let connection_shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("loopback-conn".to_owned())
            .spawn(move || serve(&stream, &connection_shared));
        if let Ok(handle) = spawned {
            let mut connections = lock(&shared.connections);
            connections.retain(|h| !h.is_finished());
            connections.push(handle);
        }
    }
}

/// Serves the one request on `stream`.
fn serve(stream: &TcpStream, shared: &Shared) {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream.set_write_timeout(Some(STOP_WAIT)).is_err()
    {
        return;
    }
    let mut reader = RequestReader {
        stream,
        buf: Vec::new(),
        shared,
        deadline: Instant::now() + REQUEST_DEADLINE,
    };
    let request = match reader.read_request() {
        Ok(request) => request,
        Err(ReadError::Malformed(why)) => {
            let reply = Reply::json(
                400,
                json!({"error": {"message": format!("loopback: {why}"), "type": "loopback", "code": 400}}),
            );
            if write_reply(stream, &reply, false).is_ok() {
                let _ = stream.shutdown(std::net::Shutdown::Write);
            }
            return;
        }
        Err(ReadError::Gone) => return,
    };
    let head_only = request.method == "HEAD";
    let reply = shared.take_reply(request);
    let ready = Instant::now() + reply.delay;
    loop {
        if shared.stopping() {
            return;
        }
        let now = Instant::now();
        if now >= ready {
            break;
        }
        thread::sleep(POLL.min(ready - now));
    }
    if reply.hang_up {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return;
    }
    if write_reply(stream, &reply, head_only).is_ok() {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_reply(mut stream: &TcpStream, reply: &Reply, head_only: bool) -> io::Result<()> {
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        if ["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            continue;
        }
        out.push_str(&format!("{}: {}\r\n", clean(name), clean(value)));
    }
    let no_body = head_only || reply.status == 204 || reply.status == 304 || reply.status < 200;
    if reply.status != 204 && reply.status >= 200 {
        out.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    if !no_body {
        bytes.extend_from_slice(reply.body.as_bytes());
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

enum ReadError {
    /// The client went away, was too slow, or the server is stopping: nothing to answer.
    Gone,
    /// The request cannot be parsed: answered with 400.
    Malformed(String),
}

/// Reads one request from a stream whose read timeout is [`POLL`], giving up when the server
/// stops or the request deadline passes.
struct RequestReader<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
    shared: &'a Shared,
    deadline: Instant,
}

impl RequestReader<'_> {
    /// Reads more bytes into the buffer.
    fn fill(&mut self) -> Result<(), ReadError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.shared.stopping() || Instant::now() >= self.deadline {
                return Err(ReadError::Gone);
            }
            match (&*self.stream).read(&mut chunk) {
                Ok(0) => return Err(ReadError::Gone),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return Err(ReadError::Gone),
            }
        }
    }

    /// One line without its line ending (CRLF or bare LF).
    fn line(&mut self) -> Result<String, ReadError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadError::Malformed("request head too large".to_owned()));
            }
            self.fill()?;
        }
    }

    /// Exactly `n` bytes.
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn read_request(&mut self) -> Result<Recorded, ReadError> {
        let request_line = self.line()?;
        let mut parts = request_line.split_whitespace();
        let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ReadError::Malformed(format!(
                "bad request line {request_line:?}"
            )));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(ReadError::Malformed(format!(
                "unsupported HTTP version {version:?}"
            )));
        }
        let (method, path) = (method.to_owned(), path.to_owned());
        let mut headers = Vec::new();
        let mut head_size = request_line.len();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            head_size += line.len();
            if head_size > MAX_HEAD {
                return Err(ReadError::Malformed("request head too large".to_owned()));
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(ReadError::Malformed(format!("bad header line {line:?}")));
            };
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
            let _ = (&*self.stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let chunked =
            header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let body = if chunked {
            self.chunked_body()?
        } else {
            let length = match header("content-length") {
                None => 0,
                Some(v) => v
                    .parse::<usize>()
                    .map_err(|_| ReadError::Malformed(format!("bad content-length {v:?}")))?,
            };
            if length > MAX_BODY {
                return Err(ReadError::Malformed(format!(
                    "body of {length} bytes is too large"
                )));
            }
            self.bytes(length)?
        };
        Ok(Recorded {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    fn chunked_body(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.line()?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| ReadError::Malformed(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(ReadError::Malformed("chunked body too large".to_owned()));
            }
            body.extend(self.bytes(size)?);
            if !self.line()?.is_empty() {
                return Err(ReadError::Malformed(
                    "chunk not followed by CRLF".to_owned(),
                ));
            }
        }
    }
}
