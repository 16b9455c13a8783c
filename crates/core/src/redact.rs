//! The one redaction wall: every text Plainsight logs, stores (the history, the answer cache,
//! a breaker's last error) or shows (an answer, an error message) passes through [`redact`],
//! which replaces anything secret with `[redacted]`:
//!
//! - **the configured secrets themselves**: every API key and password this process holds is a
//!   [`crate::secret::Secret`], and each one is [`remember`]ed when it is made (read from the
//!   keychain or the environment, typed in, or a data source's password), so a provider that
//!   quotes the key back in an error body or a reply cannot get it stored or shown;
//! - **passwords in addresses**: `scheme://user:password@host` and `?password=` (also
//!   `sslpassword=`, `api_key=`, `token=`, `secret=`, `key=` …) in a query string, as in
//!   `postgres://` and later `mysql://` URLs;
//! - **`name: value` / `name=value` pairs** whose name says password, secret, token or key, and
//!   the credential after `Bearer` or `Basic`;
//! - **key-like shapes**: the prefixes of known API keys (`sk-`, `pplx-`, `pk-lf-`, `dtn_`,
//!   `ghp_`, `AKIA`, `AIza`, JWTs …) and long random-looking runs of letters and digits (32 or
//!   more, switching between letters and digits several times: hex and base64 secrets, hashes).
//!
//! It is linear in the length of the text (times the number of remembered secrets, a handful).
//! A data row is user data, not text about the program: [`known_secrets`] masks only the
//! remembered secrets in it, never a shape.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret becomes.
pub const MASK: &str = "[redacted]";

/// Remembered secrets shorter than this are not masked by value (a short password would mask
/// ordinary words); addresses and `password=` still mask them by position.
const MIN_SECRET_CHARS: usize = 8;

/// At most this many secrets are remembered (a process holds a handful of keys).
const MAX_SECRETS: usize = 256;

/// The secrets this process holds, longest first (so a key is masked whole before any shorter
/// secret inside it).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Prefixes of API keys and tokens: a run of key characters starting with one of these and at
/// least 8 characters longer is a key.
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "pplx-",
    "pk-lf-",
    "sk-lf-",
    "dtn_",
    "lf_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xapp-",
    "AKIA",
    "ASIA",
    "AIza",
    "eyJ",
    "rk_live_",
    "sk_live_",
    "pk_live_",
];

/// Names whose value (after `=` or `:`) is a secret.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "sslpassword",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "auth_token",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "key",
    "private_key",
    "authorization",
    "credential",
    "credentials",
];

/// Remembers `secret` (an API key or a password) so that [`redact`] masks it wherever it
/// appears. Called for every [`crate::secret::Secret`] made and for a data source's password.
pub fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if secrets.iter().any(|s| s == secret) {
        return;
    }
    if secrets.len() >= MAX_SECRETS {
        secrets.remove(0);
    }
    secrets.push(secret.to_string());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every remembered secret replaced by [`MASK`], and nothing else changed: for data
/// rows, where a long hex value is data, not a key.
pub fn known_secrets(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// `text` with every secret masked: the remembered secrets, passwords in addresses and query
/// strings, `password=`/`token:`-style pairs, `Bearer`/`Basic` credentials and key-like shapes.
pub fn redact(text: &str) -> String {
    let text = known_secrets(text);
    shapes(&by_position(&text))
}

/// Separates words: whitespace, quotes, brackets and commas (`:`, `=`, `/`, `@`, `?`, `&` stay
/// inside a word, so an address is one word).
fn separates(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>'
        )
}

/// Whether `name` (the end of a word before `=` or `:`) names a secret.
fn names_secret(name: &str) -> bool {
    let name = name
        .trim_start_matches(['-', '_', '.', '?', '&', '$'])
        .to_ascii_lowercase();
    let last = name.rsplit(['.', '/', '?', '&']).next().unwrap_or(&name);
    SECRET_NAMES.iter().any(|n| {
        last == *n
            || (last.len() > n.len()
                && last.ends_with(n)
                && matches!(last.as_bytes()[last.len() - n.len() - 1], b'_' | b'-'))
    })
}

