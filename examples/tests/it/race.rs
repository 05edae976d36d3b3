//! Eight `migrate up` processes started together: every migration is applied exactly once.

use crate::support;

use std::collections::BTreeMap;

use support::App;

#[tokio::test]
async fn eight_processes_apply_each_migration_once() {
    // The processes follow the table's stream (on a DynamoDB Local of its own, as one instance
    // copes with one stream-enabled table): only the lock holder's run catches up.
    let app = App::with_streams("race", dynatable_tests::dedicated_endpoint());
    app.create_and_seed(100, 5);
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
                .args(["--json", "--lock-wait", "2m", "up"])
                .env("DYNATABLE_TABLE", &app.table)
                .env("DYNATABLE_ENDPOINT", app.endpoint.url())
                .env("AWS_ACCESS_KEY_ID", "local")
                .env("AWS_SECRET_ACCESS_KEY", "local")
                .env("AWS_REGION", "us-east-1")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for version in document["versions"].as_array().unwrap() {
            *applied
                .entry(version.as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    let once: BTreeMap<String, usize> = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0"]
        .into_iter()
        .map(|v| (v.to_owned(), 1))
        .collect();
    assert_eq!(applied, once, "each version applied by exactly one process");
    assert_eq!(
        support::statuses(&app.migrate_json(&["status"], 0)),
        ["applied"; 5]
    );
}
