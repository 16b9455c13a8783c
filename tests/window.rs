//! The real app window, driven through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb:
//! ask the question from the README and check the table, the chart and the history.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use plainsight_tests::{artifacts_dir, built_binary, data_dir, TauriDriver};
use serde_json::json;

const QUESTION: &str = "show me last month's sales by region";
const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
/// The sample data is generated relative to this day, so screenshots are reproducible.
const TODAY: &str = "2026-11-26";

type Outcome = Result<(), String>;

#[tokio::test]
#[ignore = "needs Xvfb + tauri-driver; run by scripts/test"]
async fn a_question_shows_its_table_chart_and_history() {
    let app = built_binary("plainsight-app");
    for stale in ["window-failure.png", "window-failure.html"] {
        let _ = std::fs::remove_file(artifacts_dir().join(stale));
    }
    let data = data_dir();
    let driver = TauriDriver::start(
        &[("PLAINSIGHT_DATA_DIR", data.path().as_os_str()), ("PLAINSIGHT_TODAY", OsStr::new(TODAY))],
        artifacts_dir().join("tauri-driver.log"),
    );

    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": app }));
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| panic!("could not open the app {} through tauri-driver: {e}", app.display()));

    // Close the session (and with it the app) whatever happened, then report.
    let outcome = tokio::time::timeout(Duration::from_secs(180), scenario(&client))
        .await
        .unwrap_or_else(|_| Err("the scenario took over 180 s".into()));
    if outcome.is_err() {
        save_failure_artifacts(&client).await;
    }
    let _ = client.close().await;
    drop(driver);
    if let Err(why) = outcome {
        panic!("{why}");
    }
}

async fn scenario(client: &Client) -> Outcome {
    let input = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("question"))
        .await
        .map_err(|e| format!("the ask box never appeared (did the UI load?): {e}"))?;
    screenshot(client, "window-welcome.png").await?;

    input.send_keys(QUESTION).await.map_err(|e| format!("typing the question: {e}"))?;
    client
        .find(Locator::Id("ask"))
        .await
        .map_err(|e| format!("no #ask button: {e}"))?
        .click()
        .await
        .map_err(|e| format!("clicking Ask: {e}"))?;

    let table = poll("a table with every region", Duration::from_secs(60), || async {
        if let Some(error) = text_of(client, "error").await {
            return Err(format!("the app showed an error instead of an answer: {error}"));
        }
        Ok(text_of(client, "result-table").await.filter(|t| REGIONS.iter().all(|r| t.contains(r))))
    })
    .await?;
    for heading in ["Region", "Revenue"] {
        check(table.contains(heading), format!("the table has a {heading:?} heading:\n{table}"))?;
    }
    check(table.contains(','), format!("revenue is formatted with thousands separators:\n{table}"))?;

    let bars = client
        .find_all(Locator::Css(r##"#chart svg rect[fill="#2563EB" i]"##))
        .await
        .map_err(|e| format!("looking for chart bars: {e}"))?;
    check(bars.len() == REGIONS.len(), format!("the chart has one bar per region, found {} bars", bars.len()))?;
    let chart = text_of(client, "chart").await.unwrap_or_default();
    check(REGIONS.iter().all(|r| chart.contains(r)), format!("the chart labels every region: {chart:?}"))?;

    let code = client.find(Locator::Css("#code pre")).await.map_err(|e| format!("no SQL block: {e}"))?;
    let sql = code.prop("textContent").await.map_err(|e| format!("reading the SQL: {e}"))?.unwrap_or_default();
    check(sql.to_uppercase().contains("SELECT"), format!("the collapsible SQL holds the query: {sql:?}"))?;
    let answer = text_of(client, "answer").await.unwrap_or_default();
    check(answer.contains("Answered offline — no cost"), format!("the cost line says the answer was free: {answer:?}"))?;

    // textContent, not the rendered text: the sidebar ellipsises long questions.
    poll("the question in the history list", Duration::from_secs(10), || async {
        Ok(content_of(client, "history").await.filter(|h| h.contains(QUESTION)))
    })
    .await?;
    screenshot(client, "window-answer.png").await?;
    clarify_then_pick(client).await
}

/// A vague question offers rephrasings; clicking one asks it and answers with a table.
async fn clarify_then_pick(client: &Client) -> Outcome {
    let input = client.find(Locator::Id("question")).await.map_err(|e| format!("no ask box: {e}"))?;
    input.clear().await.map_err(|e| format!("clearing the ask box: {e}"))?;
    // Enter, not a click: the ask box submits on the Enter key.
    input.send_keys(&format!("how are we doing?{}", Key::Enter)).await.map_err(|e| format!("typing a vague question: {e}"))?;
    let option = poll("rephrasings to pick from", Duration::from_secs(30), || async {
        Ok(client.find_all(Locator::Css("#answer button.option")).await.ok().and_then(|options| options.into_iter().next()))
    })
    .await?;
    let picked = option.text().await.map_err(|e| format!("reading the first rephrasing: {e}"))?;
    option.click().await.map_err(|e| format!("clicking {picked:?}: {e}"))?;
    poll("the picked rephrasing's answer", Duration::from_secs(30), || async {
        let asked = input.prop("value").await.ok().flatten().unwrap_or_default();
        Ok((asked == picked && text_of(client, "result-table").await.is_some()).then_some(()))
    })
    .await
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

/// The visible text of the element with `id`, if it is on the page.
async fn text_of(client: &Client, id: &str) -> Option<String> {
    client.find(Locator::Id(id)).await.ok()?.text().await.ok()
}

/// The full `textContent` of the element with `id`, including text clipped by CSS.
async fn content_of(client: &Client, id: &str) -> Option<String> {
    client.find(Locator::Id(id)).await.ok()?.prop("textContent").await.ok()?
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
    let png = client.screenshot().await.map_err(|e| format!("taking {name}: {e}"))?;
    let path = artifacts_dir().join(name);
    std::fs::write(&path, png).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}
