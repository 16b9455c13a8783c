//! The real app window, driven through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb:
//! ask the question from the README and check the table, the chart and the history; then correct
//! what a word was read as from its chip under the answer (the glossary learns it and the
//! question is asked again); then add the
//! AI key on the Settings screen (into the system keychain: the app gets no key from its
//! environment), test it and see a refused setting named; then import a CSV on the Data screen,
//! preview it, and ask about it; then have the AI answer what the offline planner cannot (first
//! waiting for approval, with the approval limit at $0), ask it again and have the answer cache
//! answer it (nothing sent, no approval needed), see the cache's figures on the Settings screen
//! and clear it, and see the AI's answer on the Spending page; then delete the key again; last,
//! copy the diagnostics and see every key masked in them. Each answer shows where its time went.
//! The AI provider is a loopback server on 127.0.0.1 that speaks Perplexity's Agent API
//! (plainsight-loopback): it is scripted per question and records what the app sent, so the test
//! also checks that questions answered locally send nothing.
//!
//! The key goes into a real Secret Service: gnome-keyring on a D-Bus session bus of the test's
//! own, which only the app is pointed at (see [`PrivateKeychain`]).

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::{Recorded, Server};
use plainsight_tests::{artifacts_dir, built_binary, data_dir, free_port, TauriDriver};
use serde_json::json;

const QUESTION: &str = "show me last month's sales by region";
const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
/// The sample data is generated relative to this day, so screenshots are reproducible.
const TODAY: &str = "2026-11-26";
/// Imported on the Data screen: five good rows (North twice) and one with too many fields.
const SALES_CSV: &str = "region,amount\nNorth,10\nSouth,20\nEast,30\nWest,40\nNorth,5\nbroken row with,too,many,fields\n";
/// Added by "dropping" it on the window.
const TARGETS_CSV: &str = "region,target\nNorth,12\nSouth,25\n";
/// Rows in the CSV whose import is cancelled: enough that it runs for seconds even in a release
/// build, so Cancel lands before it ends.
const BIG_ROWS: u32 = 2_000_000;
/// What asking about the imported file must show: each region's total.
const REGION_TOTALS: [(&str, &str); 4] = [
    ("North", "15"),
    ("South", "20"),
    ("East", "30"),
    ("West", "40"),
];
/// The fake Perplexity key typed into Settings; only the keychain and the loopback server ever
/// see it.
const KEY: &str = "pplx-WINDOW-test-0000ABCD";
/// How the Settings screen shows [`KEY`] once saved.
const KEY_SAVED: &str = "Saved in your system keychain •••• ABCD";
/// A question the offline planner is unsure of: with an AI configured it goes to the AI.
const VAGUE: &str = "how are we doing?";
/// What the scripted AI offers for [`VAGUE`]: rephrasings the offline planner answers confidently.
const AI_OPTIONS: [&str; 2] = ["sales by region last month", "top 5 products by revenue"];
/// A question the offline planner cannot answer: the AI writes its SQL.
const AI_QUESTION: &str = "which products were bought together most often?";
/// A question whose word "price" the planner reads as `products.unit_price`; the person teaches it
/// that they meant `unit_cost`.
const TAUGHT: &str = "average price by category";
/// The stages an answer's timing line may name ("plan 3 ms · AI 1.2 s · run 18 ms").
const STAGES: [&str; 10] = [
    "plan", "cache", "breaker", "budget", "AI", "repair", "guard", "run", "sandbox", "chart",
];
/// The SQL the scripted AI writes for [`AI_QUESTION`]: pairs of products in the same order.
const BOUGHT_TOGETHER: &str = "SELECT a.product_id AS first_product, b.product_id AS second_product, COUNT(*) AS orders_together FROM order_items a JOIN order_items b ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 ORDER BY orders_together DESC LIMIT 5";

type Outcome = Result<(), String>;

#[tokio::test]
#[ignore = "needs Xvfb + tauri-driver; run by scripts/test"]
async fn a_question_shows_its_table_chart_and_history() {
    let app = built_binary("plainsight-app");
    for stale in ["window-failure.png", "window-failure.html"] {
        let _ = std::fs::remove_file(artifacts_dir().join(stale));
    }
    let data = data_dir();
    // The files the Data screen adds live in their own temp dir, not in the app's data dir.
    let files = data_dir();
    let exports = data_dir();
    let csv = files.path().join("sales.csv");
    std::fs::write(&csv, SALES_CSV)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", csv.display()));
    std::fs::write(files.path().join("targets.csv"), TARGETS_CSV)
        .unwrap_or_else(|e| panic!("cannot write targets.csv: {e}"));
    write_big_csv(&files.path().join("big.csv"));
    // The AI provider and the keychain, started before the app so the app can be pointed at them.
    let server = Server::start();
    let base_url = server.url();
    let keychain = PrivateKeychain::start();
    let driver = TauriDriver::start(
        &[
            ("DBUS_SESSION_BUS_ADDRESS", OsStr::new(&keychain.address)),
            ("PLAINSIGHT_DATA_DIR", data.path().as_os_str()),
            ("PLAINSIGHT_TODAY", OsStr::new(TODAY)),
            // No key from the environment (empty counts as unset, and overrides one the test run
            // may have): the key is added on the Settings screen, into the keychain.
            ("PERPLEXITY_API_KEY", OsStr::new("")),
            ("OPENAI_API_KEY", OsStr::new("")),
            ("PLAINSIGHT_LLM_PROVIDER", OsStr::new("perplexity")),
            ("PLAINSIGHT_LLM_BASE_URL", OsStr::new(&base_url)),
            // The answer cache on with its default lifetime, whatever the test run's environment
            // says (empty counts as unset).
            ("CACHE_DEFAULT_TTL", OsStr::new("")),
            // "Export…" saves here under its suggested name instead of opening the native save
            // dialog, which WebDriver cannot drive.
            ("PLAINSIGHT_EXPORT_DIR", exports.path().as_os_str()),
        ],
        artifacts_dir().join("tauri-driver.log"),
    );

    let client = open_app(&driver, &app).await;

    // Close the session (and with it the app) whatever happened, then report.
    let outcome = tokio::time::timeout(
        Duration::from_secs(300),
        scenario(&client, files.path(), data.path(), exports.path(), &server),
    )
    .await
    .unwrap_or_else(|_| Err("the scenario took over 300 s".into()));
    if outcome.is_err() {
        save_failure_artifacts(&client).await;
    }
    let _ = client.close().await;
    drop(driver);
    drop(keychain);
    if let Err(why) = outcome {
        panic!("{why}");
    }
}

/// A WebDriver session with `app`, started by `driver` (which passes its environment on).
pub(crate) async fn open_app(driver: &TauriDriver, app: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": app }));
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "could not open the app {} through tauri-driver: {e}",
                app.display()
            )
        })
}

/// The app's own Secret Service: a D-Bus session bus of the test's own (no service activation)
/// with gnome-keyring unlocked with a throwaway password, its keyrings in a temp dir. The key the
/// test saves there never meets the keychain tests' entry of the same name (they may run at the
/// same time, in scripts/test's session) nor anyone's own keychain. Both daemons are stopped when
/// it is dropped.
struct PrivateKeychain {
    /// `DBUS_SESSION_BUS_ADDRESS` for the app.
    address: String,
    bus: Child,
    keyring: Option<Child>,
    dir: tempfile::TempDir,
}

impl PrivateKeychain {
    fn start() -> Self {
        // A temp dir is only its owner's (0700), as gnome-keyring wants its control directory.
        let dir = data_dir();
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&address))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let bus = Command::new("dbus-daemon")
            .args([
                "--nofork",
                "--nopidfile",
                &format!("--config-file={}", config.display()),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dbus-daemon (scripts/test installs it): {e}"));
        let mut keychain = Self {
            address,
            bus,
            keyring: None,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "dbus-daemon did not listen on {} within 10 s",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let root = keychain.dir.path();
        let log = std::fs::File::create(artifacts_dir().join("gnome-keyring.log"))
            .unwrap_or_else(|e| panic!("cannot create a log: {e}"));
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args([
                "--foreground",
                "--unlock",
                "--components=secrets",
                &format!("--control-directory={}", root.display()),
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &keychain.address)
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_RUNTIME_DIR", root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start gnome-keyring-daemon (scripts/test installs it): {e}")
            });
        // The login keyring's password, on stdin (an empty one would create no keyring).
        let password = keyring
            .stdin
            .take()
            .map(|mut stdin| stdin.write_all(b"plainsight-test"));
        keychain.keyring = Some(keyring);
        assert!(
            matches!(password, Some(Ok(()))),
            "cannot give gnome-keyring its password: {password:?}"
        );
        while !keychain.serves_secrets() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring did not serve org.freedesktop.secrets within 10 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        keychain
    }

    /// Whether the Secret Service is on the bus yet.
    fn serves_secrets(&self) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
    }
}

