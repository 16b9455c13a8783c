//! Structured-output repair: turn whatever text an LLM sent back into a [`Reply`].
//!
//! Pure functions, no I/O. The model is asked for ONE JSON object
//! (`{"kind": "answer" | "clarify" | "out_of_scope", "language", "code", "explanation",
//! "chart_hint", "assumptions", "options", "reason"}`), but models misbehave: reasoning models
//! (Perplexity `sonar-reasoning-pro`, DeepSeek-R1 on Ollama) put a `<think>…</think>` block in
//! front, GPT-style models wrap the JSON in a ```` ```json ```` fence, local models write chatty
//! prose around a ```` ```sql ```` block, and truncated or hand-written "JSON" has single quotes,
//! trailing commas, comments, unquoted keys and Python literals.
//!
//! [`parse_reply`] is the entry point. It works in this order:
//! 1. Normalise: drop a byte-order mark, turn CRLF/CR line endings into LF, and remove reasoning
//!    blocks with [`strip_think`]. Nothing left → [`RepairError::Empty`].
//! 2. An HTML page (a proxy or gateway error instead of a model answer) →
//!    [`RepairError::ErrorPage`] with the page title.
//! 3. A JSON object recovered with the same rules as [`recover_json`] that has at least one reply
//!    field (`kind`, `code`, `sql`, `query`, `language`, `explanation`, `options`, `reason`,
//!    `chart_hint`, `assumptions`; or one wrapper key holding such an object) is the reply.
//!    Objects inside a fenced block tagged with a programming language (for example a dictionary in
//!    a ```` ```python ```` block) are not considered.
//! 4. Otherwise a fenced code block, and failing that a bare `SELECT …` / `WITH … AS (` statement
//!    in the prose, becomes a [`ReplyKind::Code`] reply; the surrounding prose, cleaned of markdown
//!    headings and list markers and shortened to about 300 characters, is the explanation.
//! 5. Otherwise the text is a refusal ([`RepairError::Refusal`]) if it reads like one ("I'm sorry",
//!    "I can't", …), else [`RepairError::NoCode`].
//!
//! Rules decided here (each has a test):
//! - **Several code blocks:** the first SQL block that starts with `SELECT`/`WITH` wins, then the
//!   first other SQL block, then the first Python block. SQL is preferred because it runs in the
//!   read-only executor without a sandbox; models that show several blocks usually show a schema
//!   (`CREATE TABLE`) or a pandas alternative next to the query. Blocks in other languages (bash,
//!   JSON, output tables) are ignored unless their content looks like SQL or Python.
//! - **Missing `language`:** taken from the code key (`sql`/`python`), then from the fence around
//!   the code, then guessed: SQL if the code starts with `SELECT` or `WITH` (after comments),
//!   Python if it looks like Python (imports, assignments, `df.`/`pd.`, `print(`, `def`, …), and SQL
//!   otherwise (the SQL guard then explains what is wrong with it). An explicit language other than
//!   SQL or Python is [`RepairError::UnsupportedLanguage`].
//! - **Missing `kind`:** `answer` if there is code, else `clarify` if there are options, else
//!   `out_of_scope` if there is a reason, else an answer without code (an error).
//! - **Kind spellings:** case, `_`, `-` and spaces are ignored (`Out-of-scope`, `outOfScope`);
//!   `clarification` means `clarify`; `code`, `sql` and `python` mean `answer` (the last two also
//!   give the language). Any other kind is [`RepairError::BadKind`].
//! - **Field names** are matched ignoring case, `_` and `-` (`chartHint`); `sql` and `query` are
//!   accepted in place of `code`.
//! - **`out_of_scope` without `reason`:** the explanation is the reason.
//! - **`clarify`:** options are trimmed, empty ones dropped, then the first three kept; a clarify
//!   reply with neither options nor explanation is [`RepairError::EmptyClarify`].
//! - **Truncated JSON** is closed where it stops; a cut-off `code` string is kept as it is (the
//!   SQL guard rejects a cut-off query with its own message), an unfinished key is dropped.
//! - **Bare SQL in prose** (no fence) is only taken when it is clearly a statement: an upper-case
//!   `SELECT` with an upper-case `FROM` or a closing `;`, a lower-case `select … from …;` ending in
//!   `;`, a `WITH name AS (` common table expression, or an inline `` `SELECT … FROM …` `` span;
//!   the statement starts at a line start or after `: `, and ends at `;` (kept), a blank line, or a
//!   `. ` followed by a capital letter. Prose such as "With this data…" or "Select the rows you
//!   need from…" is not mistaken for SQL.
//! - Code is trimmed; trailing semicolons are kept (the guard handles them); CRLF inside code
//!   becomes LF.

use serde_json::{Map, Value};

/// Longest explanation taken from prose around a code block, in characters.
const EXPLANATION_MAX_CHARS: usize = 300;
/// Longest piece of model output quoted in an error message, in characters.
const ERROR_EXCERPT_MAX_CHARS: usize = 200;
/// How many clarification options a [`ReplyKind::Clarify`] keeps.
const MAX_OPTIONS: usize = 3;
/// How many `{` positions [`recover_json`] tries before giving up (bounds the work on long text).
const MAX_OBJECT_STARTS: usize = 64;
/// Deepest nesting the lenient JSON parser follows.
const MAX_DEPTH: usize = 64;

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

/// A model reply, repaired into one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// What the model answered with: code to run, a clarifying question, or "out of scope".
    pub kind: ReplyKind,
    /// The model's plain-English explanation (may be empty).
    pub explanation: String,
    /// Suggested chart: one of `bar`, `line`, `pie`, `scatter`, `number`, `table` (lower case), or
    /// `None` when the model gave none or an unknown one.
    pub chart_hint: Option<String>,
    /// Assumptions the model says it made, trimmed, empty ones dropped.
    pub assumptions: Vec<String>,
}

/// The three kinds of reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyKind {
    /// Code that answers the question (`kind: "answer"`).
    Code {
        /// The language of `code`.
        language: CodeLanguage,
        /// The code, trimmed and unfenced; trailing semicolons are kept.
        code: String,
    },
    /// The question is ambiguous (`kind: "clarify"`); the explanation holds the question.
    Clarify {
        /// Up to three concrete rephrasings the person can pick from.
        options: Vec<String>,
    },
    /// The question cannot be answered from this data (`kind: "out_of_scope"`).
    OutOfScope {
        /// Why, in the model's words (the explanation when the model gave no reason).
        reason: String,
    },
}

/// The language of generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLanguage {
    /// SQL, run by the read-only executor after the guard.
    Sql,
    /// Python, run in a sandbox.
    Python,
}

/// Why a model reply could not be used. Messages are plain English for an error box and quote at
/// most about 200 characters of model output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairError {
    /// Nothing but whitespace (or only a reasoning block) came back.
    #[error("the AI returned an empty answer")]
    Empty,
    /// The answer had no SQL or Python in it.
    #[error("the AI's answer contained no SQL or Python to run")]
    NoCode,
    /// The model declined; holds a short excerpt of what it said.
    #[error("the AI declined to answer: \"{0}\"")]
    Refusal(String),
    /// The reply's `kind` was not answer, clarify or out_of_scope; holds the kind it gave.
    #[error("the AI's answer was of a type Plainsight doesn't know (\"{0}\")")]
    BadKind(String),
    /// The code was labelled with a language other than SQL or Python; holds that label.
    #[error("the AI wrote code in \"{0}\", which Plainsight can't run (only SQL and Python)")]
    UnsupportedLanguage(String),
    /// A clarifying reply with neither a question nor options.
    #[error("the AI asked for more detail but didn't say what it needs")]
    EmptyClarify,
    /// An HTML page (a gateway or proxy error) came back instead of an answer; holds its title.
    #[error("the AI service sent back an error page instead of an answer (\"{0}\")")]
    ErrorPage(String),
}

/// Parses a raw model reply into a [`Reply`], repairing what can be repaired (see the module
/// documentation for the order of attempts and the rules).
pub fn parse_reply(raw: &str) -> Result<Reply, RepairError> {
    let normalized = normalize(raw);
    let text = strip_think(&normalized);
    let text = text.trim();
    if text.is_empty() {
        return Err(RepairError::Empty);
    }
    if let Some(title) = html_error_page(text) {
        return Err(RepairError::ErrorPage(title));
    }
    // A reply sent as a JSON string holding the JSON object: decode once and start again.
    if text.starts_with('"') {
        if let Ok(Value::String(inner)) = serde_json::from_str::<Value>(text) {
            if inner.trim_start().starts_with('{') {
                return parse_reply(&inner);
            }
        }
    }
    let blocks = fenced_blocks(text);
    for found in recover_objects(text) {
        let in_code_block = blocks
            .iter()
            .any(|b| b.start <= found.start && found.end <= b.end && !is_json_tag(&b.tag));
        if in_code_block {
            continue;
        }
        if let Some(obj) = reply_object(&found.map) {
            return reply_from_object(obj);
        }
    }
    reply_from_prose(text, &blocks)
}

/// Removes reasoning blocks: `<think>…</think>`, `<thinking>…</thinking>` and
/// `<reasoning>…</reasoning>`, in any letter case.
///
/// An opening tag that is never closed hides the text up to the first `{` or code fence after it
/// (or to the end, when there is neither). A closing tag with no opening tag before it (some
/// servers drop the opening tag) hides everything before it.
pub fn strip_think(s: &str) -> String {
    ["think", "thinking", "reasoning"]
        .iter()
        .fold(s.to_string(), |acc, tag| strip_tag(&acc, tag))
}

