//! `Database::search_history`: words over names and paths, hostile text, paging while uploads keep
//! arriving, and refused queries.

use std::collections::HashSet;

use mediasaur::api::FileKind;
use mediasaur::store::search::{HistoryQuery, MAX_LIMIT};

use crate::{file, image, TestDb, NOV_1};

/// The paths of the entries a text search finds, sorted.
async fn paths_for(test: &TestDb, text: &str) -> Vec<String> {
    let page = test
        .db
        .search_history(&HistoryQuery {
            text: Some(text.to_owned()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap_or_else(|e| panic!("searching {text:?}: {e}"));
    let mut paths: Vec<String> = page.entries.into_iter().map(|e| e.file.path).collect();
    paths.sort();
    paths
}

async fn text_corpus() -> TestDb {
    let test = TestDb::new().await;
    for path in [
        "photos/2024/holiday-paris.jpg",
        "photos/2024/IMG_0042.jpg",
        "docs/invoice-march.pdf",
        "projects/paris-report/summary.docx",
        "music/Café del Mar.mp3",
        "menus/cafe-menu.png",
        "misc/AND.txt",
    ] {
        let kind = if path.ends_with(".jpg") || path.ends_with(".png") {
            FileKind::Image
        } else {
            FileKind::Document
        };
        test.record("home", &file("default", path, kind, "image/jpeg"), true)
            .await;
    }
    test
}

#[tokio::test]
async fn words_match_names_and_paths_as_word_prefixes() {
    let test = text_corpus().await;
    let paris = [
        "photos/2024/holiday-paris.jpg",
        "projects/paris-report/summary.docx",
    ];
    assert_eq!(paths_for(&test, "paris").await, paris);
    assert_eq!(paths_for(&test, "PARIS").await, paris, "case is ignored");
    assert_eq!(paths_for(&test, "par").await, paris, "words are prefixes");
    assert_eq!(
        paths_for(&test, "hol par").await,
        ["photos/2024/holiday-paris.jpg"],
        "every word must match"
    );
    assert_eq!(
        paths_for(&test, "2024").await,
        ["photos/2024/IMG_0042.jpg", "photos/2024/holiday-paris.jpg"],
        "folders are searched"
    );
    assert_eq!(
        paths_for(&test, "img_0042").await,
        ["photos/2024/IMG_0042.jpg"]
    );
    assert_eq!(paths_for(&test, "summary").await, [paris[1]]);
    assert!(
        paths_for(&test, "aris").await.is_empty(),
        "only word starts match"
    );
    assert!(paths_for(&test, "paris zzz").await.is_empty());
}

#[tokio::test]
async fn diacritics_are_ignored_both_ways() {
    let test = text_corpus().await;
    let both = ["menus/cafe-menu.png", "music/Café del Mar.mp3"];
    assert_eq!(paths_for(&test, "cafe").await, both);
    assert_eq!(paths_for(&test, "café").await, both);
    assert_eq!(
        paths_for(&test, "CAFÉ del").await,
        ["music/Café del Mar.mp3"]
    );
}

#[tokio::test]
async fn hostile_text_is_a_plain_search_never_an_error() {
    let test = text_corpus().await;
    let hostile = [
        "\"",
        "\"\"",
        "\"paris",
        "paris\"",
        "*",
        "paris*",
        "**paris",
        "(",
        "paris)",
        "((",
        ":",
        "name:paris",
        "path:paris",
        "-",
        "-paris",
        "paris -holiday",
        "AND",
        "OR",
        "NOT",
        "paris AND",
        "AND paris",
        "paris OR docs",
        "NEAR(paris holiday)",
        "NEAR",
        "^paris",
        "+",
        "{paris}",
        "paris'; DROP TABLE history; --",
        "\0",
        "paris\0",
        "\u{7f}",
        "%_",
        "'",
        "`",
        "\\",
        "[a-z]",
        "\u{200b}",
        "🦕",
        "🦕 paris",
    ];
    for text in hostile {
        let query = HistoryQuery {
            text: Some(text.to_owned()),
            ..HistoryQuery::default()
        };
        if let Err(error) = test.db.search_history(&query).await {
            panic!("{text:?} failed: {error} [{}]", error.code());
        }
    }
    // Punctuation around words is not syntax: the words still count.
    let paris = [
        "photos/2024/holiday-paris.jpg",
        "projects/paris-report/summary.docx",
    ];
    for text in [
        "\"paris",
        "paris\"",
        "paris*",
        "(paris",
        "-paris",
        "🦕 paris",
    ] {
        assert_eq!(paths_for(&test, text).await, paris, "{text:?}");
    }
    assert_eq!(
        paths_for(&test, "AND").await,
        ["misc/AND.txt"],
        "a word, not an operator"
    );
    assert_eq!(
        paths_for(&test, "holiday-paris").await,
        ["photos/2024/holiday-paris.jpg"]
    );
    // Only punctuation: no word to look for, so nothing is found (rather than everything).
    for text in ["\"", "*", "(", ":", "-", "\"*(:-"] {
        assert!(paths_for(&test, text).await.is_empty(), "{text:?}");
    }
    // Blank text is no text.
    assert_eq!(paths_for(&test, "  ").await.len(), 7);
    // The history is intact.
    assert_eq!(paths_for(&test, "").await.len(), 7);
}

#[tokio::test]
async fn pages_visit_every_row_once_while_uploads_keep_arriving() {
    let test = TestDb::new().await;
    // Every row recorded so far, oldest first; all of them contain the word "page".
    let mut recorded = Vec::new();
    for i in 0..120 {
        let file = image("default", &format!("pages/page-{i:03}.jpg"), 800, 600);
        recorded.push(test.record("home", &file, true).await);
    }
    for text in [None, Some("page")] {
        let expected: Vec<i64> = recorded.iter().rev().copied().collect();
        let mut query = HistoryQuery {
            text: text.map(str::to_owned),
            limit: 7,
            ..HistoryQuery::default()
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = test.db.search_history(&query).await.expect("a page");
            pages += 1;
            assert!(page.entries.len() <= 7);
            seen.extend(page.entries.iter().map(|entry| entry.id));
            // Newer uploads land while the pages are read; they are not part of this listing.
            for n in 0..3 {
                let path = format!("pages/page-new-{pages}-{n}-{}.jpg", text.is_some());
                let id = test
                    .record("home", &image("default", &path, 10, 10), true)
                    .await;
                recorded.push(id);
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        assert_eq!(pages, expected.len().div_ceil(7), "{text:?}");
        assert_eq!(seen, expected, "every row once, newest first ({text:?})");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), expected.len());
    }

    // A last page that is exactly full says there is nothing more.
    let all = HistoryQuery {
        text: Some("page".into()),
        limit: 500,
        ..HistoryQuery::default()
    };
    let total = test
        .db
        .search_history(&all)
        .await
        .expect("all")
        .entries
        .len();
    let exact = HistoryQuery {
        limit: u32::try_from(total).expect("small"),
        ..all
    };
    let page = test.db.search_history(&exact).await.expect("one page");
    assert_eq!((page.entries.len(), page.next_cursor), (total, None));
}

#[tokio::test]
async fn bad_queries_are_invalid_requests() {
    let test = text_corpus().await;
    let q = HistoryQuery::default;
    let cases = [
        ("limit 0", HistoryQuery { limit: 0, ..q() }, "limit"),
        (
            "limit 501",
            HistoryQuery {
                limit: MAX_LIMIT + 1,
                ..q()
            },
            "limit",
        ),
        (
            "min width above max",
            HistoryQuery {
                min_width: Some(2),
                max_width: Some(1),
                ..q()
            },
            "min_width",
        ),
        (
            "min height above max",
            HistoryQuery {
                min_height: Some(2),
                max_height: Some(1),
                ..q()
            },
            "min_height",
        ),
        (
            "min duration above max",
            HistoryQuery {
                min_duration: Some(2.0),
                max_duration: Some(1.5),
                ..q()
            },
            "min_duration",
        ),
        (
            "negative duration",
            HistoryQuery {
                min_duration: Some(-1.0),
                ..q()
            },
            "min_duration",
        ),
        (
            "NaN duration",
            HistoryQuery {
                max_duration: Some(f64::NAN),
                ..q()
            },
            "max_duration",
        ),
        (
            "empty date range",
            HistoryQuery {
                uploaded_after: Some(NOV_1),
                uploaded_before: Some(NOV_1),
                ..q()
            },
            "uploaded_after",
        ),
        (
            "garbage cursor",
            HistoryQuery {
                cursor: Some("not a cursor".into()),
                ..q()
            },
            "cursor",
        ),
        (
            "a number as cursor",
            HistoryQuery {
                cursor: Some("12".into()),
                ..q()
            },
            "cursor",
        ),
        (
            "empty type",
            HistoryQuery {
                mime_type: Some(" ".into()),
                ..q()
            },
            "type",
        ),
        (
            "too many words",
            HistoryQuery {
                text: Some(vec!["w"; 33].join(" ")),
                ..q()
            },
            "words",
        ),
    ];
    for (name, query, mentions) in cases {
        let error = test.db.search_history(&query).await.expect_err(name);
        assert_eq!(error.code(), "invalid_request", "{name}: {error}");
        assert!(error.to_string().contains(mentions), "{name}: {error}");
    }
}
