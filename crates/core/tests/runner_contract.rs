//! One contract for both Python runners: the same script over the same rows gives the same
//! table, printed output or error, whether it ran in the embedded Monty worker or in a Daytona
//! sandbox. Monty runs each case for real; the loopback Daytona server answers with what Python
//! prints for it (Daytona's `code-run` merges stdout and stderr), so the Daytona side proves the
//! client's half of the protocol: rows inline, the result after the marker, errors from the
//! traceback's last line with the script's line, no sandbox left behind.

use std::time::Duration;

mod common;

use plainsight_core::python::daytona::DaytonaRunner;
use plainsight_core::python::{CodeRunner, MontyWorker, PyError, PyLimits, PyOutput};
use plainsight_core::secret::Secret;
use plainsight_loopback::daytona::{DaytonaServer, API_KEY};
use serde_json::{json, Map, Value};

struct Case {
    name: &'static str,
    script: &'static str,
    /// What CPython prints in the sandbox for this script (after the wrapper): (exit code, output).
    sandbox_output: (i64, &'static str),
    expected: Result<PyOutput, PyError>,
}

fn table(columns: &[&str], rows: Vec<Vec<Value>>, printed: &str) -> Result<PyOutput, PyError> {
    Ok(PyOutput {
        columns: columns.iter().map(|c| (*c).to_string()).collect(),
        rows,
        printed: printed.into(),
    })
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a list of dicts is a table",
            script: "result = [{'region': r['region'], 'double': r['amount'] * 2} for r in rows]",
            sandbox_output: (0, "__PLAINSIGHT_RESULT__[{\"region\": \"North\", \"double\": 20}, {\"region\": \"South\", \"double\": 4}]\n"),
            expected: table(&["region", "double"], vec![vec![json!("North"), json!(20)], vec![json!("South"), json!(4)]], ""),
        },
        Case {
            name: "a dict of columns is a table",
            script: "result = {'region': [r['region'] for r in rows], 'n': [1 for r in rows]}",
            sandbox_output: (0, "__PLAINSIGHT_RESULT__{\"region\": [\"North\", \"South\"], \"n\": [1, 1]}\n"),
            expected: table(&["region", "n"], vec![vec![json!("North"), json!(1)], vec![json!("South"), json!(1)]], ""),
        },
        Case {
            name: "a number is a single value, printing is kept",
            script: "print('rows:', len(rows))\nresult = sum(r['amount'] for r in rows)",
            sandbox_output: (0, "rows: 2\n__PLAINSIGHT_RESULT__12\n"),
            expected: table(&["result"], vec![vec![json!(12)]], "rows: 2\n"),
        },
        Case {
            name: "no result",
            script: "x = len(rows)",
            sandbox_output: (
                1,
                "Traceback (most recent call last):\n  File \"<string>\", line 6, in <module>\nNameError: name 'result' is not defined\n",
            ),
            expected: Err(PyError::NoResult),
        },
        Case {
            name: "a runtime error names the exception",
            script: "result = rows[0]['amount'] / 0",
            sandbox_output: (
                1,
                "Traceback (most recent call last):\n  File \"<string>\", line 4, in <module>\nZeroDivisionError: division by zero\n",
            ),
            expected: Err(PyError::Script("ZeroDivisionError: division by zero (line 1)".into())),
        },
    ]
}

fn rows() -> Vec<Map<String, Value>> {
    [
        json!({"region": "North", "amount": 10}),
        json!({"region": "South", "amount": 2}),
    ]
    .into_iter()
    .map(|v| v.as_object().cloned().expect("object"))
    .collect()
}

fn monty() -> MontyWorker {
    MontyWorker::new(common::worker_program())
}

#[test]
fn both_runners_keep_the_same_contract() {
    let monty = monty();
    let server = DaytonaServer::start();
    let daytona = DaytonaRunner::new(&server.url(), Secret::new(API_KEY))
        .expect("client")
        .with_start_limit(Duration::from_secs(10));
    for case in cases() {
        let got = monty.run(case.script, &rows(), PyLimits::default());
        assert_eq!(got, case.expected, "Monty: {}", case.name);
        server.script_result(case.sandbox_output.0, case.sandbox_output.1);
        let got = daytona.run(case.script, &rows(), PyLimits::default());
        assert_eq!(got, case.expected, "Daytona: {}", case.name);
        let sent = server
            .code_runs()
            .last()
            .and_then(|r| r["code"].as_str().map(str::to_string))
            .expect("code-run body");
        assert!(
            sent.contains(case.script) && sent.contains("North"),
            "{}: the script and its rows were sent",
            case.name
        );
    }
    assert!(server.live().is_empty(), "no sandbox left behind");
}