impl Drop for PrivateKeychain {
    fn drop(&mut self) {
        for child in self
            .keyring
            .iter_mut()
            .chain(std::iter::once(&mut self.bus))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A session bus that listens on `address` only and starts no services (so nothing but the
/// test's gnome-keyring can answer as the Secret Service).
fn bus_config(address: &str) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}

async fn scenario(
    client: &Client,
    files: &Path,
    data: &Path,
    exports: &Path,
    server: &Server,
) -> Outcome {
    let input = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("question"))
        .await
        .map_err(|e| format!("the ask box never appeared (did the UI load?): {e}"))?;
    the_welcome_offers_examples_and_next_steps(client).await?;
    screenshot(client, "window-welcome.png").await?;

    input
        .send_keys(QUESTION)
        .await
        .map_err(|e| format!("typing the question: {e}"))?;
    client
        .find(Locator::Id("ask"))
        .await
        .map_err(|e| format!("no #ask button: {e}"))?
        .click()
        .await
        .map_err(|e| format!("clicking Ask: {e}"))?;

    let table = poll(
        "a table with every region",
        Duration::from_secs(60),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of an answer: {error}"
                ));
            }
            Ok(text_of(client, "result-table")
                .await
                .filter(|t| REGIONS.iter().all(|r| t.contains(r))))
        },
    )
    .await?;
    for heading in ["Region", "Revenue"] {
        check(
            table.contains(heading),
            format!("the table has a {heading:?} heading:\n{table}"),
        )?;
    }
    check(
        table.contains(','),
        format!("revenue is formatted with thousands separators:\n{table}"),
    )?;

    let bars = client
        .find_all(Locator::Css(r##"#chart svg rect[fill="#2563EB" i]"##))
        .await
        .map_err(|e| format!("looking for chart bars: {e}"))?;
    check(
        bars.len() == REGIONS.len(),
        format!(
            "the chart has one bar per region, found {} bars",
            bars.len()
        ),
    )?;
    let chart = text_of(client, "chart").await.unwrap_or_default();
    check(
        REGIONS.iter().all(|r| chart.contains(r)),
        format!("the chart labels every region: {chart:?}"),
    )?;

    let code = client
        .find(Locator::Css("#code pre"))
        .await
        .map_err(|e| format!("no SQL block: {e}"))?;
    let sql = code
        .prop("textContent")
        .await
        .map_err(|e| format!("reading the SQL: {e}"))?
        .unwrap_or_default();
    check(
        sql.to_uppercase().contains("SELECT"),
        format!("the collapsible SQL holds the query: {sql:?}"),
    )?;
    let answer = text_of(client, "answer").await.unwrap_or_default();
    check(
        answer.contains("Answered offline — no cost"),
        format!("the cost line says the answer was free: {answer:?}"),
    )?;
    // Which stages took long enough to be named (if any) depends on the machine; the AI call
    // always does (see the AI's answer).
    let stages = timing_stages(client).await?;
    check(
        !stages.iter().any(|s| s == "AI"),
        format!("an offline answer spent no time on the AI: {stages:?}"),
    )?;

    // textContent, not the rendered text: the sidebar ellipsises long questions.
    poll(
        "the question in the history list",
        Duration::from_secs(10),
        || async {
            Ok(content_of(client, "history")
                .await
                .filter(|h| h.contains(QUESTION)))
        },
    )
    .await?;
    screenshot(client, "window-answer.png").await?;
    the_table_sorts_copies_and_exports(client, exports).await?;
    history_is_searched_saved_rerun_and_deleted(client).await?;
    ctrl_k_puts_the_cursor_in_the_ask_box(client).await?;
    a_long_answer_arrives_a_page_at_a_time(client).await?;
    sent_so_far(server, 0, "a question the planner answers confidently")?;
    a_word_is_taught_in_one_click(client, data).await?;
    sent_so_far(server, 0, "teaching the planner a word")?;
    add_the_key_in_settings(client, server).await?;
    a_refused_setting_is_named(client).await?;
    click(client, "nav-ask").await?;
    clarify_then_pick(client, server).await?;
    import_a_csv(client, &files.join("sales.csv")).await?;
    ask_about_the_import(client).await?;
    sent_so_far(server, 2, "asking about the imported file")?;
    a_missing_file_is_named(client, &files.join("missing.csv")).await?;
    an_unreachable_server_is_named(client).await?;
    a_dropped_file_is_added(client, &files.join("targets.csv")).await?;
    a_long_import_can_be_cancelled(client, &files.join("big.csv")).await?;
    switch_and_remove(client).await?;
    a_mariadb_database_is_added_and_answers(client).await?;
    sent_so_far(server, 2, "the Data screen's steps")?;
    set_setting(client, "approval_usd", "0").await?;
    the_ai_answers_what_the_planner_cannot(client, server, data).await?;
    the_cache_answers_again(client, server).await?;
    set_setting(client, "approval_usd", "0.05").await?;
    the_settings_show_and_clear_the_cache(client).await?;
    the_spending_page_shows_what_the_ai_cost(client).await?;
    a_rejected_key_is_named_and_the_rephrasings_stay(client, server).await?;
    delete_the_key_in_settings(client).await?;
    a_preset_fills_in_the_provider(client).await?;
    diagnostics_are_copied_without_keys(client).await
}

/// The first column's cells of the answer's table, top to bottom, and the second's as numbers.
async fn table_columns(client: &Client) -> Result<(Vec<String>, Vec<f64>), String> {
    let mut names = Vec::new();
    let mut numbers = Vec::new();
    for row in client
        .find_all(Locator::Css("#result-table tbody tr"))
        .await
        .map_err(|e| format!("reading the table's rows: {e}"))?
    {
        let cells = row
            .find_all(Locator::Css("td"))
            .await
            .map_err(|e| format!("reading a row's cells: {e}"))?;
        let mut texts = Vec::new();
        for cell in cells.iter().take(2) {
            texts.push(cell.text().await.map_err(|e| format!("a cell: {e}"))?);
        }
        let [name, number] = texts.as_slice() else {
            return Err(format!("a row with two cells, got {texts:?}"));
        };
        names.push(name.clone());
        // "$87,094.85": the figure without its currency sign and separators.
        let figure: String = number
            .chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
            .collect();
        numbers.push(
            figure
                .parse()
                .map_err(|_| format!("{number:?} is a number"))?,
        );
    }
    Ok((names, numbers))
}

/// Headings sort (text A→Z, figures largest first, numbers as numbers); "Copy table" says what it
/// copied; "Export…" saves the table as CSV and XLSX and the answer card as HTML.
async fn the_table_sorts_copies_and_exports(client: &Client, exports: &Path) -> Outcome {
    find_css(client, r#"#result-table th button[data-column="0"]"#)
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking the Region heading: {e}"))?;
    let (names, _) = table_columns(client).await?;
    let mut sorted = names.clone();
    sorted.sort();
    check(names == sorted, format!("regions sorted A to Z: {names:?}"))?;
    find_css(client, r#"#result-table th button[data-column="1"]"#)
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking the Revenue heading: {e}"))?;
    let (_, revenue) = table_columns(client).await?;
    check(
        revenue.windows(2).all(|w| w[0] >= w[1]) && revenue.len() == REGIONS.len(),
        format!("revenue sorted largest first, as numbers: {revenue:?}"),
    )?;
    let sorted_by = find_css(client, "#result-table th[aria-sort=\"descending\"]")
        .await?
        .text()
        .await
        .map_err(|e| format!("the sorted heading: {e}"))?;
    check(
        sorted_by.contains("Revenue"),
        format!("the Revenue heading says it sorts the table: {sorted_by:?}"),
    )?;

    click(client, "copy-table").await?;
    let copied = poll("the copy note", Duration::from_secs(10), || async {
        Ok(text_of(client, "copy-note").await.filter(|t| !t.is_empty()))
    })
    .await?;
    check(
        copied == "Copied 5 rows to the clipboard.",
        format!("Copy table says what it copied: {copied:?}"),
    )?;

    for (format, extension) in [("csv", "csv"), ("xlsx", "xlsx"), ("html", "html")] {
        // Into the middle of the view first: WebKit's driver does not scroll to a select's
        // option by itself.
        client
            .execute(
                "document.getElementById('export-format').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await
            .map_err(|e| format!("scrolling to Export: {e}"))?;
        find_css(client, "#export-format")
            .await?
            .select_by_value(format)
            .await
            .map_err(|e| format!("choosing {format} to export: {e}"))?;
        click(client, "export").await?;
        let path = poll(
            &format!("the exported .{extension}"),
            Duration::from_secs(20),
            || async {
                if let Some(error) = text_of(client, "error").await {
                    return Err(format!("exporting {format} failed: {error}"));
                }
                Ok(std::fs::read_dir(exports).ok().and_then(|entries| {
                    entries.flatten().map(|e| e.path()).find(|p| {
                        p.extension().is_some_and(|e| e == extension)
                            && !p
                                .file_name()
                                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                    })
                }))
            },
        )
        .await?;
        let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        match extension {
            "csv" => {
                let text = String::from_utf8(bytes).map_err(|_| "the CSV is UTF-8".to_string())?;
                let lines: Vec<&str> = text.lines().collect();
                check(
                    lines.first() == Some(&"region,revenue") && lines.len() == 1 + REGIONS.len(),
                    format!("the CSV is a header and one line per region:\n{text}"),
                )?;
            }
            "xlsx" => {
                use calamine::Reader;
                let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
                    .map_err(|e| format!("the XLSX opens: {e}"))?;
                let sheet = book
                    .worksheet_range("Answer")
                    .map_err(|e| format!("the XLSX has its worksheet: {e}"))?;
                check(
                    sheet.height() == 1 + REGIONS.len(),
                    format!(
                        "the XLSX has a header and one row per region: {}",
                        sheet.height()
                    ),
                )?;
            }
            _ => {
                let card = String::from_utf8(bytes).map_err(|_| "the card is UTF-8".to_string())?;
                for part in [QUESTION, "SELECT", "<svg", "North"] {
                    check(
                        card.contains(part),
                        format!("the answer card shows {part:?}"),
                    )?;
                }
            }
        }
        // The file is in place a moment before the window hears back.
        poll(
            &format!("the window saying where the {format} went"),
            Duration::from_secs(10),
            || async {
                Ok(text_of(client, "note").await.filter(|n| {
                    n.starts_with("Saved to ") && n.ends_with(&format!(".{extension}"))
                }))
            },
        )
        .await?;
    }
    Ok(())
}

/// The ids of the questions in the sidebar's history list (`recent`) or saved list, in order.
async fn history_ids(client: &Client, list: &str) -> Result<Vec<String>, String> {
    // Read in one script: the list re-renders while the sidebar refreshes, so elements found one
    // step earlier may be gone a step later.
    let ids = client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.dataset.id);",
            vec![json!(format!("#{list} li.history-entry"))],
        )
        .await
        .map_err(|e| format!("reading the {list} list: {e}"))?;
    Ok(ids
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// The sidebar: a search that matches nothing says so, one that matches finds the question;
/// the question is saved under a name (above the history), asked again from there on today's
/// data, and deleted (from the saved ones too).
async fn history_is_searched_saved_rerun_and_deleted(client: &Client) -> Outcome {
    let search = find_css(client, "#history-search").await?;
    search
        .send_keys("zebra crossings")
        .await
        .map_err(|e| format!("typing a search: {e}"))?;
    let empty = poll("the empty search", Duration::from_secs(10), || async {
        Ok(text_of(client, "history-empty").await)
    })
    .await?;
    check(
        empty == "No question matches your search.",
        format!("a search that matches nothing says so: {empty:?}"),
    )?;
    search
        .clear()
        .await
        .map_err(|e| format!("clearing the search: {e}"))?;
    search
        .send_keys("REGION")
        .await
        .map_err(|e| format!("typing a search: {e}"))?;
    let found = poll("the question found", Duration::from_secs(10), || async {
        Ok(content_of(client, "history-list")
            .await
            .filter(|t| t.contains(QUESTION)))
    })
    .await?;
    check(
        found.contains("sample") && found.contains("answered") && found.contains("free"),
        format!("the entry says its source, route and cost: {found:?}"),
    )?;
    let id = history_ids(client, "history-list")
        .await?
        .first()
        .cloned()
        .ok_or("the found question has an id")?;

    click(client, &format!("recent-save-{id}")).await?;
    let name = find_css(client, &format!("#recent-save-name-{id}")).await?;
    name.clear()
        .await
        .map_err(|e| format!("clearing the name: {e}"))?;
    name.send_keys("Regions last month")
        .await
        .map_err(|e| format!("typing the name: {e}"))?;
    click(client, &format!("recent-save-confirm-{id}")).await?;
    poll("the saved question", Duration::from_secs(10), || async {
        Ok(content_of(client, "saved")
            .await
            .filter(|t| t.contains("Regions last month")))
    })
    .await?;

    search
        .clear()
        .await
        .map_err(|e| format!("clearing the search: {e}"))?;
    // Clearing a field sends no input event: type and erase a character to search for all.
    search
        .send_keys(" ")
        .await
        .map_err(|e| format!("typing a space: {e}"))?;
    let before = poll("every question", Duration::from_secs(10), || async {
        let ids = history_ids(client, "history-list").await?;
        Ok((!ids.is_empty()).then_some(ids))
    })
    .await?;
    click(client, &format!("saved-history-{id}")).await?;
    poll(
        "the question asked again",
        Duration::from_secs(60),
        || async {
            let ids = history_ids(client, "history-list").await?;
            Ok((ids.len() == before.len() + 1).then_some(()))
        },
    )
    .await?;
    let table = text_of(client, "result-table").await.unwrap_or_default();
    check(
        REGIONS.iter().all(|r| table.contains(r)),
        format!("the saved question was answered again: {table}"),
    )?;

    click(client, &format!("recent-delete-{id}")).await?;
    poll("the question deleted", Duration::from_secs(10), || async {
        let ids = history_ids(client, "history-list").await?;
        Ok((!ids.contains(&id)).then_some(()))
    })
    .await?;
    check(
        shown(client, "saved").await.is_none(),
        "a deleted question is no longer saved".into(),
    )?;
    search
        .clear()
        .await
        .map_err(|e| format!("clearing the search: {e}"))?;
    Ok(())
}

/// Ctrl+K from anywhere (here: the history's search box) puts the cursor in the ask box, which
/// says what to ask about.
/// "revenue by day" on the sample has 756 rows: the answer brings 500, the rest arrive through
/// `answer_rows` and the table then pages all 756; its line chart of 756 days is drawn thinned
/// and says so.
async fn a_long_answer_arrives_a_page_at_a_time(client: &Client) -> Outcome {
    ask(client, "revenue by day").await?;
    let note = poll(
        "all 756 rows in the table",
        Duration::from_secs(30),
        || async {
            Ok(text_of(client, "result-table-rows")
                .await
                .filter(|t| t.contains("of 756 rows")))
        },
    )
    .await?;
    let title = client
        .find(Locator::Id("chart"))
        .await
        .map_err(|e| format!("no chart for revenue by day: {e}"))?
        .attr("aria-label")
        .await
        .map_err(|e| format!("the chart's label: {e}"))?
        .unwrap_or_default();
    let svg = content_of(client, "chart").await.unwrap_or_default();
    check(
        note.starts_with("Rows 1–100") && svg.contains("of 756 points; the table has them all"),
        format!("756 rows paged ({note:?}) and a thinned chart saying so (label {title:?})"),
    )
}

async fn ctrl_k_puts_the_cursor_in_the_ask_box(client: &Client) -> Outcome {
    let search = find_css(client, "#history-search").await?;
    search
        .click()
        .await
        .map_err(|e| format!("focusing the search box: {e}"))?;
    search
        .send_keys(&(Key::Control + "k"))
        .await
        .map_err(|e| format!("pressing Ctrl+K: {e}"))?;
    let focused = poll("the ask box focused", Duration::from_secs(5), || async {
        let active = client
            .active_element()
            .await
            .map_err(|e| format!("the focused element: {e}"))?;
        let id = active
            .attr("id")
            .await
            .map_err(|e| format!("its id: {e}"))?
            .unwrap_or_default();
        Ok((id == "question").then_some(id))
    })
    .await?;
    let placeholder = find_css(client, "#question")
        .await?
        .attr("placeholder")
        .await
        .map_err(|e| format!("the placeholder: {e}"))?
        .unwrap_or_default();
    check(
        focused == "question" && placeholder.starts_with("Ask about your"),
        format!("Ctrl+K focuses the ask box, which suggests a question: {placeholder:?}"),
    )
}

fn write_big_csv(path: &Path) {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(BIG_ROWS as usize * 24);
    text.push_str("region,amount,day\n");
    for i in 0..BIG_ROWS {
        let _ = writeln!(text, "R{},{}.5,2026-01-{:02}", i % 7, i % 1000, i % 28 + 1);
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Before any question: the welcome says it works offline on the sample data, offers example
/// questions, and leads to Settings (the AI key) and Data.
async fn the_welcome_offers_examples_and_next_steps(client: &Client) -> Outcome {
    let welcome = text_of(client, "welcome").await.unwrap_or_default();
    check(
        welcome.contains("works offline"),
        format!("the welcome says it works offline: {welcome:?}"),
    )?;
    let examples = client
        .find_all(Locator::Css("#examples button.chip"))
        .await
        .map_err(|e| format!("finding example questions: {e}"))?;
    check(
        examples.len() == 3,
        format!("three example questions, found {}", examples.len()),
    )?;
    let ai_link = poll(
        "the welcome's link to Settings",
        Duration::from_secs(10),
        || async {
            Ok(text_of(client, "welcome-settings")
                .await
                .filter(|t| t.contains("Add your AI key")))
        },
    )
    .await?;
    check(
        !ai_link.is_empty(),
        "the welcome links to adding an AI key".into(),
    )?;
    let data_link = text_of(client, "welcome-data").await.unwrap_or_default();
    check(
        data_link.contains("Add your data"),
        format!("the welcome links to adding data: {data_link:?}"),
    )?;
    // Each link opens its screen; the sidebar leads back.
    for (link, shows) in [
        ("welcome-data", "file-path"),
        ("welcome-settings", "key-perplexity"),
    ] {
        click(client, link).await?;
        poll(
            &format!("#{shows} after clicking #{link}"),
            Duration::from_secs(10),
            || async { Ok(shown(client, shows).await) },
        )
        .await?;
        click(client, "nav-ask").await?;
    }
    poll("the Ask screen again", Duration::from_secs(10), || async {
        Ok(shown(client, "question").await)
    })
    .await
    .map(|_| ())
}

/// The Settings screen, opened from the welcome: the AI is off and no key is set; a key typed
/// into the Perplexity row is saved in the keychain (shown masked, the box emptied), which turns
/// the AI on; Test makes one call to the loopback server with it and says "Connected".
async fn add_the_key_in_settings(client: &Client, server: &Server) -> Outcome {
    click(client, "nav-settings").await?;
    let key_box = poll(
        "the Settings screen's Perplexity key box",
        Duration::from_secs(10),
        || async { Ok(shown(client, "key-perplexity").await) },
    )
    .await?;
    let state = poll(
        "the Perplexity key's state",
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "settings-error").await {
                return Err(format!("the Settings screen showed an error: {error}"));
            }
            Ok(text_of(client, "key-state-perplexity")
                .await
                .filter(|t| !t.is_empty()))
        },
    )
    .await?;
    check(
        state == "Not set",
        format!("no Perplexity key before one is added: {state:?}"),
    )?;
    let status = text_of(client, "ai-status").await.unwrap_or_default();
    check(
        status.contains("The AI is off"),
        format!("the AI is off without a key: {status:?}"),
    )?;
    let kind = key_box
        .attr("type")
        .await
        .map_err(|e| format!("reading the key box's type: {e}"))?;
    check(
        kind.as_deref() == Some("password"),
        format!("the key box hides what is typed: {kind:?}"),
    )?;

    key_box
        .send_keys(KEY)
        .await
        .map_err(|e| format!("typing the key: {e}"))?;
    click(client, "save-key-perplexity").await?;
    poll(
        "the key saved in the keychain",
        Duration::from_secs(30),
        || async {
            if let Some(result) = text_of(client, "key-result-perplexity")
                .await
                .filter(|r| !r.starts_with("Saved"))
            {
                return Err(format!("saving the key failed: {result}"));
            }
            Ok(text_of(client, "key-state-perplexity")
                .await
                .filter(|t| t == KEY_SAVED))
        },
    )
    .await?;
    let left = key_box
        .prop("value")
        .await
        .map_err(|e| format!("reading the key box: {e}"))?
        .unwrap_or_default();
    check(
        left.is_empty(),
        "the key box is emptied once the key is saved".into(),
    )?;
    let status = poll("the AI turned on", Duration::from_secs(10), || async {
        Ok(text_of(client, "ai-status")
            .await
            .filter(|s| s.contains("The AI is on")))
    })
    .await?;
    check(
        status.contains("Perplexity"),
        format!("the status names the provider: {status:?}"),
    )?;
    sent_so_far(server, 0, "saving the key")?;

    server.push(perplexity::agent_ok(
        "OK",
        AgentUsage::new(5, 1, 0.000_005, 0.000_001, 0.0),
    ));
    click(client, "test-key-perplexity").await?;
    let tested = poll("the key test's result", Duration::from_secs(30), || async {
        Ok(text_of(client, "key-result-perplexity")
            .await
            .filter(|r| !r.starts_with("Saved")))
    })
    .await?;
    check(
        tested.starts_with("Connected"),
        format!("Test says the key works: {tested:?}"),
    )?;
    let sent = sent_so_far(server, 1, "testing the key")?;
    check(
        (sent[0].method.as_str(), sent[0].path.as_str()) == ("POST", "/v1/agent"),
        format!(
            "Test called the Agent API: {} {}",
            sent[0].method, sent[0].path
        ),
    )?;
    let auth = sent[0].header("authorization");
    check(
        auth == Some(format!("Bearer {KEY}").as_str()),
        format!("Test sent the saved key: {auth:?}"),
    )?;
    screenshot(client, "window-settings.png").await?;
    let page = client
        .source()
        .await
        .map_err(|e| format!("reading the page: {e}"))?;
    check(
        !page.contains(KEY),
        "the saved key never appears in the window".into(),
    )
}

/// A value the engine refuses is named next to its field and stays there to be corrected; a good
/// one says "Saved".
async fn a_refused_setting_is_named(client: &Client) -> Outcome {
    client
        .execute(
            "document.getElementById('settings-ai').scrollIntoView({ block: 'start' });",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to the AI provider: {e}"))?;
    for preset in [
        "preset-perplexity",
        "preset-openai",
        "preset-ollama",
        "preset-lmstudio",
    ] {
        find_css(client, &format!("#{preset}")).await?;
    }
    screenshot(client, "window-settings-ai.png").await?;
    let field = find_css(client, "#setting-budget_daily_usd").await?;
    client
        .execute("document.getElementById('setting-budget_daily_usd').scrollIntoView({ block: 'center' });", Vec::new())
        .await
        .map_err(|e| format!("scrolling to the budget: {e}"))?;
    field
        .clear()
        .await
        .map_err(|e| format!("clearing the budget: {e}"))?;
    field
        .send_keys(&format!("lots{}", Key::Tab))
        .await
        .map_err(|e| format!("typing a budget of \"lots\": {e}"))?;
    let refused = poll(
        "the refused budget's message",
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "settings-error").await {
                return Err(format!(
                    "the refusal went to the screen's error instead of the field: {error}"
                ));
            }
            Ok(text_of(client, "error-budget_daily_usd").await)
        },
    )
    .await?;
    check(
        refused == "Enter a number from 0 to 10000.",
        format!("the budget field says what it takes: {refused:?}"),
    )?;
    check(
        text_of(client, "saved-budget_daily_usd").await.is_none(),
        "a refused value is not marked Saved".into(),
    )?;
    screenshot(client, "window-settings-refused.png").await?;

    field
        .clear()
        .await
        .map_err(|e| format!("clearing the budget: {e}"))?;
    field
        .send_keys(&format!("7.5{}", Key::Tab))
        .await
        .map_err(|e| format!("typing a budget of 7.5: {e}"))?;
    poll(
        "the corrected budget saved",
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "settings-error").await {
                return Err(format!("saving the budget showed an error: {error}"));
            }
            Ok(text_of(client, "saved-budget_daily_usd").await)
        },
    )
    .await?;
    check(
        client
            .find(Locator::Id("error-budget_daily_usd"))
            .await
            .is_err(),
        "the message goes once the value is good".into(),
    )?;
    let value = field
        .prop("value")
        .await
        .map_err(|e| format!("reading the budget: {e}"))?
        .unwrap_or_default();
    check(
        value == "7.5",
        format!("the budget holds the saved value: {value:?}"),
    )
}

/// Last, the key is deleted through Settings (after an inline confirmation): "Not set", and the
/// AI is off again.
async fn delete_the_key_in_settings(client: &Client) -> Outcome {
    // Through the rejected-key answer's link, which opens the Settings screen.
    click(client, "open-settings").await?;
    poll(
        "the Settings screen from the answer's link",
        Duration::from_secs(10),
        || async { Ok(shown(client, "key-perplexity").await) },
    )
    .await?;
    let state = poll(
        "the saved key on the Settings screen",
        Duration::from_secs(10),
        || async {
            Ok(text_of(client, "key-state-perplexity")
                .await
                .filter(|t| !t.is_empty()))
        },
    )
    .await?;
    check(
        state == KEY_SAVED,
        format!("the key is still saved: {state:?}"),
    )?;
    client
        .execute(
            "window.scrollTo(0, 0); document.querySelector('main:not([hidden])').scrollTo(0, 0);",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to the top: {e}"))?;
    click(client, "delete-key-perplexity").await?;
    let confirm = find_css(client, r#".key-row[data-key="perplexity"] .confirm"#).await?;
    let asked = confirm.text().await.unwrap_or_default();
    check(
        asked.contains("Delete the Perplexity API key"),
        format!("Delete asks first: {asked:?}"),
    )?;
    click(client, "confirm-delete-key-perplexity").await?;
    poll("the key deleted", Duration::from_secs(30), || async {
        if let Some(result) = text_of(client, "key-result-perplexity")
            .await
            .filter(|r| !r.starts_with("Deleted"))
        {
            return Err(format!("deleting the key failed: {result}"));
        }
        Ok(text_of(client, "key-state-perplexity")
            .await
            .filter(|t| t == "Not set"))
    })
    .await?;
    let status = poll("the AI turned off", Duration::from_secs(10), || async {
        Ok(text_of(client, "ai-status")
            .await
            .filter(|s| s.contains("The AI is off")))
    })
    .await?;
    check(
        !status.is_empty(),
        "the AI is off once the key is deleted".into(),
    )?;
    check(
        client
            .find(Locator::Id("delete-key-perplexity"))
            .await
            .is_err(),
        "nothing is left to delete".into(),
    )
}

/// The Ollama preset sets the provider, the server address and the model in one click, and with
/// a server on this computer the AI needs no key.
async fn a_preset_fills_in_the_provider(client: &Client) -> Outcome {
    click(client, "preset-ollama").await?;
    let note = poll("the preset's note", Duration::from_secs(30), || async {
        if let Some(error) = text_of(client, "settings-error").await {
            return Err(format!("choosing Ollama showed an error: {error}"));
        }
        Ok(text_of(client, "settings-note").await)
    })
    .await?;
    check(
        note.starts_with("Ollama chosen."),
        format!("the note says Ollama was chosen: {note:?}"),
    )?;
    for (id, expected) in [
        ("setting-ai_provider", "openai"),
        ("setting-ai_base_url", "http://localhost:11434/v1"),
        ("setting-ai_model", "llama3.1"),
    ] {
        let value = find_css(client, &format!("#{id}"))
            .await?
            .prop("value")
            .await
            .map_err(|e| format!("reading #{id}: {e}"))?;
        check(
            value.as_deref() == Some(expected),
            format!("#{id} holds {expected:?}: {value:?}"),
        )?;
    }
    let pressed = find_css(client, "#preset-ollama")
        .await?
        .attr("aria-pressed")
        .await
        .map_err(|e| format!("reading the preset: {e}"))?;
    check(
        pressed.as_deref() == Some("true"),
        format!("the Ollama preset shows as chosen: {pressed:?}"),
    )?;
    let status = text_of(client, "ai-status").await.unwrap_or_default();
    check(
        status.contains("The AI is on") && status.contains("llama3.1"),
        format!("the AI is on with Ollama's model, without a key: {status:?}"),
    )
}

/// A vague question offers rephrasings; clicking one asks it and answers with a table. The
/// planner is unsure of it, so it goes to the AI, whose scripted reply asks back with
/// [`AI_OPTIONS`]; the picked rephrasing is answered locally and sends nothing.
async fn clarify_then_pick(client: &Client, server: &Server) -> Outcome {
    let clarify = json!({
        "kind": "clarify",
        "explanation": "\"How we are doing\" could mean sales by region or the best sellers.",
        "options": AI_OPTIONS,
    });
    server.push(perplexity::agent_ok(
        &clarify.to_string(),
        AgentUsage::new(1_200, 40, 0.0012, 0.00004, 0.0),
    ));
    let input = client
        .find(Locator::Id("question"))
        .await
        .map_err(|e| format!("no ask box: {e}"))?;
    input
        .clear()
        .await
        .map_err(|e| format!("clearing the ask box: {e}"))?;
    // Enter, not a click: the ask box submits on the Enter key.
    input
        .send_keys(&format!("{VAGUE}{}", Key::Enter))
        .await
        .map_err(|e| format!("typing a vague question: {e}"))?;
    let option = poll(
        "rephrasings to pick from",
        Duration::from_secs(30),
        || async {
            Ok(client
                .find_all(Locator::Css("#answer button.option"))
                .await
                .ok()
                .and_then(|options| options.into_iter().next()))
        },
    )
    .await?;
    let offered = option_texts(client).await?;
    check(
        offered == AI_OPTIONS,
        format!("the AI's rephrasings are offered: {offered:?}"),
    )?;
    let cost = text_of(client, "cost").await.unwrap_or_default();
    check(
        cost.contains("Written by the AI"),
        format!("the cost line says the AI asked back: {cost:?}"),
    )?;
    let sent = sent_so_far(server, 2, "the vague question")?;
    check_agent_request(&sent[1], VAGUE)?;
    let picked = option
        .text()
        .await
        .map_err(|e| format!("reading the first rephrasing: {e}"))?;
    option
        .click()
        .await
        .map_err(|e| format!("clicking {picked:?}: {e}"))?;
    poll(
        "the picked rephrasing's answer",
        Duration::from_secs(30),
        || async {
            let asked = input.prop("value").await.ok().flatten().unwrap_or_default();
            Ok((asked == picked && text_of(client, "result-table").await.is_some()).then_some(()))
        },
    )
    .await?;
    sent_so_far(
        server,
        2,
        "the picked rephrasing, which the planner answers",
    )
    .map(|_| ())
}

/// Under the answer, a chip says what "price" was read as. Opening it offers the other columns it
/// could mean; picking `unit_cost` saves "price = unit cost" in the glossary and asks again, and
/// the new answer averages the unit cost. "This is right" on another chip only marks it.
async fn a_word_is_taught_in_one_click(client: &Client, data: &Path) -> Outcome {
    const CHIP: &str = r#"#mappings button.mapping-chip[data-said="price"]"#;
    const UNIT_COST: &str = r#"#mappings button.mapping-alternative[data-column="unit_cost"]"#;
    ask(client, TAUGHT).await?;
    let chip = poll(
        "a chip saying what \"price\" was read as",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of an answer: {error}"
                ));
            }
            Ok(if answered(client).await == TAUGHT {
                client.find(Locator::Css(CHIP)).await.ok()
            } else {
                None
            })
        },
    )
    .await?;
    let label = chip
        .text()
        .await
        .map_err(|e| format!("reading the chip: {e}"))?;
    check(
        label.contains("price → unit price"),
        format!("the chip says \"price\" was read as the unit price: {label:?}"),
    )?;
    let sql = shown_sql(client).await?;
    check(
        sql.contains("AVG(unit_price)"),
        format!("before teaching, the unit price is averaged: {sql:?}"),
    )?;

    chip.click()
        .await
        .map_err(|e| format!("opening the chip: {e}"))?;
    let unit_cost = poll(
        "the other columns \"price\" could mean",
        Duration::from_secs(10),
        || async {
            let found = client.find(Locator::Css(UNIT_COST)).await.ok();
            Ok(match found {
                Some(button) if button.is_displayed().await.unwrap_or(false) => Some(button),
                _ => None,
            })
        },
    )
    .await?;
    let confirm = find_css(
        client,
        r#"#mappings button.mapping-chip[data-said="price"] + .mapping-menu .mapping-confirm"#,
    )
    .await?;
    check(
        confirm.is_displayed().await.unwrap_or(false),
        "the open chip offers \"This is right\"".into(),
    )?;
    screenshot(client, "window-mapping.png").await?;
    unit_cost
        .click()
        .await
        .map_err(|e| format!("picking unit cost: {e}"))?;

    let interpretation = poll(
        "the question asked again with the new meaning",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!("teaching the word showed an error: {error}"));
            }
            let shown = match client.find(Locator::Css("#answer .interpretation")).await {
                Ok(p) => p.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            Ok(
                (answered(client).await == TAUGHT && shown.contains("your glossary"))
                    .then_some(shown),
            )
        },
    )
    .await?;
    check(
        interpretation.contains("price = unit cost"),
        format!("the interpretation names the new glossary entry: {interpretation:?}"),
    )?;
    let sql = shown_sql(client).await?;
    check(
        sql.contains("AVG(unit_cost)"),
        format!("the answer now averages the unit cost: {sql:?}"),
    )?;
    let label = find_css(client, CHIP)
        .await?
        .text()
        .await
        .map_err(|e| format!("reading the chip again: {e}"))?;
    check(
        label.contains("price → unit cost"),
        format!("the chip keeps the person's word with its new column: {label:?}"),
    )?;
    let meaning = glossary_meaning(data, "price")?;
    check(
        meaning.as_deref() == Some("unit cost"),
        format!("the glossary has price = unit cost: {meaning:?}"),
    )?;

    // "This is right" marks a chip and saves nothing.
    let category = find_css(
        client,
        r#"#mappings button.mapping-chip[data-said="category"]"#,
    )
    .await?;
    category
        .click()
        .await
        .map_err(|e| format!("opening the category chip: {e}"))?;
    let confirm = find_css(
        client,
        r#"#mappings button.mapping-chip[data-said="category"] + .mapping-menu .mapping-confirm"#,
    )
    .await?;
    confirm
        .click()
        .await
        .map_err(|e| format!("confirming the category chip: {e}"))?;
    poll("the confirmed chip", Duration::from_secs(5), || async {
        let class = category
            .attr("class")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        Ok(class
            .split_whitespace()
            .any(|c| c == "confirmed")
            .then_some(()))
    })
    .await?;
    let kept = glossary_meaning(data, "category")?;
    check(
        kept.is_none(),
        format!("confirming saves nothing: {kept:?}"),
    )
}

