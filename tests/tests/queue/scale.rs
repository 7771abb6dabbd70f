//! Many rows and many runners: 10,000 queued rows are counted and paged exactly once each while a
//! runner limited to its own batch gets on with its file; two runners on one database send each of
//! 20 files exactly once.

use std::collections::HashSet;

use mediasaur::store::queue::{NewTransfer, TransferCounts, TransferQuery, TransferState};
use mediasaur::transfers::QueueConfig;
use mediasaur::Strategy;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

/// Every id `query` pages through, 1000 at a time, following `after`.
async fn page_through(setup: &Setup, states: Vec<TransferState>) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let query = TransferQuery {
            states: states.clone(),
            after,
            limit: Some(1000),
        };
        let page = setup.db.transfers(&query).await.expect("a page");
        let Some(last) = page.last() else {
            return ids;
        };
        after = Some(last.id);
        ids.extend(page.iter().map(|t| t.id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_queued_rows_page_once_each_and_a_batch_runner_still_finishes_its_own() {
    let setup = Setup::new().await;
    let (tiny, _) = setup.write("tiny.bin", 10, 81);
    // Tagged for a batch no runner here takes, so they sit in the queue.
    let parked: Vec<NewTransfer> = (0..10_000)
        .map(|n| NewTransfer {
            batch: Some("parked".into()),
            ..transfer(
                &tiny,
                "default",
                &format!("scale/{n:05}.bin"),
                Strategy::Auto,
            )
        })
        .collect();
    let queued = setup
        .db
        .enqueue(&parked)
        .await
        .expect("enqueue 10,000 rows at once");
    let parked_ids: Vec<i64> = queued.iter().map(|q| q.id()).collect();
    assert_eq!(parked_ids.len(), 10_000);
    assert_eq!(
        parked_ids.iter().collect::<HashSet<_>>().len(),
        10_000,
        "new rows"
    );
    let (mine, mine_bytes) = setup.write("mine.bin", 30_000, 82);
    let mine_id = setup
        .enqueue(NewTransfer {
            batch: Some("mine".into()),
            ..transfer(&mine, "default", "scale/mine.bin", Strategy::Auto)
        })
        .await;
    assert_eq!(
        setup.db.transfer_counts().await.unwrap(),
        TransferCounts {
            queued: 10_001,
            ..TransferCounts::default()
        }
    );

    let (summary, events) = setup
        .run_until_idle(QueueConfig {
            batch: Some("mine".into()),
            ..config()
        })
        .await;
    assert_eq!(summary.done, 1, "{summary:?}");
    assert_eq!(claimed(&events), [mine_id], "only its own batch");
    let row = setup.row(mine_id).await;
    assert_eq!(row.state, TransferState::Done, "{row:#?}");
    let file_id = row.file_id.as_deref().unwrap();
    let entry = setup
        .db
        .history_by_file_id(file_id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.file.sha256, sha256_hex(&mine_bytes));

    let counts = setup.db.transfer_counts().await.unwrap();
    assert_eq!(
        counts,
        TransferCounts {
            queued: 10_000,
            done: 1,
            ..TransferCounts::default()
        }
    );
    assert_eq!(counts.pending(), 10_000);

    // Paging visits every row once, in id order.
    let all = page_through(&setup, vec![]).await;
    assert_eq!(all.len(), 10_001);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "ascending ids, no repeats"
    );
    let mut expected: Vec<i64> = parked_ids.clone();
    expected.push(mine_id);
    expected.sort_unstable();
    assert_eq!(all, expected);
    let still_queued = page_through(&setup, vec![TransferState::Queued]).await;
    let mut parked_sorted = parked_ids;
    parked_sorted.sort_unstable();
    assert_eq!(still_queued, parked_sorted, "the parked rows, untouched");
    let sample = setup.row(still_queued[0]).await;
    assert_eq!(
        (sample.attempts, sample.started_at),
        (0, None),
        "{sample:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_on_one_database_send_each_file_exactly_once() {
    let setup = Setup::new().await;
    let mut expected = Vec::new();
    let mut items = Vec::new();
    for n in 0..20 {
        let (path, bytes) =
            setup.write(&format!("two-{n:02}.bin"), 40_000 + n * 1000, 90 + n as u64);
        let target = format!("two/{n:02}.bin");
        items.push(transfer(&path, "default", &target, Strategy::Auto));
        expected.push((target, sha256_hex(&bytes)));
    }
    let ids: Vec<i64> = setup
        .db
        .enqueue(&items)
        .await
        .unwrap()
        .iter()
        .map(|q| q.id())
        .collect();

    // Two handles on the file, as two processes would have.
    let other_db = setup.other_process_db().await;
    let runner_config = QueueConfig {
        concurrency: 3,
        exit_when_idle: true,
        ..config()
    };
    let first = Runner::start(setup.db.clone(), setup.credentials(), runner_config.clone());
    let second = Runner::start(other_db.clone(), setup.credentials(), runner_config);
    let ((first_summary, first_events), (second_summary, second_events)) =
        tokio::join!(first.finish(), second.finish());

    assert_eq!(
        first_summary.done + second_summary.done,
        20,
        "{first_summary:?} {second_summary:?}"
    );
    assert_eq!(first_summary.failed + second_summary.failed, 0);
    let by_first: HashSet<i64> = claimed(&first_events).into_iter().collect();
    let by_second: HashSet<i64> = claimed(&second_events).into_iter().collect();
    assert!(
        by_first.is_disjoint(&by_second),
        "claimed by both: {:?}",
        by_first.intersection(&by_second).collect::<Vec<_>>()
    );
    assert_eq!(by_first.len() + by_second.len(), 20);

    let mut file_ids = HashSet::new();
    for id in &ids {
        let row = setup.row(*id).await;
        assert_eq!(row.state, TransferState::Done, "{row:#?}");
        assert_eq!(row.attempts, 1, "claimed once: {row:#?}");
        file_ids.insert(row.file_id.clone().unwrap());
    }
    assert_eq!(file_ids.len(), 20, "20 different Files");
    let files = setup.server_files("two/").await;
    assert_eq!(files.len(), 20, "each file stored once: {files:#?}");
    for (target, sha256) in &expected {
        let file = files
            .iter()
            .find(|f| f["path"] == target.as_str())
            .unwrap_or_else(|| panic!("{target} is not on the server"));
        assert_eq!(file["sha256"], sha256.as_str(), "{target}");
    }
    other_db.close().await;
}
