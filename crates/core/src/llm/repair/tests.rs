//! Tests of the whole repair module, through its entry points.

use super::*;
use serde_json::json;

use super::markup::strip_html_tags;

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
            (&got != want)
                .then(|| format!("{name}\n  input: {raw:?}\n  want:  {want:?}\n  got:   {got:?}"))
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