/// Masks by position: the password in `scheme://user:password@host`, values of secret-named
/// `name=value` pairs inside a word (query strings), the word after a secret-named `name:`,
/// `name=` or `"name": ` (not `name = 1`: that is code comparing a column), and the credential
/// after `Bearer` / `Basic`.
fn by_position(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The next word is a secret: `Some(true)` whatever it is (after `password:` or
    // `"api_key": `), `Some(false)` if it looks like a credential (after `Bearer` or `Basic`, so
    // "basic analysis" stays).
    let mut mask_next: Option<bool> = None;
    // The previous word named a secret, and a lone `:` may follow (JSON, YAML).
    let mut named = false;
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(|c: char| !separates(c)).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(separates).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        let lower = word.to_ascii_lowercase();
        let scheme = lower == "bearer" || lower == "basic";
        if let Some(any) = mask_next.take() {
            if scheme {
                // `Authorization: Bearer <token>`: the token is the secret.
                out.push_str(word);
                mask_next = Some(true);
                continue;
            }
            if any || credential_like(word) {
                out.push_str(MASK);
                named = false;
                continue;
            }
        }
        if word == ":" && named {
            out.push_str(word);
            mask_next = Some(true);
            continue;
        }
        if scheme {
            out.push_str(word);
            mask_next = Some(false);
            continue;
        }
        // `password:` or `token=` ends the word: the value is the next word.
        if let Some(name) = word.strip_suffix(':').or_else(|| word.strip_suffix('=')) {
            if names_secret(name) {
                out.push_str(word);
                mask_next = Some(true);
                continue;
            }
        }
        named = names_secret(word.trim_end_matches(':'));
        out.push_str(&mask_in_word(word));
    }
    out
}

/// 8 characters or more with a digit, both cases, or `=` padding: a token, not a word.
fn credential_like(word: &str) -> bool {
    word.len() >= 8
        && (word.bytes().any(|b| b.is_ascii_digit())
            || (word.bytes().any(|b| b.is_ascii_uppercase())
                && word.bytes().any(|b| b.is_ascii_lowercase()))
            || word.ends_with('='))
}

/// The password of an address's user info, and the values of secret-named `name=value` pairs
/// (`?password=…&sslmode=…`, `api_key=…`, `--token=…`), inside one word.
fn mask_in_word(word: &str) -> String {
    let mut word = word.to_string();
    if let Some(scheme) = word.find("://") {
        let authority_end = word[scheme + 3..]
            .find(['/', '?', '#'])
            .map_or(word.len(), |i| scheme + 3 + i);
        if let Some(at) = word[scheme + 3..authority_end]
            .rfind('@')
            .map(|i| scheme + 3 + i)
        {
            if let Some(colon) = word[scheme + 3..at].find(':').map(|i| scheme + 3 + i) {
                if colon + 1 < at {
                    word.replace_range(colon + 1..at, MASK);
                }
            }
        }
    }
    if !word.contains('=') {
        return word;
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word.as_str();
    while let Some(eq) = rest.find('=') {
        let (name, after) = (&rest[..eq], &rest[eq + 1..]);
        out.push_str(name);
        out.push('=');
        let value_end = after.find(['&', '=']).map_or(after.len(), |i| {
            if after.as_bytes()[i] == b'=' {
                after.len()
            } else {
                i
            }
        });
        // The name is what follows the last separator of a pair (`?`, `&`, `;`, `:`, a leading `-`).
        let key = name.rsplit(['?', '&', ':']).next().unwrap_or(name);
        if names_secret(key) && value_end > 0 {
            out.push_str(MASK);
        } else {
            out.push_str(&after[..value_end]);
        }
        rest = &after[value_end..];
    }
    out.push_str(rest);
    out
}

/// A character of a key: letters, digits, `-` and `_`.
fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Masks key-like runs: a known key prefix followed by 8 or more key characters, and runs of 32
/// or more letters and digits that switch between letters and digits at least 3 times.
fn shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(key_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(|c: char| !key_char(c)).unwrap_or(rest.len());
        let run = &rest[..end];
        rest = &rest[end..];
        let prefixed = KEY_PREFIXES.iter().any(|p| {
            run.len() >= p.len() + 8
                && run.starts_with(p)
                && run[p.len()..].bytes().any(|b| b.is_ascii_digit())
        });
        if prefixed || run.split(['-', '_']).any(random_looking) {
            out.push_str(MASK);
        } else {
            out.push_str(run);
        }
    }
    out
}