/// When the whole text (ignoring surrounding whitespace) is one fenced code block, returns its
/// inside, trimmed; otherwise returns the text unchanged.
///
/// Fences are ```` ``` ```` or `~~~` (three or more), with or without a language tag; a one-line
/// ```` ```SELECT 1``` ```` also counts, and an unclosed fence runs to the end of the text.
pub fn strip_fences(s: &str) -> String {
    let t = s.trim();
    let blocks = fenced_blocks(t);
    match blocks.as_slice() {
        [only] if only.start == 0 && only.end == t.len() => only.body.clone(),
        _ => s.to_string(),
    }
}

/// Finds the first JSON object in `s` and parses it, repairing it when strict parsing fails.
///
/// Prose before and after is ignored, and so is a ```` ```json ```` fence around it. The object
/// runs from a `{` to its balanced `}` (braces inside strings do not count). If that text is not
/// strict JSON, a lenient parser accepts: trailing or missing commas, `//` and `/* */` comments
/// outside strings, single-quoted and “smart-quoted” strings and keys, unquoted keys and bare-word
/// values, Python's `True`/`False`/`None`, raw newlines and tabs inside strings, unescaped double
/// quotes inside a string when the quote is clearly not the end of it, and a truncated object (an
/// unfinished string, array or object is closed; an unfinished key is dropped). Returns `None` when
/// no `{` starts something object-like. Reasoning blocks are not removed here (see
/// [`strip_think`]).
pub fn recover_json(s: &str) -> Option<Value> {
    recover_objects(s)
        .into_iter()
        .next()
        .map(|found| Value::Object(found.map))
}

// ---------------------------------------------------------------------------------------------
// Normalising and reasoning blocks

/// Drops a byte-order mark and turns CRLF / CR line endings into LF.
fn normalize(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// Removes `<tag>…</tag>` blocks (ASCII case-insensitive) with the unclosed / orphan-close rules
/// of [`strip_think`].
fn strip_tag(s: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    // ASCII lower-casing keeps byte offsets, so positions in `lower` are positions in `s`.
    let lower = s.to_ascii_lowercase();
    let mut pos = 0;
    if let Some(c) = lower.find(&close) {
        if lower.find(&open).is_none_or(|o| c < o) {
            pos = c + close.len();
        }
    }
    let mut out = String::with_capacity(s.len());
    while let Some(rel) = lower[pos..].find(&open) {
        let at = pos + rel;
        out.push_str(&s[pos..at]);
        let after = at + open.len();
        pos = match lower[after..].find(&close) {
            Some(rc) => after + rc + close.len(),
            None => {
                let rest = &s[after..];
                [rest.find('{'), rest.find("```")]
                    .into_iter()
                    .flatten()
                    .min()
                    .map_or(s.len(), |cut| after + cut)
            }
        };
    }
    out.push_str(&s[pos..]);
    out
}

/// The title of an HTML page (or its first text) when `text` is an HTML document.
fn html_error_page(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let is_html = ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (lower.starts_with("<?xml") && lower.contains("<html"));
    if !is_html {
        return None;
    }
    let between = |open: &str, close: &str| -> Option<String> {
        let start = lower.find(open)?;
        let inner_start = start + lower[start..].find('>')? + 1;
        let end = inner_start + lower[inner_start..].find(close)?;
        let inner = strip_html_tags(&text[inner_start..end]);
        Some(inner).filter(|t| !t.is_empty())
    };
    let title = between("<title", "</title>")
        .or_else(|| between("<h1", "</h1>"))
        .unwrap_or_else(|| strip_html_tags(text));
    let title = if title.is_empty() {
        "no details".to_string()
    } else {
        title
    };
    Some(excerpt(&title, 120))
}

/// Text content of an HTML fragment: `<style>`/`<script>` bodies and tags removed, whitespace
/// collapsed. One pass forward (a hostile page of 100,000 `<script>` tags is as cheap as any
/// other page of its size).
fn strip_html_tags(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut text = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(open) = lower[pos..].find('<').map(|i| pos + i) {
        let body_of = ["style", "script"]
            .into_iter()
            .find(|tag| lower[open + 1..].starts_with(tag));
        let Some(tag) = body_of else {
            text.push_str(&html[pos..=open]);
            pos = open + 1;
            continue;
        };
        text.push_str(&html[pos..open]);
        text.push(' ');
        let close = format!("</{tag}>");
        pos = lower[open..]
            .find(&close)
            .map_or(html.len(), |e| open + e + close.len());
    }
    text.push_str(&html[pos..]);
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    collapse_ws(&out)
}

// ---------------------------------------------------------------------------------------------
// Fenced code blocks

/// One fenced block: byte range of the whole block (fence lines included) in the text it was
/// found in, its lower-cased language tag, and its body (dedented, trimmed).
#[derive(Debug, Clone)]
struct Fence {
    start: usize,
    end: usize,
    tag: String,
    body: String,
}

/// Language tags under which a JSON object can still be the reply.
fn is_json_tag(tag: &str) -> bool {
    matches!(
        tag,
        "" | "json" | "json5" | "jsonc" | "javascript" | "js" | "text" | "plaintext"
    )
}

/// A run of three or more backticks or tildes at the start of `s`: (character, length).
fn fence_run(s: &str) -> Option<(char, usize)> {
    let ch = s.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = s.chars().take_while(|c| *c == ch).count();
    (n >= 3).then_some((ch, n))
}

/// The first word of a fence info string, lower case, without `{}`/`.` decorations.
fn fence_tag(info: &str) -> String {
    info.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c == '{' || c == '}' || c == '.')
        .to_ascii_lowercase()
}

/// Every fenced block in `text`, in order. An unclosed fence runs to the end of the text; a
/// closing fence glued to the last code line (`SELECT 1;```) closes the block; a one-line
/// ```` ```code``` ```` is a block. Body lines are dedented by the opening fence's indentation.
fn fenced_blocks(text: &str) -> Vec<Fence> {
    struct Open {
        start: usize,
        indent: usize,
        ch: char,
        len: usize,
        tag: String,
        lines: Vec<String>,
    }
    fn finish(open: Open, end: usize) -> Fence {
        Fence {
            start: open.start,
            end,
            tag: open.tag,
            body: open.lines.join("\n").trim().to_string(),
        }
    }
    let mut blocks = Vec::new();
    let mut open: Option<Open> = None;
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches('\n');
        let line_end = line_start + line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                let Some((ch, len)) = fence_run(trimmed) else {
                    continue;
                };
                let info = &trimmed[len..];
                let fence: String = std::iter::repeat_n(ch, 3).collect();
                if let Some(close) = info.find(&fence) {
                    // One-line block: ```SELECT 1``` or ```sql SELECT 1```.
                    let inner = info[..close].trim();
                    let (tag, body) = match inner.split_once(char::is_whitespace) {
                        Some((first, rest)) if language_from_name(first).is_some() => {
                            (first.to_ascii_lowercase(), rest.trim())
                        }
                        _ => (String::new(), inner),
                    };
                    blocks.push(Fence {
                        start: line_start + indent,
                        end: line_end,
                        tag,
                        body: body.to_string(),
                    });
                    continue;
                }
                open = Some(Open {
                    start: line_start + indent,
                    indent,
                    ch,
                    len,
                    tag: fence_tag(info),
                    lines: Vec::new(),
                });
            }
            Some(mut cur) => {
                if fence_run(trimmed).is_some_and(|(ch, len)| {
                    ch == cur.ch && len >= cur.len && trimmed[len..].trim().is_empty()
                }) {
                    blocks.push(finish(cur, line_end));
                    continue;
                }
                let dedented = {
                    let strip = line
                        .chars()
                        .take(cur.indent)
                        .take_while(|c| *c == ' ')
                        .count();
                    &line[strip..]
                };
                let glued: String = std::iter::repeat_n(cur.ch, cur.len).collect();
                if let Some(code) = dedented.trim_end().strip_suffix(glued.as_str()) {
                    cur.lines.push(code.to_string());
                    blocks.push(finish(cur, line_end));
                    continue;
                }
                cur.lines.push(dedented.to_string());
                open = Some(cur);
            }
        }
    }
    if let Some(cur) = open {
        blocks.push(finish(cur, text.len()));
    }
    blocks
}

/// The text outside the given blocks, joined with newlines.
fn outside_blocks(text: &str, blocks: &[Fence]) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for b in blocks {
        out.push_str(&text[pos..b.start]);
        out.push('\n');
        pos = b.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// The code block to run, by the module's rule: first SQL block starting with SELECT/WITH, then
/// first SQL block, then first Python block. Returns (language, code, index).
fn choose_block(blocks: &[Fence]) -> Option<(CodeLanguage, String, usize)> {
    let classified: Vec<(usize, CodeLanguage)> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.body.is_empty())
        .filter_map(|(i, b)| {
            let lang = language_from_name(&b.tag).or_else(|| {
                if is_sql_start(&b.body) {
                    Some(CodeLanguage::Sql)
                } else if looks_like_python(&b.body) {
                    Some(CodeLanguage::Python)
                } else {
                    None
                }
            })?;
            Some((i, lang))
        })
        .collect();
    let pick = classified
        .iter()
        .find(|(i, l)| *l == CodeLanguage::Sql && is_sql_start(&blocks[*i].body))
        .or_else(|| classified.iter().find(|(_, l)| *l == CodeLanguage::Sql))
        .or_else(|| classified.iter().find(|(_, l)| *l == CodeLanguage::Python))?;
    Some((pick.1, blocks[pick.0].body.clone(), pick.0))
}