/// The SQL of the shown answer (its collapsible panel's text, even when closed).
async fn shown_sql(client: &Client) -> Result<String, String> {
    find_css(client, "#code pre")
        .await?
        .prop("textContent")
        .await
        .map_err(|e| format!("reading the SQL: {e}"))
        .map(Option::unwrap_or_default)
}

/// What the app database's glossary says `term` means, if anything.
fn glossary_meaning(data: &Path, term: &str) -> Result<Option<String>, String> {
    let path = plainsight_core::datadir::app_db_path(data);
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
    let mut select = conn
        .prepare("SELECT meaning FROM glossary WHERE term = ?1")
        .map_err(|e| format!("reading the glossary: {e}"))?;
    let mut rows = select
        .query_map([term], |row| row.get::<_, String>(0))
        .map_err(|e| format!("reading the glossary: {e}"))?;
    rows.next()
        .transpose()
        .map_err(|e| format!("reading a glossary entry: {e}"))
}

/// On the Data screen: add the CSV by its path, see what the import did, find the new table in
/// the sources list (active, with its row count) and preview it.
async fn import_a_csv(client: &Client, csv: &Path) -> Outcome {
    click(client, "nav-data").await?;
    let path_box = poll(
        "the Data screen's path box",
        Duration::from_secs(10),
        || async {
            let found = client.find(Locator::Id("file-path")).await.ok();
            Ok(match found {
                Some(input) if input.is_displayed().await.unwrap_or(false) => Some(input),
                _ => None,
            })
        },
    )
    .await?;
    // The sources list shows the sample data, active, before anything is added.
    poll(
        "the sample data in the sources list",
        Duration::from_secs(20),
        || async {
            Ok(text_of(client, "sources")
                .await
                .filter(|t| t.contains("Sample shop") && t.contains("Questions go here")))
        },
    )
    .await?;
    path_box
        .send_keys(&csv.display().to_string())
        .await
        .map_err(|e| format!("typing the CSV's path: {e}"))?;
    click(client, "add-file").await?;

    let summary = poll("the import summary", Duration::from_secs(60), || async {
        if let Some(error) = text_of(client, "data-error").await {
            return Err(format!(
                "the Data screen showed an error instead of importing: {error}"
            ));
        }
        Ok(text_of(client, "import-summary").await)
    })
    .await?;
    for expected in [
        "sales",
        "5 rows imported",
        "1 row was skipped",
        "line 7",
        "region",
        "amount",
    ] {
        check(
            summary.contains(expected),
            format!("the import summary says {expected:?}:\n{summary}"),
        )?;
    }
    let types = client
        .find_all(Locator::Css("#import-summary select.column-type"))
        .await
        .map_err(|e| format!("column types: {e}"))?;
    check(
        types.len() == 2,
        format!("one type choice per column, found {}", types.len()),
    )?;
    let note = text_of(client, "data-note").await.unwrap_or_default();
    check(
        note.contains("Imported 5 rows"),
        format!("the note says what was imported: {note:?}"),
    )?;
    client
        .execute(
            "document.getElementById('import-summary').scrollIntoView({ block: 'center' });",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to the import summary: {e}"))?;
    screenshot(client, "window-import.png").await?;
    reimport_as_decimals(client).await?;

    let active = client
        .find(Locator::Css("#sources .source.active"))
        .await
        .map_err(|e| format!("no active source: {e}"))?;
    let active_text = active
        .text()
        .await
        .map_err(|e| format!("reading the active source: {e}"))?;
    for expected in ["Imported files", "Questions go here", "sales", "5 rows"] {
        check(
            active_text.contains(expected),
            format!("the active source shows {expected:?}:\n{active_text}"),
        )?;
    }
    let sources = text_of(client, "sources").await.unwrap_or_default();
    check(
        sources.contains("Sample shop"),
        format!("the sample data is still listed:\n{sources}"),
    )?;

    active
        .find(Locator::Css(r#"button.table-link[data-table="sales"]"#))
        .await
        .map_err(|e| format!("no \"sales\" table to preview: {e}"))?
        .click()
        .await
        .map_err(|e| format!("clicking the \"sales\" table: {e}"))?;
    let preview = poll("the table preview", Duration::from_secs(20), || async {
        if let Some(error) = text_of(client, "data-error").await {
            return Err(format!("the preview failed: {error}"));
        }
        Ok(text_of(client, "preview-table")
            .await
            .filter(|t| t.contains("West")))
    })
    .await?;
    for expected in ["Region", "Amount", "North", "South", "East", "West", "40"] {
        check(
            preview.contains(expected),
            format!("the preview shows {expected:?}:\n{preview}"),
        )?;
    }
    client
        .execute(
            "for (const main of document.querySelectorAll('main')) { main.scrollTop = 0; }",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling the Data screen to the top: {e}"))?;
    screenshot(client, "window-data.png").await
}

/// Correcting a column's type and re-importing replaces the table with the chosen types.
async fn reimport_as_decimals(client: &Client) -> Outcome {
    let amount_type = client
        .find(Locator::Css(
            r#"#import-summary select.column-type[aria-label="Type of column amount"]"#,
        ))
        .await
        .map_err(|e| format!("no type choice for \"amount\": {e}"))?;
    amount_type
        .select_by_value("real")
        .await
        .map_err(|e| format!("choosing Decimal number for \"amount\": {e}"))?;
    click(client, "reimport").await?;
    let note = poll("the re-import", Duration::from_secs(30), || async {
        if let Some(error) = text_of(client, "data-error").await {
            return Err(format!("re-importing showed an error: {error}"));
        }
        Ok(text_of(client, "data-note")
            .await
            .filter(|n| n.contains("Re-imported")))
    })
    .await?;
    check(
        note.contains("5 rows") && note.contains("sales"),
        format!("the note says what was re-imported: {note:?}"),
    )?;
    let amount_type = client
        .find(Locator::Css(
            r#"#import-summary select.column-type[aria-label="Type of column amount"]"#,
        ))
        .await
        .map_err(|e| format!("no type choice for \"amount\" after re-importing: {e}"))?;
    let chosen = amount_type
        .prop("value")
        .await
        .map_err(|e| format!("reading the type of \"amount\": {e}"))?;
    check(
        chosen.as_deref() == Some("real"),
        format!("\"amount\" is now a decimal number: {chosen:?}"),
    )
}

/// Back on the Ask screen, questions go to the imported table.
async fn ask_about_the_import(client: &Client) -> Outcome {
    const ASKED: &str = "total amount by region";
    click(client, "nav-ask").await?;
    let asking = poll(
        "the Ask screen naming the imported files",
        Duration::from_secs(10),
        || async { Ok(text_of(client, "asking").await.filter(|t| !t.is_empty())) },
    )
    .await?;
    check(
        asking.contains("Imported files"),
        format!("the Ask screen says where questions go: {asking:?}"),
    )?;

    let input = client
        .find(Locator::Id("question"))
        .await
        .map_err(|e| format!("no ask box: {e}"))?;
    input
        .clear()
        .await
        .map_err(|e| format!("clearing the ask box: {e}"))?;
    input
        .send_keys(&format!("{ASKED}{}", Key::Enter))
        .await
        .map_err(|e| format!("typing {ASKED:?}: {e}"))?;
    let table = poll(
        "the totals of the imported regions",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of an answer: {error}"
                ));
            }
            let heading = client
                .find(Locator::Css("#answer .answer-question"))
                .await
                .ok();
            let asked = match heading {
                Some(h) => h.text().await.unwrap_or_default(),
                None => String::new(),
            };
            Ok(if asked == ASKED {
                text_of(client, "result-table").await
            } else {
                None
            })
        },
    )
    .await?;
    for (region, total) in REGION_TOTALS {
        let row = table
            .lines()
            .find(|line| line.contains(region))
            .unwrap_or_default();
        check(
            row.contains(total),
            format!("{region} totals {total}:\n{table}"),
        )?;
    }
    let sql = client
        .find(Locator::Css("#code pre"))
        .await
        .map_err(|e| format!("no SQL block: {e}"))?
        .prop("textContent")
        .await
        .map_err(|e| format!("reading the SQL: {e}"))?
        .unwrap_or_default();
    check(
        sql.contains("sales"),
        format!("the SQL reads the imported table: {sql:?}"),
    )?;
    screenshot(client, "window-imported-answer.png").await
}

