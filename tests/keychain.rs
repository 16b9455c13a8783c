//! The real system keychain (Secret Service, gnome-keyring in a private D-Bus session started by
//! `scripts/test`): entries are stored, read, replaced and deleted, and a planted key used for a
//! whole question never shows up in any output or file.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use plainsight_core::secret::Secret;
use plainsight_core::secrets::{KeyName, Keychain, SecretStore};
use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::Server;
use serde_json::{json, Value};

use crate::cli::{bin, sample_db};

/// Refuses to run against a person's own keychain: only inside scripts/test's throwaway session.
fn in_test_session() {
    assert!(
        std::env::var_os("PLAINSIGHT_TEST_KEYCHAIN").is_some(),
        "the keychain tests need the private D-Bus session with gnome-keyring that scripts/test starts"
    );
}

fn plainsight(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .env("PLAINSIGHT_DATA_DIR", data)
        .env("PLAINSIGHT_LOG", "trace")
        .env_remove("PERPLEXITY_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plainsight runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("plainsight finishes")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
#[ignore = "needs a Secret Service: scripts/test runs it in a D-Bus session with gnome-keyring"]
fn entries_are_stored_read_replaced_and_deleted() {
    in_test_session();
    let name = KeyName::Postgres(format!("test {}", std::process::id()));
    let store = Keychain;
    assert_eq!(store.get(&name), Ok(None), "no entry is Ok(None)");
    store
        .set(&name, &Secret::new("first-password-1111"))
        .expect("set");
    assert_eq!(
        store
            .get(&name)
            .expect("get")
            .map(|s| s.expose().to_string()),
        Some("first-password-1111".into())
    );
    store
        .set(&name, &Secret::new("second-password-2222"))
        .expect("replace");
    assert_eq!(
        store.get(&name).expect("get").map(|s| s.masked()),
        Some("•••• 2222".into())
    );
    assert_eq!(store.delete(&name), Ok(true));
    assert_eq!(
        store.delete(&name),
        Ok(false),
        "deleting again finds nothing"
    );
    assert_eq!(store.get(&name), Ok(None));
}

#[test]
#[ignore = "needs a Secret Service: scripts/test runs it in a D-Bus session with gnome-keyring"]
fn a_planted_key_is_used_but_never_written_or_printed() {
    in_test_session();
    let planted = format!("pplx-PLANTED-{}-{}", std::process::id(), "Zq81");
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    let mut outputs = Vec::new();

    let out = plainsight(
        data.path(),
        &["keys", "set", "perplexity"],
        Some(&format!("{planted}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("•••• Zq81"), "{}", text(&out));
    outputs.push(out);
    let out = plainsight(data.path(), &["keys", "get-masked", "perplexity"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "•••• Zq81");
    outputs.push(out);

    // Test: the cheapest real call, with the key from the keychain.
    server.push(perplexity::agent_ok(
        "OK",
        AgentUsage::new(5, 1, 0.000005, 0.000001, 0.0),
    ));
    let out = plainsight(
        data.path(),
        &["keys", "test", "perplexity", "--base-url", &server.url()],
        None,
    );
    assert!(
        out.status.success() && text(&out).contains("Connected to Perplexity"),
        "{}",
        text(&out)
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {planted}").as_str()),
        "the keychain's key was sent"
    );
    outputs.push(out);

    // A whole question through the provider, then one the provider refuses.
    let db = sample_db().to_str().expect("utf-8");
    let reply = json!({"kind": "answer", "language": "sql", "code": "SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment", "explanation": "Customers per segment."});
    server.push(perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(2_000, 40, 0.002, 0.00004, 0.0),
    ));
    let out = plainsight(
        data.path(),
        &[
            "ask",
            "--db",
            db,
            "--today",
            "2026-11-26",
            "--json",
            "--base-url",
            &server.url(),
            "which products were bought together most often?",
        ],
        None,
    );
    let answer: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(answer["route"], "answer", "{answer}");
    outputs.push(out);
    server.push(perplexity::unauthorized_html());
    let out = plainsight(
        data.path(),
        &[
            "ask",
            "--db",
            db,
            "--today",
            "2026-11-26",
            "--json",
            "--base-url",
            &server.url(),
            "how are we doing?",
        ],
        None,
    );
    assert!(
        text(&out).contains("Perplexity rejected the API key"),
        "{}",
        text(&out)
    );
    outputs.push(out);

    // Nowhere: not in any output (logs at trace level included), not in any file written.
    for out in &outputs {
        assert!(
            !text(out).contains(&planted),
            "the key appeared in output: {}",
            text(out)
        );
    }
    let mut files = 0;
    for entry in walk(data.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        files += 1;
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&planted),
            "the key was written to {}",
            entry.display()
        );
    }
    assert!(files >= 1, "the app database was written");

    let out = plainsight(data.path(), &["keys", "delete", "perplexity"], None);
    assert!(out.status.success());
    let out = plainsight(data.path(), &["keys", "get-masked", "perplexity"], None);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "There is no Perplexity API key yet."
    );
    let out = plainsight(data.path(), &["keys", "set", "perplexity"], Some("\n"));
    assert!(
        !out.status.success() && text(&out).contains("no key was given on stdin"),
        "{}",
        text(&out)
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