// ---------------------------------------------------------------------------------------------
// Languages

/// SQL or Python from a language name or fence tag (`sql`, `SQLite`, `postgresql`, `py`,
/// `python3`, `pandas`, …).
fn language_from_name(name: &str) -> Option<CodeLanguage> {
    let n = name.trim().to_ascii_lowercase();
    if n.contains("sql") || n == "postgres" {
        Some(CodeLanguage::Sql)
    } else if n.contains("python") || n == "py" || n == "py3" || n == "pandas" {
        Some(CodeLanguage::Python)
    } else {
        None
    }
}

/// Whether `s` starts with the word `kw` (ASCII case-insensitive, followed by a non-word char).
fn starts_with_keyword(s: &str, kw: &str) -> bool {
    s.get(..kw.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(kw))
        && !s[kw.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// `code` without leading whitespace, `--` line comments and `/* */` block comments.
fn skip_sql_comments(code: &str) -> &str {
    let mut s = code.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.find('\n').map_or("", |n| &rest[n + 1..]).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |n| &rest[n + 2..]).trim_start();
        } else {
            return s;
        }
    }
}

/// SQL if the code starts with SELECT or WITH after comments.
fn is_sql_start(code: &str) -> bool {
    let s = skip_sql_comments(code);
    starts_with_keyword(s, "select") || starts_with_keyword(s, "with")
}

/// Whether some line of `code` is typical Python: an import, a definition, a `print(`, a pandas
/// or numpy call, a block statement ending in `:`, or an assignment `name = …`.
fn looks_like_python(code: &str) -> bool {
    code.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| {
            let block_statement = ["for ", "if ", "with ", "while ", "try", "elif ", "else"]
                .iter()
                .any(|k| l.starts_with(k))
                && l.ends_with(':');
            l.starts_with("import ")
                || (l.starts_with("from ") && l.contains(" import "))
                || l.starts_with("def ")
                || l.starts_with("class ")
                || l.starts_with("print(")
                || ["pd.", "df.", "df[", "np.", "plt."]
                    .iter()
                    .any(|p| l.contains(p))
                || block_statement
                || is_python_assignment(l)
        })
}

/// `name = …`, `name[...] = …` or `a, b = …` (but not `==`).
fn is_python_assignment(line: &str) -> bool {
    let Some(eq) = line.find('=') else {
        return false;
    };
    let (target, rest) = (line[..eq].trim_end(), &line[eq + 1..]);
    if rest.starts_with('=') || target.is_empty() || target.ends_with(['!', '<', '>']) {
        return false;
    }
    let target = target.trim_end_matches(['+', '-', '*', '/']);
    let base = target.split('[').next().unwrap_or("");
    !base.is_empty()
        && base.split(',').all(|part| {
            let p = part.trim();
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        })
}

