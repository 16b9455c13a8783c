//! Replies built from what the model wrote: the reply fields and kinds of a recovered JSON object,
//! or a code block or bare statement in prose with the prose around it as the explanation; and
//! refusals.

use serde_json::{Map, Value};

use super::markup::{
    choose_block, fenced_blocks, guess_language, language_from_name, outside_blocks,
    starts_with_keyword, Fence,
};
use super::text::{collapse_ws, excerpt, shorten};
use super::{CodeLanguage, RepairError, Reply, ReplyKind};

/// Longest explanation taken from prose around a code block, in characters.
const EXPLANATION_MAX_CHARS: usize = 300;
/// Longest piece of model output quoted in an error message, in characters.
const ERROR_EXCERPT_MAX_CHARS: usize = 200;
/// How many clarification options a [`ReplyKind::Clarify`] keeps.
const MAX_OPTIONS: usize = 3;

/// The chart kinds a reply may suggest; anything else becomes `None`.
const CHART_HINTS: [&str; 6] = ["bar", "line", "pie", "scatter", "number", "table"];

/// Phrases (lower case, straight apostrophes) that make a code-less answer a refusal.
const REFUSAL_PHRASES: [&str; 17] = [
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i apologise",
    "i can't",
    "i cannot",
    "i can not",
    "i'm unable",
    "i am unable",
    "i'm not able",
    "i am not able",
    "i won't",
    "i will not",
    "unable to help",
    "unable to assist",
    "as an ai",
    "i must decline",
];

// ---------------------------------------------------------------------------------------------
// Prose helpers

/// A line without a leading list marker (`- `, `* `, `+ `, `> `, `1. `, `1) `).
fn strip_list_marker(line: &str) -> &str {
    for marker in ["- ", "* ", "+ ", "> "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return r.trim_start();
        }
    }
    line
}

/// Prose for an explanation: markdown headings and rules dropped, list markers and `**` removed,
/// whitespace collapsed.
fn clean_prose(s: &str) -> String {
    let is_heading = |t: &str| {
        let hashes = t.chars().take_while(|c| *c == '#').count();
        (1..=6).contains(&hashes) && t[hashes..].chars().next().is_none_or(char::is_whitespace)
    };
    let is_rule = |t: &str| t.len() >= 3 && t.chars().all(|c| matches!(c, '-' | '*' | '_' | ' '));
    let parts: Vec<String> = s
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty() && !is_heading(t) && !is_rule(t))
        .map(|t| strip_list_marker(t).replace("**", ""))
        .collect();
    collapse_ws(&parts.join(" "))
}

/// Whether the text reads like the model declining to help.
fn is_refusal(text: &str) -> bool {
    let lower = text.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'");
    REFUSAL_PHRASES.iter().any(|p| lower.contains(p))
}

// ---------------------------------------------------------------------------------------------
// Replies from JSON

/// A field name without case, `_`, `-` or spaces.
fn norm_key(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field whose normalised name is `name` (already normalised).
fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| norm_key(k) == name)
            .map(|(_, v)| v)
    })
}

/// A value as text: strings as they are (CRLF → LF), numbers and booleans written out, arrays of
/// strings joined with newlines; `None` for null, objects and mixed arrays.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.replace("\r\n", "\n")),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let lines: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            lines.map(|l| l.join("\n").replace("\r\n", "\n"))
        }
        _ => None,
    }
}

/// A list of strings: an array's text items (trimmed, empty ones dropped) or a single string.
fn string_list(v: Option<&Value>) -> Vec<String> {
    let items: Vec<String> = match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| !i.is_array())
            .filter_map(text_of)
            .collect(),
        Some(other) => text_of(other).into_iter().collect(),
        None => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Field names (normalised) that make an object a reply.
const REPLY_KEYS: [&str; 10] = [
    "kind",
    "code",
    "sql",
    "query",
    "language",
    "explanation",
    "options",
    "reason",
    "charthint",
    "assumptions",
];

/// The reply object itself, or the object under a single wrapper key (`{"reply": {…}}`).
pub(super) fn reply_object(map: &Map<String, Value>) -> Option<&Map<String, Value>> {
    let is_reply =
        |m: &Map<String, Value>| m.keys().any(|k| REPLY_KEYS.contains(&norm_key(k).as_str()));
    if is_reply(map) {
        return Some(map);
    }
    match map.values().next() {
        Some(Value::Object(inner)) if map.len() == 1 && is_reply(inner) => Some(inner),
        _ => None,
    }
}