/// A path with no file behind it is refused in plain words.
async fn a_missing_file_is_named(client: &Client, missing: &Path) -> Outcome {
    click(client, "nav-data").await?;
    let path_box = client
        .find(Locator::Id("file-path"))
        .await
        .map_err(|e| format!("no path box: {e}"))?;
    path_box
        .clear()
        .await
        .map_err(|e| format!("clearing the path box: {e}"))?;
    path_box
        .send_keys(&missing.display().to_string())
        .await
        .map_err(|e| format!("typing a missing path: {e}"))?;
    click(client, "add-file").await?;
    let error = poll(
        "an error about the missing file",
        Duration::from_secs(20),
        || async { Ok(text_of(client, "data-error").await) },
    )
    .await?;
    check(
        error.contains("There is no file at") && error.contains("missing.csv"),
        format!("the error names the missing file: {error:?}"),
    )
}

/// "Test connection" reaches the engine with the form and says plainly why it failed. (The
/// PostgreSQL tests cover real connections; here nothing listens on the port.)
async fn an_unreachable_server_is_named(client: &Client) -> Outcome {
    for (id, value) in [
        ("pg-port", free_port().to_string()),
        ("pg-database", "shop".into()),
        ("pg-user", "reader".into()),
    ] {
        let field = client
            .find(Locator::Id(id))
            .await
            .map_err(|e| format!("no #{id}: {e}"))?;
        field
            .clear()
            .await
            .map_err(|e| format!("clearing #{id}: {e}"))?;
        field
            .send_keys(&value)
            .await
            .map_err(|e| format!("typing into #{id}: {e}"))?;
    }
    click(client, "pg-test").await?;
    let error = poll(
        "the failed connection test",
        Duration::from_secs(30),
        || async { Ok(text_of(client, "data-error").await) },
    )
    .await?;
    check(
        error.to_lowercase().contains("could not connect") && error.contains("127.0.0.1"),
        format!("the error says the server could not be reached: {error:?}"),
    )?;
    let test = client
        .find(Locator::Id("pg-test"))
        .await
        .map_err(|e| format!("no #pg-test: {e}"))?;
    check(
        test.is_enabled().await.unwrap_or(false),
        "Test connection is enabled again".into(),
    )
}

