//! A minimal HTTP/1.1 client over `std::net::TcpStream`, for the tests only.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// The `host:port` part of `http://host:port`.
pub fn authority(url: &str) -> &str {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http URL: {url}"));
    assert!(rest.starts_with("127.0.0.1:"), "not on 127.0.0.1: {url}");
    rest
}

/// Opens a connection with read and write timeouts of `timeout`.
pub fn connect(url: &str, timeout: Duration) -> TcpStream {
    let stream =
        TcpStream::connect(authority(url)).unwrap_or_else(|e| panic!("connect {url}: {e}"));
    stream
        .set_read_timeout(Some(timeout))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .set_write_timeout(Some(timeout))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
}

/// Sends one request (with `content-length` and `connection: close`) and reads the whole
/// response; fails if nothing complete arrives within `timeout`.
pub fn send(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> io::Result<Response> {
    let mut stream = connect(url, timeout);
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\n", authority(url));
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes())?;
    read_response(&mut stream)
}

/// `send` that must succeed.
pub fn call(url: &str, method: &str, path: &str, body: &str) -> Response {
    send(
        url,
        method,
        path,
        &[("content-type", "application/json")],
        body,
        Duration::from_secs(5),
    )
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Reads a response to EOF and parses it (skipping any `100 Continue`).
pub fn read_response(stream: &mut TcpStream) -> io::Result<Response> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let mut text =
        String::from_utf8(raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    while text.starts_with("HTTP/1.1 100") {
        let end = text
            .find("\r\n\r\n")
            .ok_or_else(|| bad("unterminated 100 Continue"))?;
        text.drain(..end + 4);
    }
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no end of head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(status_line))?;
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let response = Response {
        status,
        headers,
        body: body.to_owned(),
    };
    if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().map_err(|_| bad("bad content-length"))?;
        if length != response.body.len() {
            return Err(bad(&format!(
                "content-length {length} but {} bytes",
                response.body.len()
            )));
        }
    }
    Ok(response)
}

fn bad(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}