/// The code and the language its key implies (`sql` → SQL, `python` → Python).
fn code_field(map: &Map<String, Value>) -> (Option<String>, Option<CodeLanguage>) {
    for (key, lang) in [
        ("code", None),
        ("sql", Some(CodeLanguage::Sql)),
        ("query", None),
        ("python", Some(CodeLanguage::Python)),
    ] {
        if let Some(code) = field(map, key).and_then(text_of) {
            if !code.trim().is_empty() {
                return (Some(code), lang);
            }
        }
    }
    (None, None)
}

/// Code without a fence around it, and the language the fence named (or implied).
fn unfence_code(code: &str) -> (String, Option<CodeLanguage>) {
    let t = code.trim();
    let blocks = fenced_blocks(t);
    if let [only] = blocks.as_slice() {
        if only.start == 0 && only.end == t.len() {
            return (only.body.clone(), language_from_name(&only.tag));
        }
    }
    match choose_block(&blocks) {
        Some((lang, body, _)) => (body, Some(lang)),
        None => (t.to_string(), None),
    }
}

/// A chart hint, if it is one of [`CHART_HINTS`].
fn chart_hint(v: Option<&Value>) -> Option<String> {
    let hint = v.and_then(Value::as_str)?.trim().to_ascii_lowercase();
    CHART_HINTS.contains(&hint.as_str()).then_some(hint)
}

/// The reply kinds before the code is checked.
enum Kind {
    Answer(Option<CodeLanguage>),
    Clarify,
    OutOfScope,
}

/// Builds a reply from a recovered JSON object.
pub(super) fn reply_from_object(map: &Map<String, Value>) -> Result<Reply, RepairError> {
    let text = |name: &str| {
        field(map, name)
            .and_then(text_of)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let explanation = text("explanation");
    let reason = text("reason");
    let kind_text = text("kind");
    let language_text = text("language");
    let chart_hint = chart_hint(field(map, "charthint"));
    let assumptions = string_list(field(map, "assumptions"));
    let options = string_list(field(map, "options"));
    let (code, key_language) = code_field(map);

    let kind = if kind_text.is_empty() {
        if code.is_some() {
            Kind::Answer(None)
        } else if !options.is_empty() {
            Kind::Clarify
        } else if !reason.is_empty() {
            Kind::OutOfScope
        } else {
            Kind::Answer(None)
        }
    } else {
        match norm_key(&kind_text).as_str() {
            "answer" | "code" => Kind::Answer(None),
            "sql" => Kind::Answer(Some(CodeLanguage::Sql)),
            "python" => Kind::Answer(Some(CodeLanguage::Python)),
            "clarify" | "clarification" => Kind::Clarify,
            "outofscope" => Kind::OutOfScope,
            _ => return Err(RepairError::BadKind(excerpt(&kind_text, 60))),
        }
    };

    let kind = match kind {
        Kind::Clarify => {
            if options.is_empty() && explanation.is_empty() {
                return Err(RepairError::EmptyClarify);
            }
            ReplyKind::Clarify {
                options: options.into_iter().take(MAX_OPTIONS).collect(),
            }
        }
        Kind::OutOfScope => ReplyKind::OutOfScope {
            reason: if reason.is_empty() {
                explanation.clone()
            } else {
                reason
            },
        },
        Kind::Answer(kind_language) => {
            let (code, fence_language) = unfence_code(code.as_deref().unwrap_or(""));
            if code.is_empty() {
                let said = if explanation.is_empty() {
                    &reason
                } else {
                    &explanation
                };
                return Err(if is_refusal(said) {
                    RepairError::Refusal(excerpt(said, ERROR_EXCERPT_MAX_CHARS))
                } else {
                    RepairError::NoCode
                });
            }
            let language = if language_text.is_empty() {
                key_language
                    .or(fence_language)
                    .or(kind_language)
                    .unwrap_or_else(|| guess_language(&code))
            } else {
                language_from_name(&language_text)
                    .ok_or_else(|| RepairError::UnsupportedLanguage(excerpt(&language_text, 40)))?
            };
            ReplyKind::Code { language, code }
        }
    };
    Ok(Reply {
        kind,
        explanation,
        chart_hint,
        assumptions,
    })
}

// ---------------------------------------------------------------------------------------------
// Replies from prose

/// Builds a reply from text with no JSON reply: a fenced block, then a bare statement.
pub(super) fn reply_from_prose(text: &str, blocks: &[Fence]) -> Result<Reply, RepairError> {
    let prose = outside_blocks(text, blocks);
    let code_reply = |language, code: String, explanation: &str| Reply {
        kind: ReplyKind::Code { language, code },
        explanation: shorten(&clean_prose(explanation), EXPLANATION_MAX_CHARS),
        chart_hint: None,
        assumptions: Vec::new(),
    };
    if let Some((language, code, _)) = choose_block(blocks) {
        return Ok(code_reply(language, code, &prose));
    }
    if let Some((start, end, code)) = find_bare_statement(&prose) {
        let around = format!("{}\n{}", &prose[..start], &prose[end..]);
        return Ok(code_reply(CodeLanguage::Sql, code, &around));
    }
    if is_refusal(&prose) {
        return Err(RepairError::Refusal(excerpt(
            &clean_prose(&prose),
            ERROR_EXCERPT_MAX_CHARS,
        )));
    }
    Err(RepairError::NoCode)
}

/// The earliest bare SQL statement in prose: (start, end, code) with byte offsets of the text to
/// remove (backticks included for inline spans).
fn find_bare_statement(prose: &str) -> Option<(usize, usize, String)> {
    let mut found: Option<(usize, usize, String)> = None;
    let mut consider = |start: usize, end: usize, code: &str| {
        if found.as_ref().is_none_or(|(s, _, _)| start < *s) {
            found = Some((start, end, code.trim().to_string()));
        }
    };
    // Inline code spans: `SELECT … FROM …`.
    let mut search = 0;
    while let Some(open) = prose[search..].find('`').map(|o| search + o) {
        let Some(close) = prose[open + 1..].find('`').map(|c| open + 1 + c) else {
            break;
        };
        let inner = prose[open + 1..close].trim();
        if plausible_statement(inner, true) {
            consider(open, close + 1, inner);
            break;
        }
        search = close + 1;
    }
    // Statements at a line start or after ": ".
    let mut offset = 0;
    'lines: for line in prose.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let body = line.trim_start();
        let marker_free = strip_list_marker(body);
        let mut starts = vec![line_start + (line.len() - marker_free.len())];
        starts.extend(line.match_indices(": ").map(|(i, _)| line_start + i + 2));
        for start in starts {
            let rest = &prose[start..];
            let end = start + statement_end(rest);
            if plausible_statement(&prose[start..end], false) {
                // A statement ended by a sentence takes its full stop with it.
                let removed_end = if prose[end..].starts_with('.') {
                    end + 1
                } else {
                    end
                };
                consider(start, removed_end, &prose[start..end]);
                break 'lines;
            }
        }
    }
    found
}