/// The server form as MariaDB/MySQL: the test MariaDB server's `shop` database through its
/// SELECT-only account (`scripts/test` starts the server; `tests/mysql.rs` loads it). Test
/// connection counts its tables, Add makes it active, a question is answered from it in its
/// dialect, and the sample data is made active again for the steps after.
async fn a_mariadb_database_is_added_and_answers(client: &Client) -> Outcome {
    // Loading blocks on a runtime of its own: not on this async test's thread.
    let url = std::thread::spawn(crate::mysql::shop_url)
        .join()
        .map_err(|_| "loading the sample into MariaDB failed")?;
    let (creds, rest) = url
        .trim_start_matches("mysql://")
        .split_once('@')
        .ok_or("the shop URL has credentials")?;
    let (user, password) = creds.split_once(':').ok_or("user:password")?;
    let (host_port, database) = rest.split_once('/').ok_or("host/db")?;
    let (host, port) = host_port.split_once(':').ok_or("host:port")?;
    click(client, "nav-data").await?;
    find_css(client, "#pg-engine")
        .await?
        .select_by_value("mysql")
        .await
        .map_err(|e| format!("choosing MariaDB or MySQL: {e}"))?;
    for (id, value) in [
        ("pg-host", host),
        ("pg-port", port),
        ("pg-database", database),
        ("pg-user", user),
        ("pg-password", password),
    ] {
        let field = find_css(client, &format!("#{id}")).await?;
        field
            .clear()
            .await
            .map_err(|e| format!("clearing #{id}: {e}"))?;
        field
            .send_keys(value)
            .await
            .map_err(|e| format!("typing into #{id}: {e}"))?;
    }
    click(client, "pg-test").await?;
    let note = poll(
        "the MariaDB connection test",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "data-error").await {
                return Err(format!("testing the MariaDB connection failed: {error}"));
            }
            Ok(text_of(client, "data-note")
                .await
                .filter(|n| n.starts_with("Connected.")))
        },
    )
    .await?;
    check(
        note.contains("6 tables"),
        format!("the test counts the five tables and the view: {note:?}"),
    )?;
    click(client, "pg-add").await?;
    let mysql = r#"#sources .source[data-kind="mysql"]"#;
    poll(
        "the MariaDB source active",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "data-error").await {
                return Err(format!("adding the MariaDB database failed: {error}"));
            }
            Ok(client
                .find(Locator::Css(&format!("{mysql}.active")))
                .await
                .ok())
        },
    )
    .await?;
    let card = find_css(client, mysql)
        .await?
        .text()
        .await
        .unwrap_or_default();
    check(
        card.contains("MariaDB/MySQL database, read-only") && !card.contains(password),
        format!("the card says what it is, without the password: {card:?}"),
    )?;
    const ASKED: &str = "revenue by region last month";
    ask(client, ASKED).await?;
    let table = poll(
        "the answer from MariaDB",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of an answer: {error}"
                ));
            }
            Ok(if answered(client).await == ASKED {
                text_of(client, "result-table").await
            } else {
                None
            })
        },
    )
    .await?;
    check(
        ["North", "South", "East", "West", "Central"]
            .iter()
            .all(|r| table.contains(r)),
        format!("five regions from MariaDB:\n{table}"),
    )?;
    let sql = shown_sql(client).await?;
    check(
        !sql.contains("strftime"),
        format!("the SQL is MariaDB's, not SQLite's: {sql:?}"),
    )?;
    screenshot(client, "window-mariadb-answer.png").await?;
    click(client, "nav-data").await?;
    let sample = r#"#sources .source[data-kind="sample"]"#;
    find_css(client, &format!("{sample} button.use-source"))
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking Use for questions: {e}"))?;
    poll(
        "the sample data active again",
        Duration::from_secs(20),
        || async {
            Ok(client
                .find(Locator::Css(&format!("{sample}.active")))
                .await
                .ok())
        },
    )
    .await
    .map(drop)
}

