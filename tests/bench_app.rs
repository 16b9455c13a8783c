//! P5 of `scripts/bench` (issue 18): the release app under Xvfb. Not a test of behaviour and
//! ignored by every test run; `scripts/bench` runs it with the release app
//! (`PLAINSIGHT_PLAINSIGHT_APP_BIN`) and reads the figures it writes to `PLAINSIGHT_BENCH_OUT`:
//! - cold start: from spawning the app to the window's "the window is ready" log line (the UI
//!   says so once its first screen is mounted and takes questions), the first start on an empty
//!   data folder (which writes the sample database) apart, then the median of five more;
//! - memory: the proportional set size (PSS) of the app and every process it started (WebKit's
//!   web and network processes, the workers) after 20 questions asked through the window.

use std::ffi::OsStr;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plainsight_tests::{artifacts_dir, built_binary, data_dir, TauriDriver};
use serde_json::json;

const TODAY: &str = "2026-11-26";
const STARTS: usize = 5;
const QUESTIONS: usize = 20;

#[tokio::test]
#[ignore = "a benchmark: scripts/bench runs it under Xvfb with the release app"]
async fn app_start_and_memory() {
    let app = built_binary("plainsight-app");
    let data = data_dir();
    let first = start_until_ready(&app, data.path());
    let mut starts: Vec<f64> = (0..STARTS)
        .map(|_| start_until_ready(&app, data.path()))
        .collect();
    starts.sort_by(f64::total_cmp);
    let median = starts[STARTS / 2];
    eprintln!("first start {first:.0} ms; starts {starts:?} ms; median {median:.0} ms");

    let questions = dev_questions();
    let driver = TauriDriver::start(
        &[
            ("PLAINSIGHT_DATA_DIR", data.path().as_os_str()),
            ("PLAINSIGHT_TODAY", OsStr::new(TODAY)),
            ("PERPLEXITY_API_KEY", OsStr::new("")),
            ("OPENAI_API_KEY", OsStr::new("")),
        ],
        artifacts_dir().join("bench-tauri-driver.log"),
    );
    let client = crate::window::open_app(&driver, &app).await;
    // The UI has loaded when its ask box is there.
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Id("question"))
        .await
        .unwrap_or_else(|e| panic!("the ask box never appeared: {e}"));
    let mut asked = 0;
    for question in questions.iter().take(QUESTIONS) {
        crate::window::ask(&client, question)
            .await
            .unwrap_or_else(|why| panic!("asking {question:?}: {why}"));
        // Answered (or explained) when the card shows this question.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let shown = client
                .execute(
                    "const h = document.querySelector('#answer .answer-question'); return h ? h.textContent : '';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let busy = client
                .execute("return !!document.querySelector('#stop');", vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if shown.contains(question.as_str()) && !busy {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{question:?} was not answered within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        asked += 1;
    }
    let app_path = std::fs::canonicalize(&app).expect("the app's path");
    let pss = pss_of_app(&app_path);
    let _ = client.close().await;
    drop(driver);
    eprintln!("after {asked} questions: {pss:?}");
    assert!(!pss.is_empty(), "the app's processes were not found");
    let out = json!({
        "first_start_ms": first,
        "starts_ms": starts,
        "start_ms": median,
        "questions": asked,
        "pss_mib": pss,
    });
    if let Some(path) = std::env::var_os("PLAINSIGHT_BENCH_OUT") {
        std::fs::write(&path, out.to_string()).expect("write the figures");
    }
}

/// Milliseconds from spawning the app to its "the window is ready" log line; the app is then
/// stopped (and its WebKit processes with it).
fn start_until_ready(app: &Path, data: &Path) -> f64 {
    let started = Instant::now();
    let mut child = Command::new(app)
        .env("PLAINSIGHT_DATA_DIR", data)
        .env("PLAINSIGHT_TODAY", TODAY)
        .env("PLAINSIGHT_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", app.display()));
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("the window is ready") {
                let _ = tx.send(());
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(60));
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready.is_ok(),
        "the window did not say it was ready within 60 s"
    );
    elapsed
}

fn dev_questions() -> Vec<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval/questions.dev.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect()
}

/// PSS in MiB of each running copy of `app` and all its descendants, summed by program name.
fn pss_of_app(app: &Path) -> std::collections::BTreeMap<String, f64> {
    let procs: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
            let close = stat.rfind(')')?;
            let comm = stat[stat.find('(')? + 1..close].to_string();
            let ppid = stat[close + 2..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, comm))
        })
        .collect();
    let mut family: Vec<u32> = procs
        .iter()
        .filter(|(pid, _, _)| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
        })
        .map(|p| p.0)
        .collect();
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let mut by_name = std::collections::BTreeMap::new();
    for pid in family {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        let kib: f64 = rollup
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let name = procs
            .iter()
            .find(|p| p.0 == pid)
            .map_or_else(String::new, |p| p.2.clone());
        *by_name.entry(name).or_insert(0.0) += kib / 1024.0;
    }
    by_name
}