/// Length of the statement at the start of `rest`: through the first `;` outside quotes, or up
/// to a blank line, or up to a `. ` followed by a capital letter, or to the end.
fn statement_end(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b';' => return i + 1,
            None if b == b'.'
                && bytes.get(i + 1) == Some(&b' ')
                && bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase) =>
            {
                return i
            }
            None => {}
        }
        if b == b'\n' {
            let next_line = rest[i + 1..].split('\n').next().unwrap_or("");
            if next_line.trim().is_empty() {
                return i;
            }
        }
    }
    rest.len()
}

/// Whether `stmt` is clearly SQL (see the module documentation for the rule).
fn plausible_statement(stmt: &str, inline: bool) -> bool {
    let stmt = stmt.trim_end();
    if starts_with_keyword(stmt, "with") {
        return is_cte(stmt);
    }
    if !starts_with_keyword(stmt, "select") {
        return false;
    }
    let words: Vec<&str> = stmt
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let has_from = words.iter().any(|w| w.eq_ignore_ascii_case("from"));
    let ends_with_semicolon = stmt.ends_with(';');
    if inline {
        return has_from || ends_with_semicolon;
    }
    if stmt.starts_with("SELECT") {
        words.contains(&"FROM") || ends_with_semicolon
    } else {
        has_from && ends_with_semicolon
    }
}

/// `WITH [RECURSIVE] name [(cols)] AS (` at the start of `stmt`.
fn is_cte(stmt: &str) -> bool {
    let mut t = stmt[4..].trim_start();
    if starts_with_keyword(t, "recursive") {
        t = t[9..].trim_start();
    }
    let name_len = match t.chars().next() {
        Some(q @ ('"' | '`' | '[')) => {
            let close = if q == '[' { ']' } else { q };
            match t[1..].find(close) {
                Some(n) => n + 2,
                None => return false,
            }
        }
        _ => t
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum(),
    };
    if name_len == 0 {
        return false;
    }
    t = t[name_len..].trim_start();
    if t.starts_with('(') {
        match t.find(')') {
            Some(close) => t = t[close + 1..].trim_start(),
            None => return false,
        }
    }
    starts_with_keyword(t, "as") && t[2..].trim_start().starts_with('(')
}
