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

use serde_json::Value;

mod json;
mod markup;
mod prose;
mod text;

pub use json::recover_json;
pub use markup::{strip_fences, strip_think};

use json::recover_objects;
use markup::{fenced_blocks, html_error_page, is_json_tag, normalize};
use prose::{reply_from_object, reply_from_prose, reply_object};

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

#[cfg(test)]
mod tests;