/// WebDriver cannot drag a file in from a file manager, so the test sends the events Tauri sends
/// then (`tauri://drag-enter`, `tauri://drag-drop`) through Tauri's own event bus.
async fn a_dropped_file_is_added(client: &Client, csv: &Path) -> Outcome {
    click(client, "nav-ask").await?;
    let path = csv.display().to_string();
    emit(
        client,
        "tauri://drag-enter",
        json!({ "paths": [path], "position": { "x": 400, "y": 300 } }),
    )
    .await?;
    poll("the drop overlay", Duration::from_secs(10), || async {
        Ok(client
            .find(Locator::Css(".drop-overlay"))
            .await
            .ok()
            .map(|_| ()))
    })
    .await?;
    emit(
        client,
        "tauri://drag-drop",
        json!({ "paths": [path], "position": { "x": 400, "y": 300 } }),
    )
    .await?;
    let note = poll("the dropped file's import", Duration::from_secs(30), || async {
        if let Some(error) = text_of(client, "data-error").await.filter(|e| !e.is_empty()) {
            return Err(format!("the Data screen showed an error instead of importing the dropped file: {error}"));
        }
        Ok(text_of(client, "data-note").await.filter(|n| n.contains("targets")))
    })
    .await?;
    check(
        note.contains("Imported 2 rows"),
        format!("the note says what was imported: {note:?}"),
    )?;
    check(
        client.find(Locator::Css(".drop-overlay")).await.is_err(),
        "the drop overlay is gone after the drop".into(),
    )?;
    let sources = text_of(client, "sources").await.unwrap_or_default();
    check(
        sources.contains("targets") && sources.contains("sales"),
        format!("both imported tables are listed:\n{sources}"),
    )
}

/// A big import shows its progress and stops, changing nothing, when cancelled.
async fn a_long_import_can_be_cancelled(client: &Client, csv: &Path) -> Outcome {
    let path_box = client
        .find(Locator::Id("file-path"))
        .await
        .map_err(|e| format!("no path box: {e}"))?;
    path_box
        .clear()
        .await
        .map_err(|e| format!("clearing the path box: {e}"))?;
    path_box
        .send_keys(&csv.display().to_string())
        .await
        .map_err(|e| format!("typing the big CSV's path: {e}"))?;
    click(client, "add-file").await?;
    // The bar is indeterminate while the file is read, then counts rows.
    let status = poll("the import's progress", Duration::from_secs(60), || async {
        if let Some(error) = text_of(client, "data-error").await {
            return Err(format!("the big import failed: {error}"));
        }
        let status = client.find(Locator::Css(".progress-text")).await.ok();
        Ok(match status {
            Some(status) => status
                .text()
                .await
                .ok()
                .filter(|t| t.starts_with("Importing:")),
            None => None,
        })
    })
    .await?;
    check(
        status.ends_with("of 2,000,000 rows"),
        format!("the progress counts the rows: {status:?}"),
    )?;
    let bar = client
        .find(Locator::Id("import-progress"))
        .await
        .map_err(|e| format!("no progress bar: {e}"))?;
    let max = bar
        .attr("max")
        .await
        .map_err(|e| format!("reading the bar's max: {e}"))?;
    check(
        max == Some(BIG_ROWS.to_string()),
        format!("the bar runs to the row count: {max:?}"),
    )?;
    screenshot(client, "window-import-progress.png").await?;
    click(client, "cancel-import").await?;
    let note = poll(
        "the cancelled import's note",
        Duration::from_secs(60),
        || async {
            if let Some(error) = text_of(client, "data-error").await {
                return Err(format!("cancelling showed an error: {error}"));
            }
            Ok(text_of(client, "data-note")
                .await
                .filter(|n| n.contains("cancelled")))
        },
    )
    .await?;
    check(
        note.contains("nothing was changed"),
        format!("the note says nothing changed: {note:?}"),
    )?;
    check(
        client.find(Locator::Id("import-progress")).await.is_err(),
        "the progress bar is gone".into(),
    )?;
    let sources = text_of(client, "sources").await.unwrap_or_default();
    check(
        !sources.contains("big"),
        format!("the cancelled table is not listed:\n{sources}"),
    )
}

/// "Use for questions" switches back to the sample data; "Remove" asks first, then forgets the
/// imported files (and questions stay with the sample data).
async fn switch_and_remove(client: &Client) -> Outcome {
    let sample = r#"#sources .source[data-kind="sample"]"#;
    let imported = r#"#sources .source[data-kind="workspace"]"#;
    find_css(client, &format!("{sample} button.use-source"))
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking Use for questions: {e}"))?;
    poll(
        "the sample data active again",
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "data-error").await {
                return Err(format!("switching source showed an error: {error}"));
            }
            Ok(client
                .find(Locator::Css(&format!("{sample}.active")))
                .await
                .ok())
        },
    )
    .await?;
    let note = text_of(client, "data-note").await.unwrap_or_default();
    check(
        note.contains("Questions now go to Sample shop"),
        format!("the note says where questions go: {note:?}"),
    )?;

    find_css(client, &format!("{imported} button.remove-source"))
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking Remove: {e}"))?;
    let confirm = find_css(client, &format!("{imported} .confirm")).await?;
    let question = confirm.text().await.unwrap_or_default();
    check(
        question.contains("The file itself is not deleted"),
        format!("removing says the file stays: {question:?}"),
    )?;
    find_css(client, &format!("{imported} button.confirm-remove"))
        .await?
        .click()
        .await
        .map_err(|e| format!("confirming Remove: {e}"))?;
    poll(
        "the imported files gone from the list",
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "data-error").await {
                return Err(format!("removing showed an error: {error}"));
            }
            Ok(client
                .find(Locator::Css(imported))
                .await
                .is_err()
                .then_some(()))
        },
    )
    .await?;
    let note = text_of(client, "data-note").await.unwrap_or_default();
    check(
        note.contains("Removed “Imported files”"),
        format!("the note says what was removed: {note:?}"),
    )?;
    check(
        client
            .find(Locator::Css(&format!("{sample} button.remove-source")))
            .await
            .is_err(),
        "the sample data has no Remove button".into(),
    )
}

/// Back on the Ask screen, a question the planner cannot answer: the AI writes a self-join, the
/// app checks and runs it, and shows what it cost and exactly what was sent (no customer names).
async fn the_ai_answers_what_the_planner_cannot(
    client: &Client,
    server: &Server,
    data: &Path,
) -> Outcome {
    let reply = json!({
        "kind": "answer",
        "language": "sql",
        "code": BOUGHT_TOGETHER,
        "explanation": "Pairs of products bought in the same order, counted.",
        "chart_hint": "bar",
        "assumptions": [],
    });
    server.push(perplexity::agent_ok(
        &format!("<think>pairs of products: a self-join of order_items on order_id</think>{reply}"),
        AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0),
    ));
    ask(client, AI_QUESTION).await?;
    approve_the_estimate(client, server).await?;
    let table = poll("the AI's answer", Duration::from_secs(60), || async {
        if let Some(error) = text_of(client, "error").await {
            return Err(format!(
                "the app showed an error instead of the AI's answer: {error}"
            ));
        }
        Ok(if answered(client).await == AI_QUESTION {
            text_of(client, "result-table").await
        } else {
            None
        })
    })
    .await?;
    let rows = client
        .find_all(Locator::Css("#result-table tbody tr"))
        .await
        .map_err(|e| format!("reading the table's rows: {e}"))?;
    check(
        rows.len() == 5,
        format!(
            "the table has the query's 5 rows, found {}:\n{table}",
            rows.len()
        ),
    )?;
    check(
        table.contains("Orders together"),
        format!("the table has the query's columns:\n{table}"),
    )?;
    let cost = text_of(client, "cost").await.unwrap_or_default();
    for expected in ["Written by the AI", "Cost: $0.0025"] {
        check(
            cost.contains(expected),
            format!("the cost line says {expected:?}: {cost:?}"),
        )?;
    }
    let estimate = find_css(client, "#answer .estimate")
        .await?
        .text()
        .await
        .map_err(|e| format!("reading the estimate: {e}"))?;
    check(
        estimate.starts_with("Estimated about $") && estimate.contains("(at most $"),
        format!("the answer says what the AI was estimated to cost: {estimate:?}"),
    )?;
    let sent = sent_so_far(server, 3, "the question for the AI")?;
    check_agent_request(&sent[2], AI_QUESTION)?;
    let stages = timing_stages(client).await?;
    check(
        stages.iter().any(|s| s == "AI"),
        format!("the timing line (#answer-timings) names the time the AI took: {stages:?}"),
    )?;
    screenshot(client, "window-ai-answer.png").await?;

    let receipt = find_css(client, "#privacy-receipt").await?;
    find_css(client, "#privacy-receipt summary")
        .await?
        .click()
        .await
        .map_err(|e| format!("opening What was sent to the AI: {e}"))?;
    let opened = receipt
        .attr("open")
        .await
        .map_err(|e| format!("reading whether the receipt is open: {e}"))?;
    check(
        opened.is_some(),
        "clicking its summary opens the privacy receipt".into(),
    )?;
    let sent_text = receipt
        .text()
        .await
        .map_err(|e| format!("reading the privacy receipt: {e}"))?;
    check(
        sent_text.contains(AI_QUESTION),
        format!("the receipt shows the question:\n{sent_text}"),
    )?;
    let names = customer_names(&data.join("sample.sqlite"))?;
    check(!names.is_empty(), "the sample data has customers".into())?;
    if let Some(name) = names.iter().find(|name| sent_text.contains(name.as_str())) {
        return Err(format!(
            "the receipt holds the customer name {name:?}:\n{sent_text}"
        ));
    }
    Ok(())
}

