//! Bytes the history already holds: skipped without a request where the policy says they count,
//! uploaded elsewhere, and sent anyway (the server reuses its File) when the policy says never skip.

use mediasaur::store::queue::{TransferOutcome, TransferState};
use mediasaur::transfers::{DuplicatePolicy, QueueConfig};
use mediasaur::Strategy;
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

/// Queues `source` to `default`/`path` and runs it with `policy`, talking to the server through
/// `proxy` (which counts what is sent) or directly; returns the row when done.
async fn run_one(
    setup: &Setup,
    proxy: Option<&FaultProxy>,
    source: &std::path::Path,
    path: &str,
    policy: DuplicatePolicy,
) -> mediasaur::store::queue::Transfer {
    let id = setup
        .enqueue(transfer(source, "default", path, Strategy::Auto))
        .await;
    let credentials = match proxy {
        Some(proxy) => credentials_for(
            url::Url::parse(&proxy.url("")).unwrap(),
            &setup.server.api_key,
        ),
        None => setup.credentials(),
    };
    let (summary, events) = Runner::start(
        setup.db.clone(),
        credentials,
        QueueConfig {
            duplicates: policy,
            exit_when_idle: true,
            ..config()
        },
    )
    .finish()
    .await;
    assert_eq!(summary.done, 1, "{summary:?} {events:#?}");
    let row = setup.row(id).await;
    assert_eq!(row.state, TransferState::Done, "{row:#?}");
    assert_eq!(
        (row.error_code.as_deref(), row.attempts),
        (None, 1),
        "{row:#?}"
    );
    let (done, file) = events
        .iter()
        .filter_map(changed)
        .find(|(t, _)| t.id == id && t.state == TransferState::Done)
        .expect("the runner reported the transfer done");
    assert_eq!(done, &row);
    assert_eq!(
        file.map(|f| &f.id),
        row.file_id.as_ref(),
        "the done event carries the File the row names"
    );
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_bytes_are_skipped_or_sent_as_the_duplicate_policy_says() {
    let setup = Setup::new().await;
    // Every request of a run through it starts with an API call to it (signing, tus creation).
    let proxy = FaultProxy::start(setup.server.addr).await;
    let len = 200_000;
    let (original, bytes) = setup.write("original.bin", len, 51);
    // Other local copies of the same bytes.
    let copies: Vec<_> = (1..=4)
        .map(|n| setup.write(&format!("copy-{n}.bin"), len, 51).0)
        .collect();
    let sha256 = sha256_hex(&bytes);

    let first = run_one(
        &setup,
        None,
        &original,
        "dup/x.bin",
        DuplicatePolicy::SameDestination,
    )
    .await;
    assert_eq!(first.outcome, Some(TransferOutcome::Uploaded));
    let x_id = first.file_id.clone().unwrap();
    assert_eq!(setup.server_files("dup/").await.len(), 1);

    // Same bytes, same destination: the history's File, and not one byte to the server.
    let same = run_one(
        &setup,
        Some(&proxy),
        &copies[0],
        "dup/x.bin",
        DuplicatePolicy::SameDestination,
    )
    .await;
    assert_eq!(same.outcome, Some(TransferOutcome::Duplicate), "{same:#?}");
    assert_eq!(same.file_id.as_deref(), Some(x_id.as_str()));
    assert_eq!(
        (proxy.connections(), proxy.bytes_up()),
        (0, 0),
        "a duplicate sends no request"
    );
    assert_eq!(setup.server_files("dup/").await.len(), 1);

    // Same bytes, another path: uploaded.
    let elsewhere = run_one(
        &setup,
        None,
        &copies[1],
        "dup/y.bin",
        DuplicatePolicy::SameDestination,
    )
    .await;
    assert_eq!(
        elsewhere.outcome,
        Some(TransferOutcome::Uploaded),
        "{elsewhere:#?}"
    );
    let y_id = elsewhere.file_id.clone().unwrap();
    assert_ne!(y_id, x_id);
    let files = setup.server_files("dup/").await;
    assert_eq!(files.len(), 2, "{files:#?}");
    assert!(
        files.iter().all(|f| f["sha256"] == sha256.as_str()),
        "{files:#?}"
    );

    // AnyPath: the same bytes anywhere in the bucket count; nothing is sent.
    let anywhere = run_one(
        &setup,
        Some(&proxy),
        &copies[2],
        "dup/z.bin",
        DuplicatePolicy::AnyPath,
    )
    .await;
    assert_eq!(
        anywhere.outcome,
        Some(TransferOutcome::Duplicate),
        "{anywhere:#?}"
    );
    let existing = anywhere.file_id.clone().unwrap();
    assert!(existing == x_id || existing == y_id, "{existing}");
    assert_eq!(
        (proxy.connections(), proxy.bytes_up()),
        (0, 0),
        "a duplicate sends no request"
    );
    assert_eq!(setup.server_files("dup/").await.len(), 2, "no dup/z.bin");

    // Never: sent anyway; the server already holds these bytes there and answers with that File.
    let again = run_one(
        &setup,
        None,
        &copies[3],
        "dup/x.bin",
        DuplicatePolicy::Never,
    )
    .await;
    assert_eq!(
        again.outcome,
        Some(TransferOutcome::AlreadyThere),
        "{again:#?}"
    );
    assert_eq!(again.file_id.as_deref(), Some(x_id.as_str()));
    assert_eq!(setup.server_files("dup/").await.len(), 2);
    assert_eq!(setup.stored_bytes("dup/x.bin").await, bytes);
}
