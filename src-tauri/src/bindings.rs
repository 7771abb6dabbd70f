//! The UI's TypeScript types are generated from these Rust types (ts-rs). This test writes them to a
//! temporary folder and fails when `ui/src/lib/bindings` differs; `UPDATE_BINDINGS=1` rewrites it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mediasaur::session::{
    AddReport, AppStatus, ProfileCheck, ProfileInput, ProfileView, RequestMethod, SessionEvent,
    TransferAction, UploadRequest, UploadRequestInput, UploadTarget, WatchView,
};
use mediasaur::settings::Settings;
use mediasaur::store::queue::TransferQuery;
use mediasaur::store::search::{HistoryPage, HistoryQuery};
use mediasaur::store::watches::NewWatch;
use ts_rs::{Config, TS};

use crate::error::CommandError;

fn export_all(dir: &Path) {
    let config = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! export {
        ($($type:ty),* $(,)?) => {
            $(<$type as TS>::export_all(&config).expect(stringify!($type));)*
        };
    }
    export!(
        AddReport,
        AppStatus,
        CommandError,
        HistoryPage,
        HistoryQuery,
        NewWatch,
        ProfileCheck,
        ProfileInput,
        ProfileView,
        RequestMethod,
        SessionEvent,
        Settings,
        TransferAction,
        TransferQuery,
        UploadRequest,
        UploadRequestInput,
        UploadTarget,
        WatchView,
        mediasaur::session::ShareLinkMade,
    );
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| {
                    let text = std::fs::read_to_string(e.path()).expect("read binding");
                    (e.file_name().to_string_lossy().into_owned(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
    let fresh = tempfile::tempdir().expect("temp dir");
    export_all(fresh.path());
    let generated = files(fresh.path());
    assert!(generated.contains_key("Transfer.ts"), "{generated:?}");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).expect("create bindings dir");
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).expect("write binding");
        }
        return;
    }
    assert_eq!(
        files(&committed),
        generated,
        "ui/src/lib/bindings is stale: run `UPDATE_BINDINGS=1 cargo test -p mediasaur-desktop bindings`"
    );
}