/// The same question again: the answer cache answers it, so nothing is sent to the AI (no scripted
/// reply is used up) and no approval is asked for even with the limit still at $0; the cached
/// query runs again and the answer says what that saved.
async fn the_cache_answers_again(client: &Client, server: &Server) -> Outcome {
    ask(client, AI_QUESTION).await?;
    // The AI's first answer is on screen until the new one replaces it: only the badge tells them
    // apart.
    let badge = poll(
        "the answer from the cache",
        Duration::from_secs(60),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of the cached answer: {error}"
                ));
            }
            if shown(client, "approval-dialog").await.is_some() {
                return Err(
                    "the cached answer waited for approval: a cache hit needs no AI and no budget"
                        .into(),
                );
            }
            Ok(if answered(client).await == AI_QUESTION {
                shown(client, "cache-badge").await
            } else {
                None
            })
        },
    )
    .await?;
    let label = badge
        .text()
        .await
        .map_err(|e| format!("reading the cache badge: {e}"))?;
    check(
        label.starts_with("From cache"),
        format!("the badge says the answer came from the cache: {label:?}"),
    )?;
    let said = find_css(client, "#answer .answer-card p.message")
        .await?
        .text()
        .await
        .map_err(|e| format!("reading the message: {e}"))?;
    check(
        said.starts_with("Answered from cache"),
        format!("the message says the cache answered: {said:?}"),
    )?;
    check(
        said.contains("saved $0.0025"),
        format!("the message says what the cache saved: {said:?}"),
    )?;
    let rows = client
        .find_all(Locator::Css("#result-table tbody tr"))
        .await
        .map_err(|e| format!("reading the table's rows: {e}"))?;
    check(
        rows.len() == 5,
        format!(
            "the cached query ran again and shows its 5 rows, found {}",
            rows.len()
        ),
    )?;
    let cost = text_of(client, "cost").await.unwrap_or_default();
    check(
        cost.contains("no cost"),
        format!("the cost line says the answer cost nothing: {cost:?}"),
    )?;
    check(
        client.find(Locator::Id("privacy-receipt")).await.is_err(),
        "nothing was sent, so there is no privacy receipt".into(),
    )?;
    sent_so_far(
        server,
        3,
        "the same question again, answered from the cache",
    )?;
    let stages = timing_stages(client).await?;
    check(
        !stages.iter().any(|s| s == "AI"),
        format!("a cached answer spent no time on the AI: {stages:?}"),
    )?;
    screenshot(client, "window-cache-hit.png").await
}