/// The language to assume for code without a label (see the module documentation).
fn guess_language(code: &str) -> CodeLanguage {
    if is_sql_start(code) {
        CodeLanguage::Sql
    } else if looks_like_python(code) {
        CodeLanguage::Python
    } else {
        CodeLanguage::Sql
    }
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// Whitespace runs collapsed to single spaces, trimmed.
fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` cut to at most `max` characters, at a word boundary when one is near, with `…` appended.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(p) if p >= cut.len() / 2 => &cut[..p],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end().trim_end_matches([',', ';', ':']))
}

/// Model output quoted in an error message: whitespace collapsed, at most `max` characters.
fn excerpt(s: &str, max: usize) -> String {
    shorten(&collapse_ws(s), max)
}

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
fn reply_object(map: &Map<String, Value>) -> Option<&Map<String, Value>> {
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
fn reply_from_object(map: &Map<String, Value>) -> Result<Reply, RepairError> {
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
fn reply_from_prose(text: &str, blocks: &[Fence]) -> Result<Reply, RepairError> {
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

// ---------------------------------------------------------------------------------------------
// JSON recovery

/// A recovered object and its byte range in the text.
struct FoundObject {
    map: Map<String, Value>,
    start: usize,
    end: usize,
}

/// Every object recoverable from `s`, in order (objects inside a recovered one are not listed
/// again).
fn recover_objects(s: &str) -> Vec<FoundObject> {
    let chars: Vec<char> = s.chars().collect();
    let byte_at: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let mut found = Vec::new();
    let mut k = 0;
    let mut tries = 0;
    while k < chars.len() && tries < MAX_OBJECT_STARTS {
        if chars[k] != '{' {
            k += 1;
            continue;
        }
        tries += 1;
        match parse_object_at(&chars, k) {
            Some((map, end)) => {
                found.push(FoundObject {
                    map,
                    start: byte_at[k],
                    end: byte_at[end],
                });
                k = end.max(k + 1);
            }
            None => k += 1,
        }
    }
    found
}

/// The object starting at `chars[start] == '{'`: strict JSON over the balanced braces first, the
/// lenient parser otherwise. Returns the object and the index just after it.
fn parse_object_at(chars: &[char], start: usize) -> Option<(Map<String, Value>, usize)> {
    if let Some(end) = balanced_end(chars, start) {
        let slice: String = chars[start..end].iter().collect();
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&slice) {
            return Some((map, end));
        }
    }
    let mut p = Lenient { c: chars, i: start };
    let map = p.object(0)?;
    Some((map, p.i))
}

/// Index just after the `}` matching `chars[start]`, counting braces outside double-quoted
/// strings.
fn balanced_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate().skip(start) {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where a string being read sits, which decides what may follow its closing quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Key,
    ObjectValue,
    ArrayValue,
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}'
    )
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '-'
}

/// A forgiving JSON reader over characters. Methods return `None` when the text is not
/// object-like at all, and close whatever is open when the text ends.
struct Lenient<'a> {
    c: &'a [char],
    i: usize,
}

impl Lenient<'_> {
    fn at(&self, k: usize) -> Option<char> {
        self.c.get(k).copied()
    }

    fn peek(&self) -> Option<char> {
        self.at(self.i)
    }

    /// Index of the first character at or after `k` that is not whitespace or a comment.
    fn skip_ws_from(&self, mut k: usize) -> usize {
        loop {
            match self.at(k) {
                Some(c) if c.is_whitespace() => k += 1,
                Some('/') if self.at(k + 1) == Some('/') => {
                    while self.at(k).is_some_and(|c| c != '\n') {
                        k += 1;
                    }
                }
                Some('/') if self.at(k + 1) == Some('*') => {
                    k += 2;
                    while self.at(k).is_some()
                        && !(self.at(k) == Some('*') && self.at(k + 1) == Some('/'))
                    {
                        k += 1;
                    }
                    k = (k + 2).min(self.c.len());
                }
                _ => return k,
            }
        }
    }

    fn skip_ws(&mut self) {
        self.i = self.skip_ws_from(self.i);
    }

    fn object(&mut self, depth: usize) -> Option<Map<String, Value>> {
        if depth > MAX_DEPTH || self.peek() != Some('{') {
            return None;
        }
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => return Some(map),
                Some('}') => {
                    self.i += 1;
                    return Some(map);
                }
                Some(',') => {
                    self.i += 1;
                    continue;
                }
                Some(q) if is_quote(q) => self.string(Ctx::Key),
                Some(c) if is_ident_char(c) => {
                    let start = self.i;
                    while self.peek().is_some_and(is_ident_char) {
                        self.i += 1;
                    }
                    self.c[start..self.i].iter().collect()
                }
                Some(_) => return None,
            };
            self.skip_ws();
            match self.peek() {
                None => return Some(map),
                Some(':') => self.i += 1,
                Some(_) => return None,
            }
            self.skip_ws();
            if self.peek().is_none() {
                return Some(map);
            }
            let value = self.value(Ctx::ObjectValue, depth)?;
            map.insert(key, value);
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Some(items),
                Some(']') => {
                    self.i += 1;
                    return Some(items);
                }
                // `["a", "b"}`: the array was never closed; let the object take its brace.
                Some('}') => return Some(items),
                Some(',') => self.i += 1,
                Some(_) => items.push(self.value(Ctx::ArrayValue, depth)?),
            }
        }
    }

    fn value(&mut self, ctx: Ctx, depth: usize) -> Option<Value> {
        match self.peek()? {
            '{' => self.object(depth + 1).map(Value::Object),
            '[' => self.array(depth + 1).map(Value::Array),
            q if is_quote(q) => Some(Value::String(self.string(ctx))),
            c if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => self.number(),
            c if c.is_alphabetic() || c == '_' => Some(self.word(ctx)),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.i += 1;
        }
        let text: String = self.c[start..self.i].iter().collect();
        let text = text.trim_start_matches('+');
        serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            })
            .map(Value::Number)
    }

    /// `true`/`True`, `false`/`False`, `null`/`None`/`undefined`/`NaN`/`Infinity`, or a bare word
    /// value read up to the next `,`, closing bracket or line end.
    fn word(&mut self, ctx: Ctx) -> Value {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.i += 1;
        }
        let word: String = self.c[start..self.i].iter().collect();
        match word.as_str() {
            "true" | "True" | "TRUE" => return Value::Bool(true),
            "false" | "False" | "FALSE" => return Value::Bool(false),
            "null" | "None" | "NULL" | "undefined" | "nil" | "NaN" | "Infinity" => {
                return Value::Null
            }
            _ => {}
        }
        let stop = |c: char| {
            c == ','
                || c == '\n'
                || (ctx == Ctx::ObjectValue && c == '}')
                || (ctx == Ctx::ArrayValue && c == ']')
        };
        while self.peek().is_some_and(|c| !stop(c)) {
            self.i += 1;
        }
        Value::String(
            self.c[start..self.i]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        )
    }

    /// A string opened by the quote at `self.i`. A closing quote only ends it when what follows
    /// fits `ctx` (see [`Lenient::ends_string`]); otherwise the quote is part of the text.
    fn string(&mut self, ctx: Ctx) -> String {
        let open = self.c[self.i];
        self.i += 1;
        let closers: &[char] = match open {
            '"' => &['"'],
            '\'' => &['\''],
            '\u{2018}' | '\u{2019}' => &['\u{2019}', '\u{2018}'],
            _ => &['\u{201d}', '\u{201c}', '"'],
        };
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == '\\' {
                self.escape(&mut out);
            } else if closers.contains(&c) && self.ends_string(self.i, ctx) {
                return out;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Decodes the escape after a backslash (already consumed) into `out`.
    fn escape(&mut self, out: &mut String) {
        let Some(c) = self.peek() else { return };
        self.i += 1;
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            '"' | '\\' | '/' | '\'' => out.push(c),
            'u' => match self.hex4(self.i) {
                Some(hi) => {
                    self.i += 4;
                    let is_high = (0xD800..0xDC00).contains(&hi);
                    let low = (is_high
                        && self.at(self.i) == Some('\\')
                        && self.at(self.i + 1) == Some('u'))
                    .then(|| self.hex4(self.i + 2))
                    .flatten()
                    .filter(|lo| (0xDC00..0xE000).contains(lo));
                    let code = match low {
                        Some(lo) => {
                            self.i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        None => hi,
                    };
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                None => out.push_str("\\u"),
            },
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }

    fn hex4(&self, k: usize) -> Option<u32> {
        let digits: String = self.c.get(k..k + 4)?.iter().collect();
        u32::from_str_radix(&digits, 16).ok()
    }

    /// Whether a quote just before index `k` really closes a string in `ctx`: what follows must
    /// be the end of the text, `:` after a key, the closing bracket, or a comma (or a missing
    /// comma) followed by the next key or value.
    fn ends_string(&self, k: usize, ctx: Ctx) -> bool {
        let k = self.skip_ws_from(k);
        match (self.at(k), ctx) {
            (None, _) => true,
            (Some(':'), Ctx::Key) => true,
            // `}` after an array item: the model forgot the `]` (`{"a": ["x", "y"}`).
            (Some('}'), Ctx::ObjectValue | Ctx::ArrayValue) | (Some(']'), Ctx::ArrayValue) => true,
            (Some(','), Ctx::ObjectValue) => self.key_follows(k + 1),
            (Some(','), Ctx::ArrayValue) => self.value_follows(k + 1),
            (Some(q), Ctx::ObjectValue) if is_quote(q) => self.key_follows(k),
            _ => false,
        }
    }

    /// Whether a key (quoted or bare, followed by `:`), a `}` or the end comes at or after `k`
    /// (a key cut off by the end of the text counts).
    fn key_follows(&self, k: usize) -> bool {
        let k = self.skip_ws_from(k);
        let after_key = match self.at(k) {
            None | Some('}') => return true,
            Some(q) if is_quote(q) => {
                let mut j = k + 1;
                while self.at(j).is_some_and(|c| !is_quote(c) && c != '\n') {
                    j += 1;
                }
                match self.at(j) {
                    // The text stops inside the next key: it was truncated there.
                    None => return true,
                    Some(c) if is_quote(c) => j + 1,
                    Some(_) => return false,
                }
            }
            Some(c) if is_ident_char(c) => {
                let mut j = k;
                while self.at(j).is_some_and(is_ident_char) {
                    j += 1;
                }
                j
            }
            Some(_) => return false,
        };
        matches!(self.at(self.skip_ws_from(after_key)), None | Some(':'))
    }

    /// Whether a value, a `]` or the end comes at or after `k`.
    fn value_follows(&self, k: usize) -> bool {
        match self.at(self.skip_ws_from(k)) {
            None => true,
            Some(c) => {
                c == ']' || c == '{' || c == '[' || c == '-' || is_quote(c) || c.is_alphanumeric()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code_reply(language: CodeLanguage, code: &str, explanation: &str) -> Reply {
        Reply {
            kind: ReplyKind::Code {
                language,
                code: code.to_string(),
            },
            explanation: explanation.to_string(),
            chart_hint: None,
            assumptions: Vec::new(),
        }
    }

    fn sql(code: &str, explanation: &str) -> Reply {
        code_reply(CodeLanguage::Sql, code, explanation)
    }

    fn py(code: &str, explanation: &str) -> Reply {
        code_reply(CodeLanguage::Python, code, explanation)
    }

    fn clarify(explanation: &str, options: &[&str]) -> Reply {
        Reply {
            kind: ReplyKind::Clarify {
                options: options.iter().map(ToString::to_string).collect(),
            },
            explanation: explanation.to_string(),
            chart_hint: None,
            assumptions: Vec::new(),
        }
    }

    fn out_of_scope(reason: &str, explanation: &str) -> Reply {
        Reply {
            kind: ReplyKind::OutOfScope {
                reason: reason.to_string(),
            },
            explanation: explanation.to_string(),
            chart_hint: None,
            assumptions: Vec::new(),
        }
    }

    impl Reply {
        fn chart(mut self, hint: &str) -> Self {
            self.chart_hint = Some(hint.to_string());
            self
        }

        fn assume(mut self, assumptions: &[&str]) -> Self {
            self.assumptions = assumptions.iter().map(ToString::to_string).collect();
            self
        }
    }

    type Want = Result<Reply, RepairError>;

    /// Realistic malformed model outputs and exactly what each must become.
    fn cases() -> Vec<(&'static str, String, Want)> {
        let long_sentence = "This query joins the invoice lines to the tracks and the genres, then adds up the unit price times the quantity for every genre, so that you can see which kinds of music bring in the most money.";
        let long_refusal = format!(
            "I'm sorry, but I cannot do that. {}",
            "Writing to the database is not allowed in this assistant, and every request has to stay strictly read-only. ".repeat(3)
        );
        vec![
            (
                "GPT-style pretty JSON in a ```json fence",
                r#"```json
{
  "kind": "answer",
  "language": "sql",
  "code": "SELECT c.country, SUM(i.total) AS revenue\nFROM invoices i\nJOIN customers c ON c.customer_id = i.customer_id\nGROUP BY c.country\nORDER BY revenue DESC\nLIMIT 5;",
  "explanation": "Adds up invoice totals per country and keeps the five largest.",
  "chart_hint": "bar",
  "assumptions": ["Revenue means the invoice total, taxes included"]
}
```"#
                .into(),
                Ok(sql(
                    "SELECT c.country, SUM(i.total) AS revenue\nFROM invoices i\nJOIN customers c ON c.customer_id = i.customer_id\nGROUP BY c.country\nORDER BY revenue DESC\nLIMIT 5;",
                    "Adds up invoice totals per country and keeps the five largest.",
                )
                .chart("bar")
                .assume(&["Revenue means the invoice total, taxes included"])),
            ),
            (
                "strict compact JSON",
                r#"{"kind":"answer","language":"sql","code":"SELECT COUNT(*) AS customers FROM customers","explanation":"Counts every customer.","chart_hint":"number","assumptions":[]}"#.into(),
                Ok(sql("SELECT COUNT(*) AS customers FROM customers", "Counts every customer.").chart("number")),
            ),
            (
                "sonar-reasoning-pro: <think> with braces, then JSON",
                r#"<think>
The user wants revenue by month. The invoices table has invoice_date and total, so I group by strftime('%Y-%m', invoice_date). The answer must be a JSON object like {"kind": "answer", ...}.
</think>
{"kind": "answer", "language": "sql", "code": "SELECT strftime('%Y-%m', invoice_date) AS month, SUM(total) AS revenue FROM invoices GROUP BY month ORDER BY month", "explanation": "Revenue for each month.", "chart_hint": "line", "assumptions": ["Dates are stored as ISO text"]}"#
                    .into(),
                Ok(sql(
                    "SELECT strftime('%Y-%m', invoice_date) AS month, SUM(total) AS revenue FROM invoices GROUP BY month ORDER BY month",
                    "Revenue for each month.",
                )
                .chart("line")
                .assume(&["Dates are stored as ISO text"])),
            ),
            (
                "<THINK> in capitals, then fenced JSON",
                "<THINK>\nLet me check the schema first.\n</THINK>\n\n```json\n{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT name FROM artists ORDER BY name LIMIT 10\", \"explanation\": \"First ten artists alphabetically.\", \"chart_hint\": \"table\", \"assumptions\": []}\n```".into(),
                Ok(sql("SELECT name FROM artists ORDER BY name LIMIT 10", "First ten artists alphabetically.").chart("table")),
            ),
            (
                "unclosed <think> running into the JSON",
                "<think>\nOkay, the user asks how many tracks there are. A simple count over tracks.\n{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT COUNT(*) FROM tracks\", \"explanation\": \"Counts tracks.\", \"chart_hint\": \"number\", \"assumptions\": []}".into(),
                Ok(sql("SELECT COUNT(*) FROM tracks", "Counts tracks.").chart("number")),
            ),
            (
                "DeepSeek-R1 on Ollama: reasoning with no opening tag, then </think>",
                "Okay, so the user wants the top genres. I need tracks joined to genres on {genre_id}.\n</think>\n\n{\"kind\":\"answer\",\"language\":\"sql\",\"code\":\"SELECT g.name, COUNT(*) AS tracks FROM tracks t JOIN genres g ON g.genre_id = t.genre_id GROUP BY g.name ORDER BY tracks DESC LIMIT 5\",\"explanation\":\"The five genres with the most tracks.\",\"chart_hint\":\"bar\",\"assumptions\":[]}".into(),
                Ok(sql(
                    "SELECT g.name, COUNT(*) AS tracks FROM tracks t JOIN genres g ON g.genre_id = t.genre_id GROUP BY g.name ORDER BY tracks DESC LIMIT 5",
                    "The five genres with the most tracks.",
                )
                .chart("bar")),
            ),
            (
                "<reasoning> block glued to the JSON",
                r#"<reasoning>Albums per artist needs a GROUP BY on artist_id.</reasoning>{"kind":"answer","language":"sql","code":"SELECT artist_id, COUNT(*) AS albums FROM albums GROUP BY artist_id","explanation":"Albums per artist."}"#.into(),
                Ok(sql("SELECT artist_id, COUNT(*) AS albums FROM albums GROUP BY artist_id", "Albums per artist.")),
            ),
            (
                "Llama chatty prose around a ```sql block",
                "Sure! Here's a SQL query that will give you the total number of customers in each country:\n\n```sql\nSELECT Country, COUNT(*) AS NumCustomers\nFROM Customers\nGROUP BY Country\nORDER BY NumCustomers DESC;\n```\n\nThis query groups the customers by country and counts how many there are in each one. Let me know if you need anything else!".into(),
                Ok(sql(
                    "SELECT Country, COUNT(*) AS NumCustomers\nFROM Customers\nGROUP BY Country\nORDER BY NumCustomers DESC;",
                    "Sure! Here's a SQL query that will give you the total number of customers in each country: This query groups the customers by country and counts how many there are in each one. Let me know if you need anything else!",
                )),
            ),
            (
                "```SQL tag in capitals, lower-case SQL",
                "Here is the query:\n```SQL\nselect genre, count(*) as tracks from tracks group by genre\n```".into(),
                Ok(sql("select genre, count(*) as tracks from tracks group by genre", "Here is the query:")),
            ),
            (
                "```python block with pandas",
                "You can do this with pandas:\n\n```python\nimport pandas as pd\n\ndf = pd.read_sql(\"SELECT total, invoice_date FROM invoices\", conn)\nprint(df[\"total\"].describe())\n```\n\nThis prints summary statistics of invoice totals.".into(),
                Ok(py(
                    "import pandas as pd\n\ndf = pd.read_sql(\"SELECT total, invoice_date FROM invoices\", conn)\nprint(df[\"total\"].describe())",
                    "You can do this with pandas: This prints summary statistics of invoice totals.",
                )),
            ),
            ("```py tag, nothing else", "```py\ntotal = df['total'].sum()\nprint(total)\n```".into(), Ok(py("total = df['total'].sum()\nprint(total)", ""))),
            (
                "bare ``` fence holding SQL",
                "```\nSELECT AVG(milliseconds) / 1000.0 AS avg_seconds FROM tracks\n```\nAverage track length in seconds.".into(),
                Ok(sql("SELECT AVG(milliseconds) / 1000.0 AS avg_seconds FROM tracks", "Average track length in seconds.")),
            ),
            (
                "bare ``` fence holding Python",
                "```\nimport matplotlib.pyplot as plt\nplt.bar(df['country'], df['revenue'])\n```".into(),
                Ok(py("import matplotlib.pyplot as plt\nplt.bar(df['country'], df['revenue'])", "")),
            ),
            (
                "~~~ fence",
                "~~~sql\nSELECT 1 AS one\n~~~".into(),
                Ok(sql("SELECT 1 AS one", "")),
            ),
            (
                "closing fence glued to the last line",
                "```sql\nSELECT * FROM media_types;```".into(),
                Ok(sql("SELECT * FROM media_types;", "")),
            ),
            (
                "Python dict with single quotes and None",
                r#"{'kind': 'answer', 'language': 'sql', 'code': 'SELECT name FROM artists ORDER BY name', 'explanation': 'Lists every artist alphabetically.', 'chart_hint': None, 'assumptions': []}"#.into(),
                Ok(sql("SELECT name FROM artists ORDER BY name", "Lists every artist alphabetically.")),
            ),
            (
                "Python repr: mixed quotes, O''Brien, \\' escape, True",
                r#"{'kind': 'answer', 'language': 'sql', 'code': "SELECT first_name FROM customers WHERE last_name = 'O''Brien'", 'explanation': 'Finds the O\'Brien family.', 'chart_hint': 'table', 'assumptions': [], 'confident': True}"#.into(),
                Ok(sql("SELECT first_name FROM customers WHERE last_name = 'O''Brien'", "Finds the O'Brien family.").chart("table")),
            ),
            (
                "single-quoted strings holding double quotes",
                r#"{'kind': 'answer', 'code': 'SELECT "First Name", "Last Name" FROM "Customer List"', 'explanation': 'Uses the quoted column names.'}"#.into(),
                Ok(sql(r#"SELECT "First Name", "Last Name" FROM "Customer List""#, "Uses the quoted column names.")),
            ),
            (
                "trailing commas",
                r#"{"kind": "answer", "language": "sql", "code": "SELECT COUNT(*) FROM tracks", "explanation": "Counts tracks.", "assumptions": ["Every row is one track",],}"#.into(),
                Ok(sql("SELECT COUNT(*) FROM tracks", "Counts tracks.").assume(&["Every row is one track"])),
            ),
            (
                "// and /* */ comments, with // and -- inside strings",
                r#"{
  // what kind of reply this is
  "kind": "answer",
  "language": "sql", /* SQLite dialect */
  "code": "-- newest first\nSELECT title FROM albums ORDER BY album_id DESC LIMIT 5",
  "explanation": "See https://www.sqlite.org/lang_select.html for ORDER BY.",
  "chart_hint": null // no chart
}"#
                .into(),
                Ok(sql("-- newest first\nSELECT title FROM albums ORDER BY album_id DESC LIMIT 5", "See https://www.sqlite.org/lang_select.html for ORDER BY.")),
            ),
            (
                "unquoted keys",
                r#"{kind: "answer", language: "sql", code: "SELECT genre, SUM(unit_price) AS sales FROM invoice_lines GROUP BY genre", explanation: "Sales per genre.", chart_hint: "pie"}"#.into(),
                Ok(sql("SELECT genre, SUM(unit_price) AS sales FROM invoice_lines GROUP BY genre", "Sales per genre.").chart("pie")),
            ),
            (
                "truncated inside the explanation (finish_reason=length)",
                r#"{"kind": "answer", "language": "sql", "code": "SELECT genre, COUNT(*) AS tracks FROM tracks GROUP BY genre", "explanation": "Counts the tracks in each genre and "#.into(),
                Ok(sql("SELECT genre, COUNT(*) AS tracks FROM tracks GROUP BY genre", "Counts the tracks in each genre and")),
            ),
            (
                "truncated inside a key",
                r#"{"kind":"answer","language":"sql","code":"SELECT 1 AS one","expla"#.into(),
                Ok(sql("SELECT 1 AS one", "")),
            ),
            (
                "truncated inside the code, in an unclosed ```json fence",
                "```json\n{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT name FROM artists WHERE name LIKE 'A%' ORDER BY".into(),
                Ok(sql("SELECT name FROM artists WHERE name LIKE 'A%' ORDER BY", "")),
            ),
            (
                "code with strftime, O''Brien and escaped newlines",
                r#"{"kind":"answer","language":"sql","code":"SELECT strftime('%Y-%m', invoice_date) AS month,\n       SUM(total) AS revenue\nFROM invoices\nWHERE billing_city <> 'O''Brien'\nGROUP BY month","explanation":"Monthly revenue.","chart_hint":"line","assumptions":[]}"#.into(),
                Ok(sql(
                    "SELECT strftime('%Y-%m', invoice_date) AS month,\n       SUM(total) AS revenue\nFROM invoices\nWHERE billing_city <> 'O''Brien'\nGROUP BY month",
                    "Monthly revenue.",
                )
                .chart("line")),
            ),
            (
                "raw newlines and tabs inside strings",
                "{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT name,\n\tmilliseconds / 60000.0 AS minutes\nFROM tracks\nORDER BY minutes DESC\nLIMIT 10\", \"explanation\": \"The ten longest tracks,\nin minutes.\"}".into(),
                Ok(sql("SELECT name,\n\tmilliseconds / 60000.0 AS minutes\nFROM tracks\nORDER BY minutes DESC\nLIMIT 10", "The ten longest tracks,\nin minutes.")),
            ),
            (
                "Python code with braces and f-string inside JSON",
                r#"{"kind": "answer", "language": "python", "code": "import pandas as pd\ntotals = df.groupby('country').agg({'total': 'sum'})\nprint(f\"{totals['total'].sum():,.2f}\")", "explanation": "Totals per country, then the grand total.", "chart_hint": "bar", "assumptions": []}"#.into(),
                Ok(py(
                    "import pandas as pd\ntotals = df.groupby('country').agg({'total': 'sum'})\nprint(f\"{totals['total'].sum():,.2f}\")",
                    "Totals per country, then the grand total.",
                )
                .chart("bar")),
            ),
            (
                "nested escaped quotes",
                r#"{"kind":"answer","language":"sql","code":"SELECT \"Name\" FROM \"Artist\" WHERE \"Name\" LIKE '%\\\"Live\\\"%'","explanation":"Artists with \"Live\" in quotes in their name."}"#.into(),
                Ok(sql(r#"SELECT "Name" FROM "Artist" WHERE "Name" LIKE '%\"Live\"%'"#, "Artists with \"Live\" in quotes in their name.")),
            ),
            (
                "unescaped double quotes inside the code string",
                r#"{"kind": "answer", "language": "sql", "code": "SELECT "Name", "Composer" FROM "Track" LIMIT 10", "explanation": "First ten tracks with their composers."}"#.into(),
                Ok(sql(r#"SELECT "Name", "Composer" FROM "Track" LIMIT 10"#, "First ten tracks with their composers.")),
            ),
            (
                "CRLF line endings and \\r\\n escapes in code",
                "{\r\n  \"kind\": \"answer\",\r\n  \"language\": \"sql\",\r\n  \"code\": \"SELECT country,\\r\\n       COUNT(*) AS customers\\r\\nFROM customers\\r\\nGROUP BY country\",\r\n  \"explanation\": \"Customers per country.\",\r\n  \"chart_hint\": \"bar\"\r\n}\r\n".into(),
                Ok(sql("SELECT country,\n       COUNT(*) AS customers\nFROM customers\nGROUP BY country", "Customers per country.").chart("bar")),
            ),
            (
                "CRLF prose around a ```sql block",
                "Here you go:\r\n\r\n```sql\r\nSELECT * FROM genres;\r\n```\r\n".into(),
                Ok(sql("SELECT * FROM genres;", "Here you go:")),
            ),
            (
                "byte-order mark before the JSON",
                "\u{feff}{\"kind\":\"answer\",\"language\":\"sql\",\"code\":\"SELECT COUNT(*) FROM invoices\",\"explanation\":\"Counts invoices.\"}".into(),
                Ok(sql("SELECT COUNT(*) FROM invoices", "Counts invoices.")),
            ),
            (
                "markdown headings, bold and a bullet list around the block",
                "## SQL Query\n\n```sql\nSELECT name, milliseconds\nFROM tracks\nORDER BY milliseconds DESC\nLIMIT 10;\n```\n\n## Explanation\n\nThis query returns the **ten longest** tracks.\n\n### Assumptions\n- Duration is stored in milliseconds.\n".into(),
                Ok(sql(
                    "SELECT name, milliseconds\nFROM tracks\nORDER BY milliseconds DESC\nLIMIT 10;",
                    "This query returns the ten longest tracks. Duration is stored in milliseconds.",
                )),
            ),
            (
                "several blocks: schema, query, pandas alternative -> the SELECT block",
                "Assuming this schema:\n\n```sql\nCREATE TABLE invoices (invoice_id INTEGER, total REAL);\n```\n\nThe query is:\n\n```sql\nSELECT SUM(total) AS revenue FROM invoices;\n```\n\nOr with pandas:\n\n```python\nprint(df['total'].sum())\n```".into(),
                Ok(sql("SELECT SUM(total) AS revenue FROM invoices;", "Assuming this schema: The query is: Or with pandas:")),
            ),
            (
                "several blocks: Python first, SQL second -> SQL",
                "```python\ndf = pd.read_sql('SELECT * FROM albums', conn)\n```\n\nOr directly in SQL:\n\n```sql\nSELECT COUNT(*) FROM albums\n```".into(),
                Ok(sql("SELECT COUNT(*) FROM albums", "Or directly in SQL:")),
            ),
            (
                "several blocks: bash and output blocks ignored",
                "Run it with the CLI:\n\n```bash\nsqlite3 chinook.db < query.sql\n```\n\nwhere query.sql is:\n\n```sql\nSELECT COUNT(*) FROM artists;\n```\n\nOutput:\n\n```text\n275\n```".into(),
                Ok(sql("SELECT COUNT(*) FROM artists;", "Run it with the CLI: where query.sql is: Output:")),
            ),
            (
                "numbered list with an indented fence",
                "1. First, run this query:\n\n   ```sql\n   SELECT country, COUNT(*)\n   FROM customers\n   GROUP BY country\n   ```\n2. Then draw a bar chart of the result.".into(),
                Ok(sql("SELECT country, COUNT(*)\nFROM customers\nGROUP BY country", "First, run this query: Then draw a bar chart of the result.")),
            ),
            (
                "unclosed ```sql fence (truncated)",
                "Here's the query:\n\n```sql\nSELECT name FROM artists\nORDER BY name".into(),
                Ok(sql("SELECT name FROM artists\nORDER BY name", "Here's the query:")),
            ),
            (
                "Perplexity without JSON: <think> then prose and a ```sql block",
                "<think>The question is about employees.</think>\n\nHere is the query:\n```sql\nSELECT first_name, last_name FROM employees\n```".into(),
                Ok(sql("SELECT first_name, last_name FROM employees", "Here is the query:")),
            ),
            (
                "clarify: empty option dropped, options trimmed and capped at three",
                r#"{"kind": "clarify", "explanation": "What do you mean by best customers?", "options": ["", "Top 5 customers by total spend", "Top 5 customers by number of invoices", "  Top 5 customers by spend this year  ", "Customers who bought every genre"], "chart_hint": null, "assumptions": []}"#.into(),
                Ok(clarify(
                    "What do you mean by best customers?",
                    &["Top 5 customers by total spend", "Top 5 customers by number of invoices", "Top 5 customers by spend this year"],
                )),
            ),
            (
                "clarify inferred from options when kind is missing",
                r#"{"explanation": "Which year?", "options": ["Sales in 2024", "Sales in 2025"]}"#.into(),
                Ok(clarify("Which year?", &["Sales in 2024", "Sales in 2025"])),
            ),
            (
                "clarify with nothing to ask",
                r#"{"kind": "clarify", "options": []}"#.into(),
                Err(RepairError::EmptyClarify),
            ),
            (
                "out_of_scope with a reason",
                r#"{"kind": "out_of_scope", "reason": "The data has no weather information.", "explanation": "I can only answer questions about the music store data.", "chart_hint": null}"#.into(),
                Ok(out_of_scope("The data has no weather information.", "I can only answer questions about the music store data.")),
            ),
            (
                "Out-Of-Scope spelling, reason missing -> explanation",
                r#"{"kind": "Out-Of-Scope", "explanation": "Stock prices are not in this database."}"#.into(),
                Ok(out_of_scope("Stock prices are not in this database.", "Stock prices are not in this database.")),
            ),
            (
                "refusal in prose",
                "I'm sorry, but I can't help with deleting customer records. I can only write queries that read data.".into(),
                Err(RepairError::Refusal("I'm sorry, but I can't help with deleting customer records. I can only write queries that read data.".into())),
            ),
            (
                "refusal as a JSON answer with empty code and curly apostrophes",
                r#"{"kind": "answer", "language": "sql", "code": "", "explanation": "I’m sorry, I can’t assist with that request."}"#.into(),
                Err(RepairError::Refusal("I’m sorry, I can’t assist with that request.".into())),
            ),
            (
                "long refusal: excerpt capped at 200 characters",
                long_refusal,
                Err(RepairError::Refusal(
                    "I'm sorry, but I cannot do that. Writing to the database is not allowed in this assistant, and every request has to stay strictly read-only. Writing to the database is not allowed in this assistant…".into(),
                )),
            ),
            ("empty", String::new(), Err(RepairError::Empty)),
            ("whitespace only", "  \n\t \r\n".into(), Err(RepairError::Empty)),
            ("only a <think> block", "<think>\nThe user asked about revenue. I should look at invoices.\n</think>\n".into(), Err(RepairError::Empty)),
            ("only an unclosed <think>", "<think>\nLet me look at the schema. The invoices table has".into(), Err(RepairError::Empty)),
            (
                "openresty 502 page",
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n".into(),
                Err(RepairError::ErrorPage("502 Bad Gateway".into())),
            ),
            (
                "Cloudflare challenge page with CSS braces",
                "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>Just a moment...</title>\n<style>body{margin:0}</style>\n</head>\n<body><h1>Checking your browser</h1></body>\n</html>".into(),
                Err(RepairError::ErrorPage("Just a moment...".into())),
            ),
            (
                "bare SELECT after a colon in prose",
                "You can use the following query: SELECT name, milliseconds FROM tracks ORDER BY milliseconds DESC LIMIT 10; This lists the ten longest tracks.".into(),
                Ok(sql("SELECT name, milliseconds FROM tracks ORDER BY milliseconds DESC LIMIT 10;", "You can use the following query: This lists the ten longest tracks.")),
            ),
            (
                "bare WITH … AS ( statement on its own lines",
                "To compare each month with the one before:\n\nWITH monthly AS (\n  SELECT strftime('%Y-%m', invoice_date) AS month, SUM(total) AS revenue\n  FROM invoices\n  GROUP BY month\n)\nSELECT month, revenue, revenue - LAG(revenue) OVER (ORDER BY month) AS change\nFROM monthly\n\nThe change column is empty for the first month.".into(),
                Ok(sql(
                    "WITH monthly AS (\n  SELECT strftime('%Y-%m', invoice_date) AS month, SUM(total) AS revenue\n  FROM invoices\n  GROUP BY month\n)\nSELECT month, revenue, revenue - LAG(revenue) OVER (ORDER BY month) AS change\nFROM monthly",
                    "To compare each month with the one before: The change column is empty for the first month.",
                )),
            ),
            (
                "bare SELECT ended by a sentence",
                "Try this:\nSELECT title FROM albums WHERE artist_id = 22. It lists Led Zeppelin's albums.".into(),
                Ok(sql("SELECT title FROM albums WHERE artist_id = 22", "Try this: It lists Led Zeppelin's albums.")),
            ),
            (
                "inline `SELECT …` span",
                "Run `SELECT COUNT(*) FROM customers WHERE country = 'Brazil'` to count the Brazilian customers.".into(),
                Ok(sql("SELECT COUNT(*) FROM customers WHERE country = 'Brazil'", "Run to count the Brazilian customers.")),
            ),
            (
                "prose starting with 'With' is not SQL",
                "With the data you have, it is not possible to tell which products are profitable. Could you tell me which table holds the costs?".into(),
                Err(RepairError::NoCode),
            ),
            ("prose 'Select … from' is not SQL", "Select the table you want from the list on the left, then ask again.".into(), Err(RepairError::NoCode)),
            ("chit-chat with no code", "Hello! How can I help you with your data today?".into(), Err(RepairError::NoCode)),
            (
                "answer without code that is not a refusal",
                r#"{"kind": "answer", "explanation": "Here are the results."}"#.into(),
                Err(RepairError::NoCode),
            ),
            ("unknown kind", r#"{"kind": "error", "explanation": "Something went wrong on my side."}"#.into(), Err(RepairError::BadKind("error".into()))),
            (
                "unsupported language",
                r#"{"kind": "answer", "language": "javascript", "code": "db.invoices.find({total: {$gt: 10}})", "explanation": "MongoDB query."}"#.into(),
                Err(RepairError::UnsupportedLanguage("javascript".into())),
            ),
            (
                "kind missing, code present -> answer, SQL guessed",
                r#"{"code": "SELECT title FROM albums WHERE artist_id = 1", "explanation": "Albums by the first artist."}"#.into(),
                Ok(sql("SELECT title FROM albums WHERE artist_id = 1", "Albums by the first artist.")),
            ),
            (
                "language missing, Python guessed past a # comment",
                r##"{"kind": "answer", "code": "# revenue per year\nyearly = df.groupby(df['invoice_date'].str[:4])['total'].sum()\nprint(yearly)", "explanation": "Revenue per year.", "chart_hint": "line"}""##.into(),
                Ok(py("# revenue per year\nyearly = df.groupby(df['invoice_date'].str[:4])['total'].sum()\nprint(yearly)", "Revenue per year.").chart("line")),
            ),
            (
                "language missing, SQL guessed past a -- comment",
                r#"{"code": "-- top artists by albums\nSELECT artist_id, COUNT(*) FROM albums GROUP BY artist_id", "chart_hint": "bar"}"#.into(),
                Ok(sql("-- top artists by albums\nSELECT artist_id, COUNT(*) FROM albums GROUP BY artist_id", "").chart("bar")),
            ),
            (
                "code wrapped in a fence inside the JSON",
                r#"{"kind": "answer", "language": "sql", "code": "```sql\nSELECT COUNT(*) FROM playlists\n```", "explanation": "Counts playlists."}"#.into(),
                Ok(sql("SELECT COUNT(*) FROM playlists", "Counts playlists.")),
            ),
            (
                "fence tag inside the code gives the language",
                r#"{"kind": "answer", "code": "```py\nconn.execute('SELECT 1')\n```"}"#.into(),
                Ok(py("conn.execute('SELECT 1')", "")),
            ),
            (
                "unknown chart hint -> None",
                r#"{"kind": "answer", "language": "sql", "code": "SELECT total FROM invoices", "chart_hint": "Histogram"}"#.into(),
                Ok(sql("SELECT total FROM invoices", "")),
            ),
            (
                "chart hint in capitals with spaces",
                r#"{"kind": "answer", "language": "SQLite", "code": "SELECT invoice_date, total FROM invoices", "chartHint": " LINE "}"#.into(),
                Ok(sql("SELECT invoice_date, total FROM invoices", "").chart("line")),
            ),
            (
                "smart quotes around keys and values",
                "{“kind”: “answer”, “language”: “sql”, “code”: “SELECT COUNT(*) FROM albums”, “explanation”: “Counts albums.”}".into(),
                Ok(sql("SELECT COUNT(*) FROM albums", "Counts albums.")),
            ),
            (
                "Python literals True/False/None and extra fields",
                r#"{"kind": "answer", "language": "sql", "code": "SELECT 1 AS ok", "chart_hint": None, "assumptions": [], "needs_review": False, "safe": True}"#.into(),
                Ok(sql("SELECT 1 AS ok", "")),
            ),
            (
                "prose before and after the JSON",
                "Here is my answer:\n\n{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT MAX(total) FROM invoices\", \"explanation\": \"The largest invoice.\", \"chart_hint\": \"number\"}\n\nHope this helps!".into(),
                Ok(sql("SELECT MAX(total) FROM invoices", "The largest invoice.").chart("number")),
            ),
            (
                "missing commas between pairs",
                "{\n  \"kind\": \"answer\"\n  \"language\": \"sql\"\n  \"code\": \"SELECT COUNT(*) FROM employees\"\n  \"explanation\": \"Counts employees.\"\n}".into(),
                Ok(sql("SELECT COUNT(*) FROM employees", "Counts employees.")),
            ),
            (
                "`sql` key instead of `code`",
                r#"{"sql": "SELECT COUNT(DISTINCT country) FROM customers", "explanation": "Number of countries with customers."}"#.into(),
                Ok(sql("SELECT COUNT(DISTINCT country) FROM customers", "Number of countries with customers.")),
            ),
            (
                "reply wrapped under one key",
                r#"{"response": {"kind": "answer", "language": "sql", "code": "SELECT 1", "explanation": "One."}}"#.into(),
                Ok(sql("SELECT 1", "One.")),
            ),
            (
                "reply sent as a JSON-encoded string",
                r#""{\"kind\":\"answer\",\"language\":\"sql\",\"code\":\"SELECT 42 AS answer\"}""#.into(),
                Ok(sql("SELECT 42 AS answer", "")),
            ),
            (
                "an earlier non-reply object is skipped",
                "Tables I will use: {\"tables\": [\"invoices\", \"customers\"]}\n\n{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT COUNT(*) FROM invoices\", \"explanation\": \"Counts invoices.\"}".into(),
                Ok(sql("SELECT COUNT(*) FROM invoices", "Counts invoices.")),
            ),
            (
                "a dict inside a ```python block is not the reply",
                "```python\nrenamed = df.rename(columns={'code': 'product_code'})\nprint(renamed.head())\n```".into(),
                Ok(py("renamed = df.rename(columns={'code': 'product_code'})\nprint(renamed.head())", "")),
            ),
            (
                "long prose shortened to about 300 characters",
                format!(
                    "Sure! {long_sentence} {long_sentence}\n\n```sql\nSELECT g.name, SUM(il.unit_price * il.quantity) AS sales FROM invoice_lines il JOIN tracks t USING (track_id) JOIN genres g USING (genre_id) GROUP BY g.name\n```"
                ),
                Ok(sql(
                    "SELECT g.name, SUM(il.unit_price * il.quantity) AS sales FROM invoice_lines il JOIN tracks t USING (track_id) JOIN genres g USING (genre_id) GROUP BY g.name",
                    "Sure! This query joins the invoice lines to the tracks and the genres, then adds up the unit price times the quantity for every genre, so that you can see which kinds of music bring in the most money. This query joins the invoice lines to the tracks and the genres, then adds up the unit price…",
                )),
            ),
        ]
    }

    #[test]
    fn malformed_outputs_are_repaired_or_rejected_exactly() {
        let cases = cases();
        assert!(cases.len() >= 40, "only {} cases", cases.len());
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(name, raw, want)| {
                let got = parse_reply(raw);
                (&got != want).then(|| {
                    format!("{name}\n  input: {raw:?}\n  want:  {want:?}\n  got:   {got:?}")
                })
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn truncation_at_any_point_never_panics() {
        for (_, raw, _) in cases() {
            for (cut, _) in raw.char_indices() {
                let prefix = &raw[..cut];
                let _ = parse_reply(prefix);
                let _ = recover_json(prefix);
                let _ = strip_fences(prefix);
            }
        }
    }

    #[test]
    fn case_names_are_unique() {
        let cases = cases();
        let mut names: Vec<&str> = cases.iter().map(|(n, _, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len());
    }

    #[test]
    fn error_messages_are_plain_and_short() {
        let long = "x".repeat(5000);
        let errors = [
            parse_reply("").unwrap_err(),
            parse_reply("Hello there").unwrap_err(),
            parse_reply(&format!("I'm sorry, I can't. {long}")).unwrap_err(),
            parse_reply(&format!(r#"{{"kind": "{long}"}}"#)).unwrap_err(),
            parse_reply(&format!(
                r#"{{"kind": "answer", "language": "{long}", "code": "x"}}"#
            ))
            .unwrap_err(),
            parse_reply(&format!("<html><head><title>{long}</title></head></html>")).unwrap_err(),
            parse_reply(r#"{"kind": "clarify"}"#).unwrap_err(),
        ];
        for e in &errors {
            let msg = e.to_string();
            assert!(msg.starts_with("the AI"), "{msg}");
            assert!(
                msg.chars().count() <= 300,
                "{} chars: {msg}",
                msg.chars().count()
            );
        }
        assert_eq!(errors[0].to_string(), "the AI returned an empty answer");
        assert_eq!(
            errors[1].to_string(),
            "the AI's answer contained no SQL or Python to run"
        );
        assert_eq!(
            RepairError::BadKind("error".into()).to_string(),
            "the AI's answer was of a type Plainsight doesn't know (\"error\")"
        );
        assert_eq!(
            RepairError::Refusal("No.".into()).to_string(),
            "the AI declined to answer: \"No.\""
        );
    }

    /// A 2 MB error page of script and style blocks (each removal used to re-read the whole page)
    /// is stripped in one pass: this finishes at once, where it took 43 s before.
    #[test]
    fn hostile_error_pages_are_stripped_in_one_pass() {
        let blocks = "<script>x</script><STYLE>y</STYLE>".repeat(60_000);
        let page = format!(
            "<html><body><h1>{blocks}Bad Gateway</h1>{}</body></html>",
            "<script>".repeat(100_000)
        );
        assert!(page.len() > 2_000_000);
        assert_eq!(strip_html_tags(&page), "Bad Gateway");
        let err = parse_reply(&page).unwrap_err().to_string();
        assert!(err.contains("Bad Gateway"), "{err}");
        assert_eq!(strip_html_tags("a<b>c</b><script>d"), "a c");
    }

    #[test]
    fn strip_think_cases() {
        let cases = [
            ("<think>a</think>b", "b"),
            ("<Think>a</Think>\n{x}", "\n{x}"),
            ("<think>never closed {\"a\":1}", "{\"a\":1}"),
            ("<think>never closed\n```json\n{}\n```", "```json\n{}\n```"),
            ("<think>only thinking", ""),
            ("reasoning here</think>answer", "answer"),
            ("<thinking>x</thinking>y<REASONING>z</REASONING>", "y"),
            ("a<think>1</think>b<think>2</think>c", "abc"),
            ("no tags at all", "no tags at all"),
            ("héllo <think>ü</think>wörld", "héllo wörld"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_think(input), want, "input {input:?}");
        }
    }

    #[test]
    fn strip_fences_cases() {
        let cases = [
            ("```sql\nSELECT 1\n```", "SELECT 1"),
            ("  ```\nx = 1\n```  ", "x = 1"),
            ("```SELECT 1```", "SELECT 1"),
            ("```sql SELECT 1```", "SELECT 1"),
            ("~~~python\nprint(1)\n~~~", "print(1)"),
            ("````sql\nSELECT '```'\n````", "SELECT '```'"),
            ("```sql\nSELECT 1", "SELECT 1"),
            ("text\n```sql\nSELECT 1\n```", "text\n```sql\nSELECT 1\n```"),
            ("```a```\n```b```", "```a```\n```b```"),
            ("SELECT 1", "SELECT 1"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_fences(input), want, "input {input:?}");
        }
    }

    #[test]
    fn recover_json_cases() {
        let cases: Vec<(&str, Option<Value>)> = vec![
            (r#"{"a": 1}"#, Some(json!({"a": 1}))),
            (
                r#"Sure: {"a": [1, 2]} done {"b": 2}"#,
                Some(json!({"a": [1, 2]})),
            ),
            ("```json\n{\"a\": \"}{\"}\n```", Some(json!({"a": "}{"}))),
            (
                r#"{"a": [1, 2,], "b": {"c": 3,},}"#,
                Some(json!({"a": [1, 2], "b": {"c": 3}})),
            ),
            (
                "{/* c */ \"a\": 1, // x\n \"b\": \"http://x//y /* z */\"}",
                Some(json!({"a": 1, "b": "http://x//y /* z */"})),
            ),
            (
                r#"{'a': 'it''s', 'b': 'say "hi"'}"#,
                Some(json!({"a": "it''s", "b": "say \"hi\""})),
            ),
            (
                "{a: 1, b_c: true, $d: 'x'}",
                Some(json!({"a": 1, "b_c": true, "$d": "x"})),
            ),
            (
                "{'a': True, 'b': None, 'c': False}",
                Some(json!({"a": true, "b": null, "c": false})),
            ),
            ("{“a”: “b”, ‘c’: ‘d’}", Some(json!({"a": "b", "c": "d"}))),
            (
                "{\"a\": \"line1\nline2\tx\"}",
                Some(json!({"a": "line1\nline2\tx"})),
            ),
            (
                r#"{"a": "say "hi" now", "b": 1}"#,
                Some(json!({"a": "say \"hi\" now", "b": 1})),
            ),
            (r#"{"a": ["x", "y"}"#, Some(json!({"a": ["x", "y"]}))),
            (r#"{'a': '\u00e9\ud83d\ude00'}"#, Some(json!({"a": "é😀"}))),
            (
                "{a: -1.5e3, b: +2, c: .5}",
                Some(json!({"a": -1500.0, "b": 2, "c": 0.5})),
            ),
            (
                "{kind: answer, n: 3}",
                Some(json!({"kind": "answer", "n": 3})),
            ),
            (r#"{"a": "abc"#, Some(json!({"a": "abc"}))),
            (r#"{"a": [1, 2"#, Some(json!({"a": [1, 2]}))),
            (r#"{"a": {"b": "c""#, Some(json!({"a": {"b": "c"}}))),
            (r#"{"a": 1, "b""#, Some(json!({"a": 1}))),
            (r#"{"a": 1, "b":"#, Some(json!({"a": 1}))),
            (
                "Use {customer} here, then {\"a\": 1}",
                Some(json!({"a": 1})),
            ),
            ("no json here", None),
            ("{ not json }", None),
            ("{\"a\": @}", None),
        ];
        for (input, want) in cases {
            assert_eq!(recover_json(input), want, "input {input:?}");
        }
    }

    #[test]
    fn deeply_nested_input_does_not_overflow() {
        let deep = format!("{}{}", "{\"a\": ".repeat(10_000), "1");
        assert_eq!(recover_json(&deep), None);
        assert!(parse_reply(&"{".repeat(100_000)).is_err());
    }

    fn to_json(reply: &Reply) -> Value {
        let mut v = json!({
            "explanation": reply.explanation,
            "chart_hint": reply.chart_hint,
            "assumptions": reply.assumptions,
        });
        match &reply.kind {
            ReplyKind::Code { language, code } => {
                v["kind"] = json!("answer");
                v["language"] = json!(match language {
                    CodeLanguage::Sql => "sql",
                    CodeLanguage::Python => "python",
                });
                v["code"] = json!(code);
            }
            ReplyKind::Clarify { options } => {
                v["kind"] = json!("clarify");
                v["options"] = json!(options);
            }
            ReplyKind::OutOfScope { reason } => {
                v["kind"] = json!("out_of_scope");
                v["reason"] = json!(reason);
            }
        }
        v
    }

    #[test]
    fn valid_replies_survive_any_wrapping() {
        let replies = [
            sql("SELECT COUNT(*) FROM customers", "Counts customers.").chart("number"),
            sql(
                "SELECT strftime('%Y-%m', d) AS \"month\", '{x}' AS brace, 'O''Brien' AS who\nFROM t -- comment\nWHERE note LIKE '%\\%' AND tab = '\t'",
                "Braces {}, quotes \" and ', a backslash \\ and “smart quotes”.",
            )
            .chart("line")
            .assume(&["Dates are ISO text", "Notes may be empty"]),
            py("import pandas as pd\ntotals = {k: v for k, v in df.groupby('g')['x'].sum().items()}\nprint(f\"{len(totals):,}\")", "Python with braces.").chart("bar"),
            sql("WITH t AS (SELECT 1 AS x)\nSELECT x FROM t;", "").assume(&["é ü 日本語 😀"]),
            clarify("Which period?", &["This month", "Last month", "This year"]),
            out_of_scope("The data has no weather.", "Only sales are recorded."),
            sql("SELECT 1", "Ends with a brace }"),
        ];
        type Wrap = fn(&str) -> String;
        let wrappers: [(&str, Wrap); 10] = [
            ("as is", str::to_string),
            ("```json fence", |j| format!("```json\n{j}\n```")),
            ("bare fence", |j| format!("```\n{j}\n```")),
            ("<think> with braces", |j| {
                format!("<think>\nLet me plan: {{kind, code}}.\n</think>\n{j}")
            }),
            ("unclosed <think> with braces", |j| {
                format!("<think>\nLet me plan: {{kind, code}}.\n{j}")
            }),
            ("orphan </think>", |j| {
                format!("The user wants numbers.\n</think>\n\n{j}")
            }),
            ("prose around a fence", |j| {
                format!("Sure! Here is the JSON you asked for:\n\n```json\n{j}\n```\n\nLet me know if you need anything else.")
            }),
            ("prose around bare JSON", |j| {
                format!("Answer:\n{j}\nThanks!")
            }),
            ("CRLF", |j| {
                format!("```json\n{j}\n```\n").replace('\n', "\r\n")
            }),
            ("BOM", |j| format!("\u{feff}{j}")),
        ];
        for reply in &replies {
            let value = to_json(reply);
            for json_text in [
                value.to_string(),
                serde_json::to_string_pretty(&value).unwrap(),
            ] {
                for (name, wrap) in &wrappers {
                    let raw = wrap(&json_text);
                    assert_eq!(
                        parse_reply(&raw).as_ref(),
                        Ok(reply),
                        "wrapper {name}: {raw}"
                    );
                }
            }
        }
    }
}
