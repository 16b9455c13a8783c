//! HTTP servers on `127.0.0.1` that speak the providers' documented wire formats, scripted per
//! test and recording what clients sent.
//!
//! A test starts a [`Server`], points the client under test at [`Server::url`], scripts the
//! replies ([`Server::push`] for a queue, [`Server::route`] for standing replies), runs the client,
//! and then inspects [`Server::requests`]. The reply builders in [`perplexity`], [`openai`] and
//! at the crate root produce bodies, statuses and headers as described in
//! `docs/external-apis.md` (§1 Perplexity Sonar and Agent API, §3 OpenAI-compatible servers).
//!
//! [`DaytonaServer`] is different: a stateful imitation of Daytona's v0 sandbox API and toolbox
//! (§2), built on [`Server::handle`], which creates, polls, runs code in and deletes sandboxes
//! and records which sandboxes are still alive.
//!
//! ```
//! use plainsight_loopback::{openai, Server};
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! let server = Server::start();
//! server.push(openai::chat_ok("SELECT 1", 12, 3));
//!
//! // The client under test would go here; this one is hand-written.
//! let body = r#"{"model":"gpt-4o-mini","messages":[]}"#;
//! let mut stream = std::net::TcpStream::connect(server.url().trim_start_matches("http://")).unwrap();
//! write!(stream, "POST /chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}", body.len()).unwrap();
//! let mut reply = String::new();
//! stream.read_to_string(&mut reply).unwrap();
//! assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
//!
//! let requests = server.wait_for_requests(1, Duration::from_secs(5));
//! assert_eq!(requests[0].path, "/chat/completions");
//! assert_eq!(requests[0].json()["model"], "gpt-4o-mini");
//! ```

#![warn(missing_docs)]

mod server;

pub mod daytona;
pub mod langfuse;
pub mod openai;
pub mod perplexity;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use daytona::DaytonaServer;
pub use server::{Recorded, Reply, Server};

/// 429 Too Many Requests with an OpenAI-shaped error body (`type: "requests"`,
/// `code: "rate_limit_exceeded"`), and a `retry-after` header (seconds) when `retry_after_secs`
/// is given. Perplexity's 429s may differ in body; use [`perplexity::error`] for those.
pub fn rate_limited(retry_after_secs: Option<u64>) -> Reply {
    let reply = openai::error(
        429,
        "Rate limit reached for requests. Please try again later.",
        "requests",
        Some("rate_limit_exceeded"),
    );
    match retry_after_secs {
        Some(secs) => reply.with_header("retry-after", &secs.to_string()),
        None => reply,
    }
}

/// 500 Internal Server Error with an OpenAI-shaped error body (`type: "server_error"`,
/// `code: null`).
pub fn server_error() -> Reply {
    openai::error(
        500,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    )
}

/// `reply`, sent `delay` after the request was read (the same as [`Reply::after`]).
pub fn slow(reply: Reply, delay: Duration) -> Reply {
    reply.after(delay)
}

/// A 200 `text/event-stream` reply: one `data: <json>` event per chunk, then `data: [DONE]` when
/// `done` is true (OpenAI and Sonar chat streams end with it; the Agent API's do not). The whole
/// stream is sent at once, with a `content-length`.
pub fn sse(chunks: &[Value], done: bool) -> Reply {
    let mut body: String = chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    Reply::text(200, "text/event-stream", &body).with_header("cache-control", "no-cache")
}

/// Seconds since the Unix epoch, for `created` / `created_at` fields.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Now as JavaScript's `Date.toISOString()` writes it, e.g. `2026-11-26T08:00:00.000Z`.
fn iso_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, millis) = (now.as_secs(), now.subsec_millis());
    let (year, month, day) = civil_from_days(secs / 86_400);
    let seconds_of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A fresh id shaped like a version-4 UUID (as Sonar's completion ids and Daytona's sandbox ids
/// are).
fn uuid_like() -> String {
    let (a, b) = (fresh_id(), fresh_id());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// A fresh 64-bit number for ids (differs between calls and between processes).
fn fresh_id() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // splitmix64 of time, process id and a counter.
    #[allow(clippy::cast_possible_truncation)]
    let mut z = (nanos as u64)
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_783), (2026, 11, 26));
        assert_eq!(civil_from_days(20_818), (2026, 12, 31));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