/// Settings → Cache shows the cache's figures (the one answer the AI wrote, what reusing it
/// saved); "Clear cache" asks first, then forgets it and the figures say so.
async fn the_settings_show_and_clear_the_cache(client: &Client) -> Outcome {
    click(client, "nav-settings").await?;
    let stats = poll("the cache's figures", Duration::from_secs(20), || async {
        if let Some(error) = text_of(client, "settings-error").await {
            return Err(format!("the Settings screen showed an error: {error}"));
        }
        Ok(content_of(client, "cache-stats")
            .await
            .filter(|t| t.contains(" cached ·")))
    })
    .await?;
    check(
        stats.starts_with("1 answer cached"),
        format!("the cache holds the AI's one answer: {stats:?}"),
    )?;
    for expected in [
        "% exact hits",
        "% similar-question hits",
        "saved $0.0025",
        "ms on average",
    ] {
        check(
            stats.contains(expected),
            format!("the cache's figures include {expected:?}: {stats:?}"),
        )?;
    }
    check(
        !stats.contains(" 0% exact hits"),
        format!("the repeated question counts as an exact hit: {stats:?}"),
    )?;
    client
        .execute(
            "document.getElementById('cache-stats').scrollIntoView({ block: 'center' });",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to the cache: {e}"))?;
    screenshot(client, "window-settings-cache.png").await?;

    click(client, "cache-clear").await?;
    let confirm = find_css(client, "#settings-cache .confirm").await?;
    let asked = confirm.text().await.unwrap_or_default();
    check(
        asked.contains("Forget every cached answer"),
        format!("Clear cache asks first: {asked:?}"),
    )?;
    click(client, "cache-confirm-clear").await?;
    let note = poll("the cache cleared", Duration::from_secs(20), || async {
        if let Some(error) = text_of(client, "settings-error").await {
            return Err(format!("clearing the cache showed an error: {error}"));
        }
        Ok(text_of(client, "settings-note")
            .await
            .filter(|n| n.contains("Cache cleared")))
    })
    .await?;
    check(!note.is_empty(), "a note says the cache was cleared".into())?;
    poll(
        "the emptied cache's figures",
        Duration::from_secs(20),
        || async {
            Ok(content_of(client, "cache-stats")
                .await
                .filter(|t| t.starts_with("0 answers cached")))
        },
    )
    .await?;
    check(
        client
            .find(Locator::Css("#settings-cache .confirm"))
            .await
            .is_err(),
        "the confirmation closes once cleared".into(),
    )
}

/// Settings → Diagnostics: "Copy diagnostics" shows the version, the platform and the end of the
/// log in a read-only box (and puts it on the clipboard if the webview allows it, or says to copy
/// it by hand), with the key the test saved, tested and had rejected masked.
async fn diagnostics_are_copied_without_keys(client: &Client) -> Outcome {
    click(client, "nav-settings").await?;
    poll(
        "the Diagnostics section",
        Duration::from_secs(10),
        || async { Ok(shown(client, "copy-diagnostics").await) },
    )
    .await?;
    client
        .execute(
            "document.getElementById('settings-diagnostics').scrollIntoView({ block: 'start' });",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to Diagnostics: {e}"))?;
    let section = content_of(client, "settings-diagnostics")
        .await
        .unwrap_or_default();
    for expected in ["Langfuse server", "Log detail"] {
        check(
            section.contains(expected),
            format!("the Diagnostics section holds the {expected:?} setting:\n{section}"),
        )?;
    }
    click(client, "copy-diagnostics").await?;
    let said = poll(
        "the diagnostics copied or shown",
        Duration::from_secs(30),
        || async {
            Ok(text_of(client, "diagnostics-status")
                .await
                .filter(|s| !s.is_empty()))
        },
    )
    .await?;
    check(
        said.contains("Copied to the clipboard")
            || said.contains("Select the text below and copy it"),
        format!("the diagnostics were copied, or the window says to copy them by hand: {said:?}"),
    )?;
    let text = find_css(client, "#diagnostics-text")
        .await?
        .prop("value")
        .await
        .map_err(|e| format!("reading the diagnostics: {e}"))?;
    let text = text.unwrap_or_default();
    check(
        text.starts_with("Plainsight "),
        format!("the diagnostics start with the version:\n{text}"),
    )?;
    check(
        text.contains("Log files:"),
        format!("the diagnostics say how many log files there are:\n{text}"),
    )?;
    // The whole key, and what follows its prefix (in case only the prefix were masked).
    for secret in [KEY, KEY.trim_start_matches("pplx-")] {
        check(
            !text.contains(secret),
            format!("the diagnostics hold the API key {secret:?}:\n{text}"),
        )?;
    }
    let readonly = find_css(client, "#diagnostics-text")
        .await?
        .attr("readonly")
        .await
        .map_err(|e| format!("reading the box: {e}"))?;
    check(
        readonly.is_some(),
        "the diagnostics box is read-only".into(),
    )?;
    client
        .execute(
            "document.getElementById('diagnostics-text').scrollIntoView({ block: 'center' });",
            Vec::new(),
        )
        .await
        .map_err(|e| format!("scrolling to the diagnostics: {e}"))?;
    screenshot(client, "window-diagnostics.png").await
}

/// The shown answer's timing line ("Time: plan 3 ms · run 18 ms · chart 6 ms"): the stages it
/// names, each with a duration in ms or s; none when there is no line (every stage took under
/// 0.5 ms).
async fn timing_stages(client: &Client) -> Result<Vec<String>, String> {
    let Some(line) = text_of(client, "answer-timings").await else {
        return Ok(Vec::new());
    };
    let parts = line
        .strip_prefix("Time: ")
        .ok_or_else(|| format!("the timing line starts with \"Time: \": {line:?}"))?;
    let mut stages = Vec::new();
    for part in parts.split(" · ") {
        let mut words = part.split(' ');
        let (name, number, unit) = (
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
        );
        check(
            STAGES.contains(&name)
                && number.parse::<f64>().is_ok()
                && matches!(unit, "ms" | "s")
                && words.next().is_none(),
            format!("{part:?} in the timing line is a stage and how long it took: {line:?}"),
        )?;
        stages.push(name.to_string());
    }
    Ok(stages)
}

/// With the approval limit at $0, the question first waits for the person's OK: the dialog shows
/// the estimate and nothing is sent; "Spend up to …" asks again with that much allowed.
async fn approve_the_estimate(client: &Client, server: &Server) -> Outcome {
    let dialog = poll("the approval dialog", Duration::from_secs(60), || async {
        if let Some(error) = text_of(client, "error").await {
            return Err(format!(
                "the app showed an error instead of asking for approval: {error}"
            ));
        }
        if answered(client).await != AI_QUESTION {
            return Ok(None);
        }
        if let Some(table) = text_of(client, "result-table").await {
            return Err(format!(
                "the question was answered without waiting for approval:\n{table}"
            ));
        }
        Ok(shown(client, "approval-dialog").await)
    })
    .await?;
    let said = dialog
        .text()
        .await
        .map_err(|e| format!("reading the approval dialog: {e}"))?;
    check(
        said.contains("About $") && said.contains("(at most $"),
        format!("the dialog shows the estimate: {said:?}"),
    )?;
    let role = dialog
        .attr("role")
        .await
        .map_err(|e| format!("reading the dialog's role: {e}"))?;
    check(
        role.as_deref() == Some("dialog"),
        format!("the approval is a dialog: {role:?}"),
    )?;
    let spend = text_of(client, "approve-spend").await.unwrap_or_default();
    check(
        spend.starts_with("Spend up to $"),
        format!("the button says how much it allows: {spend:?}"),
    )?;
    check(
        client.find(Locator::Id("approve-cancel")).await.is_ok(),
        "the dialog offers Not now".into(),
    )?;
    sent_so_far(server, 2, "a question waiting for approval")?;
    screenshot(client, "window-approval.png").await?;
    click(client, "approve-spend").await
}

/// The Spending page: the global budget, the provider that answered, the day's spend drawn, and
/// the AI's answer with what it cost.
async fn the_spending_page_shows_what_the_ai_cost(client: &Client) -> Outcome {
    click(client, "nav-spending").await?;
    let page = poll(
        "the Spending page's budgets",
        Duration::from_secs(30),
        || async {
            if let Some(error) = text_of(client, "spending-error").await {
                return Err(format!("the Spending page showed an error: {error}"));
            }
            Ok(text_of(client, "spending-page")
                .await
                .filter(|t| t.contains("All AI spending")))
        },
    )
    .await?;
    check(
        page.contains("per day"),
        format!("the global budget is per day:\n{page}"),
    )?;
    let providers = text_of(client, "spending-providers")
        .await
        .unwrap_or_default();
    check(
        providers.contains("Perplexity: OK"),
        format!("Perplexity is answering: {providers:?}"),
    )?;
    check(
        client
            .find(Locator::Css("#spending-chart svg"))
            .await
            .is_ok(),
        format!("the day's spend is drawn:\n{page}"),
    )?;
    let recent = text_of(client, "spending-recent").await.unwrap_or_default();
    check(
        recent.contains(AI_QUESTION),
        format!("the AI's answer is listed with its cost:\n{recent}"),
    )?;
    screenshot(client, "window-spending.png").await
}

/// Saves one setting on the Settings screen, as a person would: type it and leave the field.
async fn set_setting(client: &Client, key: &str, value: &str) -> Outcome {
    click(client, "nav-settings").await?;
    let id = format!("setting-{key}");
    let field = poll(
        &format!("#{id} on the Settings screen"),
        Duration::from_secs(20),
        || async { Ok(shown(client, &id).await) },
    )
    .await?;
    client
        .execute(
            "document.getElementById(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(id)],
        )
        .await
        .map_err(|e| format!("scrolling to #{id}: {e}"))?;
    field
        .clear()
        .await
        .map_err(|e| format!("clearing #{id}: {e}"))?;
    field
        .send_keys(&format!("{value}{}", Key::Tab))
        .await
        .map_err(|e| format!("typing {value:?} into #{id}: {e}"))?;
    // Clearing the field may save (and refuse) an empty value first, so the field's own message
    // only counts if "Saved" never comes.
    let saved = poll(
        &format!("{key} saved as {value:?}"),
        Duration::from_secs(20),
        || async {
            if let Some(error) = text_of(client, "settings-error").await {
                return Err(format!("saving {key} = {value:?} showed an error: {error}"));
            }
            Ok(text_of(client, &format!("saved-{key}")).await)
        },
    )
    .await;
    match (saved, text_of(client, &format!("error-{key}")).await) {
        (Err(why), Some(refused)) => Err(format!("{why}; the field says: {refused}")),
        (saved, _) => saved.map(|_| ()),
    }
}

/// A rejected key: the answer says so in one plain sentence and still offers the planner's own
/// rephrasings.
async fn a_rejected_key_is_named_and_the_rephrasings_stay(
    client: &Client,
    server: &Server,
) -> Outcome {
    server.push(perplexity::unauthorized_html());
    ask(client, VAGUE).await?;
    let card = poll(
        "the answer to the vague question without the AI",
        Duration::from_secs(60),
        || async {
            if let Some(error) = text_of(client, "error").await {
                return Err(format!(
                    "the app showed an error instead of the offline answer: {error}"
                ));
            }
            Ok(if answered(client).await == VAGUE {
                text_of(client, "answer").await
            } else {
                None
            })
        },
    )
    .await?;
    let said = "Perplexity rejected the API key; open Settings → API keys and check it.";
    check(
        card.contains(said),
        format!("the answer says the key was rejected: {card:?}"),
    )?;
    check(
        client.find(Locator::Id("open-settings")).await.is_ok(),
        "the answer leads to Settings to fix the key".into(),
    )?;
    let offered = option_texts(client).await?;
    check(
        !offered.is_empty(),
        format!("the planner's rephrasings are offered:\n{card}"),
    )?;
    check(
        offered.iter().all(|o| !AI_OPTIONS.contains(&o.as_str())),
        format!("the rephrasings are the planner's own: {offered:?}"),
    )?;
    let sent = sent_so_far(server, 4, "the question with a rejected key")?;
    check_agent_request(&sent[3], VAGUE)?;
    // What was sent is shown even though the AI refused it.
    let receipt = content_of(client, "privacy-receipt")
        .await
        .unwrap_or_default();
    check(
        receipt.contains(VAGUE),
        format!("the receipt shows what was sent for {VAGUE:?}:\n{receipt}"),
    )?;
    screenshot(client, "window-ai-rejected-key.png").await?;
    let page = client
        .source()
        .await
        .map_err(|e| format!("reading the page: {e}"))?;
    check(
        !page.contains(KEY),
        "the key never appears in the window".into(),
    )
}

/// Types `question` into the ask box and submits it with Enter.
pub(crate) async fn ask(client: &Client, question: &str) -> Outcome {
    click(client, "nav-ask").await?;
    let input = poll("the ask box", Duration::from_secs(10), || async {
        let found = client.find(Locator::Id("question")).await.ok();
        Ok(match found {
            Some(input) if input.is_displayed().await.unwrap_or(false) => Some(input),
            _ => None,
        })
    })
    .await?;
    input
        .clear()
        .await
        .map_err(|e| format!("clearing the ask box: {e}"))?;
    input
        .send_keys(&format!("{question}{}", Key::Enter))
        .await
        .map_err(|e| format!("typing {question:?}: {e}"))
}

/// The question the shown answer card is for ("" when there is none).
async fn answered(client: &Client) -> String {
    match client.find(Locator::Css("#answer .answer-question")).await {
        Ok(heading) => heading.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The rephrasings the answer card offers.
async fn option_texts(client: &Client) -> Result<Vec<String>, String> {
    let mut texts = Vec::new();
    for option in client
        .find_all(Locator::Css("#answer button.option"))
        .await
        .map_err(|e| format!("finding rephrasings: {e}"))?
    {
        texts.push(
            option
                .text()
                .await
                .map_err(|e| format!("reading a rephrasing: {e}"))?,
        );
    }
    Ok(texts)
}

/// What the AI server has received, when it is exactly `expected` requests by now.
fn sent_so_far(server: &Server, expected: usize, after: &str) -> Result<Vec<Recorded>, String> {
    let sent = server.requests();
    let seen: Vec<String> = sent
        .iter()
        .map(|r| format!("{} {} {:.200}", r.method, r.path, r.body))
        .collect();
    check(
        sent.len() == expected,
        format!(
            "after {after}, the AI server should have had {expected} requests, not {}: {seen:#?}",
            sent.len()
        ),
    )?;
    Ok(sent)
}

/// One Agent API call about `question`, with the key.
fn check_agent_request(request: &Recorded, question: &str) -> Outcome {
    check(
        (request.method.as_str(), request.path.as_str()) == ("POST", "/v1/agent"),
        format!(
            "the app called the Agent API: {} {}",
            request.method, request.path
        ),
    )?;
    let auth = request.header("authorization");
    check(
        auth == Some(format!("Bearer {KEY}").as_str()),
        format!("the request carries the key: {auth:?}"),
    )?;
    let body: serde_json::Value = serde_json::from_str(&request.body)
        .map_err(|e| format!("the request body is not JSON ({e}): {}", request.body))?;
    let input = body["input"].to_string();
    check(
        input.contains(question),
        format!("the request's input holds {question:?}: {input}"),
    )
}

/// Every customer's name in the sample database the app made in its data directory.
fn customer_names(db: &Path) -> Result<Vec<String>, String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("opening {}: {e}", db.display()))?;
    let mut select = conn
        .prepare("SELECT DISTINCT name FROM customers")
        .map_err(|e| format!("reading customers: {e}"))?;
    let names = select
        .query_map([], |row| row.get(0))
        .map_err(|e| format!("reading customers: {e}"))?;
    names
        .collect::<Result<Vec<String>, _>>()
        .map_err(|e| format!("reading a customer's name: {e}"))
}

async fn find_css(client: &Client, css: &str) -> Result<fantoccini::elements::Element, String> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("no {css}: {e}"))
}

/// Sends a Tauri event from the page, as the app's own Rust side would.
async fn emit(client: &Client, event: &str, payload: serde_json::Value) -> Outcome {
    client
        .execute(
            "return window.__TAURI__.event.emit(arguments[0], arguments[1]);",
            vec![json!(event), payload],
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("sending {event}: {e}"))
}

async fn click(client: &Client, id: &str) -> Outcome {
    client
        .find(Locator::Id(id))
        .await
        .map_err(|e| format!("no #{id}: {e}"))?
        .click()
        .await
        .map_err(|e| format!("clicking #{id}: {e}"))
}

/// A screenshot and the page's HTML, to see what the window showed when the test failed.
async fn save_failure_artifacts(client: &Client) {
    let _ = screenshot(client, "window-failure.png").await;
    if let Ok(html) = client.source().await {
        let path = artifacts_dir().join("window-failure.html");
        if std::fs::write(&path, html).is_ok() {
            eprintln!("page source: {}", path.display());
        }
    }
}

/// The element with `id`, if it is on the page and shown (not on a hidden screen).
async fn shown(client: &Client, id: &str) -> Option<fantoccini::elements::Element> {
    let element = client.find(Locator::Id(id)).await.ok()?;
    element
        .is_displayed()
        .await
        .unwrap_or(false)
        .then_some(element)
}

/// The visible text of the element with `id`, if it is on the page.
async fn text_of(client: &Client, id: &str) -> Option<String> {
    client.find(Locator::Id(id)).await.ok()?.text().await.ok()
}

/// The full `textContent` of the element with `id`, including text clipped by CSS.
async fn content_of(client: &Client, id: &str) -> Option<String> {
    client
        .find(Locator::Id(id))
        .await
        .ok()?
        .prop("textContent")
        .await
        .ok()?
}

/// Polls `probe` every 250 ms until it yields a value, fails, or `timeout` passes.
async fn poll<T, F, Fut>(what: &str, timeout: Duration, probe: F) -> Result<T, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("waited {} s for {what}", timeout.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn check(condition: bool, why: String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(why)
    }
}

async fn screenshot(client: &Client, name: &str) -> Outcome {
    // Let WebKit paint what the DOM already holds: a busy machine can otherwise capture an
    // older frame. Best effort: a page that never paints still gets its screenshot.
    let painted = client.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
        Vec::new(),
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), painted).await;
    let png = client
        .screenshot()
        .await
        .map_err(|e| format!("taking {name}: {e}"))?;
    let path = artifacts_dir().join(name);
    std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}
