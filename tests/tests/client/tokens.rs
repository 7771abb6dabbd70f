//! Upload tokens: a token that expired while its upload was retried is re-minted, not a failure.

use std::time::Duration;

use mediasaur::upload::{SingleRequest, UploadState};
use mediasaur::{ClientConfig, Strategy, UploadOptions};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::{sha256_hex, TestServer};

use crate::support::*;

#[tokio::test]
async fn a_token_that_expired_during_a_retry_is_reminted() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 5 * MIB / 2;
    let (path, bytes) = write_file(dir.path(), "token.bin", len, 51);
    let config = ClientConfig {
        // Tokens live two seconds (1-2 s, as `iat` is whole seconds); the body takes about 2.5 s at
        // 1 MiB/s and is cut at 90%, so the first token has expired when the attempt is retried,
        // while a fresh one lasts long enough for the server to accept it.
        credential_ttl: Duration::from_secs(2),
        bandwidth_limit: Some(MIB as u64),
        single_request_max: 8 * MIB as u64,
        ..small_config()
    };
    let client = client_at(&proxy.url(""), &server.api_key, config, Default::default());
    // The token request and the upload share the first connection; cut it late in the body.
    proxy.cut_connection_after(1, (len as u64) * 9 / 10);
    let (tx, mut rx) = events();
    let outcome = client
        .upload(
            &path,
            dest("tokens/token.bin"),
            UploadOptions {
                strategy: Strategy::Single(SingleRequest::MultipartToken),
                events: Some(tx),
            },
        )
        .unwrap()
        .wait()
        .await
        .expect("the upload succeeds with a fresh token");
    assert_eq!(proxy.cuts(), 1, "the first attempt was cut");
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&bytes));
    let retries = states(&drain(&mut rx))
        .into_iter()
        .filter(|s| matches!(s, UploadState::Retrying { .. }))
        .count();
    assert_eq!(
        retries, 1,
        "one retry for the cut; the expired token cost none"
    );
}