/// 32 or more letters and digits that switch between letters and digits at least 3 times: a hex
/// or base62 secret, never a word or a name.
fn random_looking(part: &str) -> bool {
    if part.len() < 32 {
        return false;
    }
    let switches = part
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    switches >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_secrets_are_masked_wherever_they_appear() {
        remember("Zq81-remembered-secret-value");
        remember("short");
        let text = r#"{"error":{"message":"Invalid key Zq81-remembered-secret-value."}} and again:Zq81-remembered-secret-value"#;
        let r = redact(text);
        assert!(!r.contains("Zq81-remembered-secret-value"), "{r}");
        assert_eq!(r.matches(MASK).count(), 2, "{r}");
        assert_eq!(
            redact("a short answer"),
            "a short answer",
            "short secrets are not masked by value"
        );
        assert_eq!(
            known_secrets("x Zq81-remembered-secret-value y"),
            format!("x {MASK} y")
        );
        assert_eq!(
            known_secrets("deadbeefdeadbeefdeadbeefdeadbeef00"),
            "deadbeefdeadbeefdeadbeefdeadbeef00",
            "data shapes stay"
        );
    }

    #[test]
    fn keys_and_passwords_are_masked_by_shape_and_position() {
        let line = r#"WARN sent key pplx-abcdef0123456789 with "Authorization: Bearer sk-live-999999999" to postgres://ann:hunter2@db:5432/shop password=topsecret ok"#;
        let r = redact(line);
        for secret in [
            "pplx-abcdef0123456789",
            "sk-live-999999999",
            "hunter2",
            "topsecret",
        ] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(
            r.contains("postgres://ann:[redacted]@db:5432/shop")
                && r.starts_with("WARN sent key [redacted]"),
            "{r}"
        );
        for (text, secret) in [
            (
                "opening postgres://shop@127.0.0.1/shop?password=s3cret&sslmode=require failed",
                "s3cret",
            ),
            ("mysql://root:pw1234@127.0.0.1/shop", "pw1234"),
            ("https://api.example.com/v1?api_key=abc123&x=1", "abc123"),
            ("sslpassword=hunter22 sslmode=verify-full", "hunter22"),
            (
                r#"{"api_key": "k3y-value-here", "model": "sonar"}"#,
                "k3y-value-here",
            ),
            ("password: correct horse", "correct"),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                "dXNlcjpwYXNzd29yZA",
            ),
            ("token=abc.def.ghi", "abc.def.ghi"),
            (
                "key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "0123456789abcdef0123456789abcdef",
            ),
            (
                "AKIAIOSFODNN7EXAMPLE is an AWS key id",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
                "eyJhbGciOiJIUzI1NiJ9",
            ),
            (
                "a base62 secret Xk9pQ2mZ7rT4vW8yB3nC6dF1gH5jK0lA",
                "Xk9pQ2mZ7rT4vW8yB3nC6dF1gH5jK0lA",
            ),
        ] {
            let r = redact(text);
            assert!(!r.contains(secret), "{secret} in {r} (from {text})");
            assert!(r.contains(MASK), "{r}");
        }
        assert!(
            redact("sslmode=require").contains("require"),
            "other pairs stay"
        );
        assert!(redact("https://api.example.com/v1?x=1&api_key=abc123")
            .ends_with("?x=1&api_key=[redacted]"));
    }

    #[test]
    fn ordinary_text_code_and_identifiers_are_left_alone() {
        for text in [
            "plan 3 ms · AI 1.2 s",
            "SELECT password, token, secret FROM accounts WHERE key = 1",
            "SELECT c.segment, COUNT(DISTINCT o.order_id) AS orders FROM orders o JOIN customers c ON o.customer_id = c.customer_id",
            "the global budget of $5.00 per day is spent ($0.0075 used); it resets at 2026-11-27 00:00",
            "request 123e4567-e89b-12d3-a456-426614174000 failed",
            "a task-force of sk-8 readers; the risk-free rate",
            "customer_lifetime_value_by_signup_month_and_region_2024",
            "Perplexity rejected the API key; open Settings → API keys and check it",
            "the bearer of the news; basic analysis of sales",
            "/home/ana/Documents/exports/quarterly_report_2026_q3.sqlite",
            MASK,
        ] {
            assert_eq!(redact(text), text);
        }
        assert_eq!(
            redact(&redact("postgres://a:b1234567@h/db")),
            redact("postgres://a:b1234567@h/db"),
            "masking again changes nothing"
        );
    }

    #[test]
    fn a_huge_text_is_masked_in_linear_time() {
        let text = "pplx-abcdef0123456789 password=x ".repeat(100_000);
        let started = std::time::Instant::now();
        let r = redact(&text);
        assert!(!r.contains("pplx-abcdef"));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
