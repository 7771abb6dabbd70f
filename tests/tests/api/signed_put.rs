//! Signed `PUT /{bucket}/{path}?expiry&signature` uploads (and the API key's unsigned PUT): any
//! tampering, expiry, excess, or traversal is refused without a trace, and refusals that the headers
//! decide come before the body is read.

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_e2e::api_client::{now, sign_as, Api, SignTarget, BUCKET};
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use reqwest::Method;
use serde_json::json;
use url::Url;

const TEXT: &[u8] = b"signed upload\n";

/// `url` with `from` replaced by `to`, asserting `from` was there.
fn edit(url: &str, from: &str, to: &str) -> String {
    assert!(url.contains(from), "{from} not in {url}");
    url.replacen(from, to, 1)
}

/// `url`'s path and query, for a raw request line.
fn target<'u>(server: &TestServer, url: &'u str) -> &'u str {
    url.strip_prefix(&server.url(""))
        .expect("a URL on the server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_signed_urls_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.create_bucket("other-bucket", false).await;
    let (path, expiry) = ("t/ok.txt", now() + 600);
    let good = api.sign(SignedMethod::Put, BUCKET, path, expiry, &[]);
    let signature = good.rsplit_once("signature=").expect("signed").1;
    let flipped = format!(
        "{}{}",
        &signature[..signature.len() - 1],
        if signature.ends_with('A') { 'B' } else { 'A' }
    );
    let put = SignTarget {
        method: SignedMethod::Put,
        bucket: BUCKET,
        path,
        expiry,
        constraints: &[],
    };
    let elsewhere = Url::parse("http://uploads.example.com:8080").expect("a URL");
    let base = server.url("");
    let expired = api.sign(SignedMethod::Put, BUCKET, path, now() - 10, &[]);
    let cases = [
        (
            "GET signature used for PUT",
            api.sign(SignedMethod::Get, BUCKET, path, expiry, &[]),
        ),
        (
            "expiry edited",
            edit(
                &good,
                &format!("expiry={expiry}"),
                &format!("expiry={}", expiry + 1),
            ),
        ),
        ("path edited", edit(&good, "/t/ok.txt", "/t/other.txt")),
        ("bucket edited", edit(&good, "/default/", "/other-bucket/")),
        ("signature edited", edit(&good, signature, &flipped)),
        (
            "signature removed",
            edit(&good, &format!("&signature={signature}"), ""),
        ),
        (
            "expiry removed",
            edit(&good, &format!("expiry={expiry}&"), ""),
        ),
        (
            "expiry repeated",
            edit(&good, "?", &format!("?expiry={expiry}&")),
        ),
        (
            "unsigned parameter added",
            format!("{good}&max_size=999999999"),
        ),
        (
            "signed for another host",
            edit(
                &sign_as(&server.api_key, &elsewhere, &put),
                elsewhere.as_str().trim_end_matches('/'),
                &base,
            ),
        ),
        (
            "signed with another key",
            sign_as("sk_someoneelse", &server.base, &put),
        ),
        (
            "expired and tampered",
            edit(&expired, "/t/ok.txt", "/t/other.txt"),
        ),
    ];
    let before = api.snapshot().await;
    for (what, url) in &cases {
        api.put_url(url, TEXT)
            .await
            .expect_error_for(what, 403, "signature_invalid");
        api.assert_unchanged(&before).await;
    }
    // A URL signed by a key that was revoked since.
    let (key_id, second) = mediasaur_server::keys::create(server.state.db(), "second", false)
        .await
        .expect("create a key");
    let by_second = sign_as(&second, &server.base, &put);
    let revoked = mediasaur_server::keys::revoke(server.state.db(), &key_id)
        .await
        .expect("revoke");
    assert!(revoked);
    api.put_url(&by_second, TEXT)
        .await
        .expect_error(403, "signature_invalid");
    api.assert_unchanged(&before).await;

    api.put_url(&good, TEXT).await.file(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_signed_url_is_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let expired = api.sign(SignedMethod::Put, BUCKET, "late.txt", now() - 10, &[]);
    api.put_url(&expired, TEXT)
        .await
        .expect_error(403, "url_expired");
    api.assert_unchanged(&before).await;
    api.upload_with_key(BUCKET, "late.txt", TEXT).await;
    let expired = api.sign(SignedMethod::Get, BUCKET, "late.txt", now() - 10, &[]);
    api.get_url(&expired).await.expect_error(403, "url_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_size_limit_is_enforced_and_covered_by_the_signature() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let limit = [("max_size", "100")];
    let url = api.sign(SignedMethod::Put, BUCKET, "small.bin", now() + 600, &limit);
    let before = api.snapshot().await;
    api.put_url(&url, &test_bytes(101, 4))
        .await
        .expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    for (what, tampered) in [
        ("raised", edit(&url, "max_size=100", "max_size=1000000")),
        ("removed", edit(&url, "max_size=100&", "")),
    ] {
        api.put_url(&tampered, &test_bytes(101, 4))
            .await
            .expect_error_for(what, 403, "signature_invalid");
        api.assert_unchanged(&before).await;
    }
    // A declared length over the limit is refused from the headers alone, before any body byte.
    let line = format!("PUT {} HTTP/1.1", target(&server, &url));
    let reply = api.raw(&line, &["Content-Length: 101"], b"").await;
    reply.expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    let file = api.put_url(&url, &test_bytes(100, 4)).await.file(201);
    assert_eq!(file.filesize, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_server_limit_is_refused_before_the_body() {
    let server = TestServer::start_with(|config| config.max_file_size = 1000).await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let url = api.sign(SignedMethod::Put, BUCKET, "huge.bin", now() + 600, &[]);
    let line = format!("PUT {} HTTP/1.1", target(&server, &url));
    for length in ["1001", "10000000000000"] {
        let header = format!("Content-Length: {length}");
        let reply = api.raw(&line, &[&header], b"").await;
        reply.expect_error_for(length, 413, "file_too_large");
        api.assert_unchanged(&before).await;
    }
    let bearer = format!("Authorization: {}", server.bearer());
    let by_key = ["Content-Length: 1001", bearer.as_str()];
    let reply = api
        .raw("PUT /default/huge.bin HTTP/1.1", &by_key, b"")
        .await;
    reply.expect_error(413, "file_too_large");
    api.put_url(&url, &test_bytes(1001, 5))
        .await
        .expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
}

/// `curl -T` sends `Expect: 100-continue`; a request the headers already condemn must get its final
/// answer at once, never a `100 Continue` that invites the body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_from_the_headers_come_before_100_continue() {
    let server = TestServer::start_with(|config| config.max_file_size = 1000).await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let good = api.sign(SignedMethod::Put, BUCKET, "big.bin", now() + 600, &[]);
    let good = target(&server, &good);
    let cases = [
        (
            good.to_owned(),
            "Content-Length: 5000",
            413,
            "file_too_large",
        ),
        (
            edit(good, "/big.bin", "/other.bin"),
            "Content-Length: 10",
            403,
            "signature_invalid",
        ),
        (
            "/default/big.bin".to_owned(),
            "Content-Length: 10",
            401,
            "unauthorized",
        ),
    ];
    for (target, length, status, code) in &cases {
        let line = format!("PUT {target} HTTP/1.1");
        let reply = api.raw(&line, &[length, "Expect: 100-continue"], b"").await;
        reply.expect_error_for(&line, *status, code);
        api.assert_unchanged(&before).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_the_limit_is_cut_off() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let url = api.sign(
        SignedMethod::Put,
        BUCKET,
        "chunked.bin",
        now() + 600,
        &[("max_size", "100")],
    );
    let line = format!("PUT {} HTTP/1.1", target(&server, &url));
    let chunk = test_bytes(60, 7);
    let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
    let before = api.snapshot().await;
    let over = [framed.as_slice(), &framed, b"0\r\n\r\n"].concat();
    let reply = api.raw(&line, &["Transfer-Encoding: chunked"], &over).await;
    reply.expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    let fits = [framed.as_slice(), b"0\r\n\r\n"].concat();
    let reply = api.raw(&line, &["Transfer-Encoding: chunked"], &fits).await;
    assert_eq!(reply.file(201).sha256, sha256_hex(&chunk));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_cut_off_mid_body_leaves_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let url = api.sign(SignedMethod::Put, BUCKET, "cut.bin", now() + 600, &[]);
    let line = format!("PUT {} HTTP/1.1", target(&server, &url));
    let before = api.snapshot().await;
    let partial = test_bytes(300_000, 8);
    if let Some(reply) = api
        .raw_cut(&line, &["Content-Length: 1000000"], &partial)
        .await
    {
        assert_ne!(reply.status, 201, "{reply}");
    }
    api.await_unchanged(&before).await;
    // The URL still works for a complete upload.
    api.put_url(&url, TEXT).await.file(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_times_out_and_leaves_nothing() {
    let server = TestServer::start_with(|config| {
        config.idle_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    let api = Api::new(&server);
    let url = api.sign(SignedMethod::Put, BUCKET, "slow.bin", now() + 600, &[]);
    let line = format!("PUT {} HTTP/1.1", target(&server, &url));
    let before = api.snapshot().await;
    // Ten bytes of a hundred, then silence.
    let reply = api.raw(&line, &["Content-Length: 100"], &[7; 10]).await;
    reply.expect_error(408, "request_timeout");
    api.assert_unchanged(&before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_put_needs_an_api_key() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, "k.txt", json!({})).await;
    let before = api.snapshot().await;
    let anonymous = api.put_url(&server.url("/default/k.txt"), TEXT).await;
    anonymous.expect_error(401, "unauthorized");
    for (credential, status, code) in [
        ("nonsense", 401, "unauthorized"),
        (token.as_str(), 403, "forbidden"),
    ] {
        let request = api
            .auth(Method::PUT, "/default/k.txt", credential)
            .body(TEXT);
        api.send(request)
            .await
            .expect_error_for(credential, status, code);
    }
    api.assert_unchanged(&before).await;
    let by_key = api
        .send(api.key(Method::PUT, "/default/k.txt").body(TEXT))
        .await;
    let file = by_key.file(201);
    assert_eq!(
        (file.path.as_str(), file.filesize),
        ("k.txt", TEXT.len() as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_files_upload_and_unknown_buckets_do_not() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let url = api.sign(SignedMethod::Put, BUCKET, "empty.bin", now() + 600, &[]);
    let file = api.put_url(&url, b"").await.file(201);
    assert_eq!((file.filesize, file.sha256.clone()), (0, sha256_hex(b"")));
    let before = api.snapshot().await;
    let url = api.sign(
        SignedMethod::Put,
        "nosuch-bucket",
        "a.txt",
        now() + 600,
        &[],
    );
    api.put_url(&url, TEXT).await.expect_error(404, "not_found");
    api.assert_unchanged(&before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_to_an_existing_path_is_a_conflict() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let first = api.upload_with_key(BUCKET, "taken.txt", TEXT).await;
    let before = api.snapshot().await;
    let url = api.sign(SignedMethod::Put, BUCKET, "taken.txt", now() + 600, &[]);
    api.put_url(&url, b"second")
        .await
        .expect_error(409, "file_exists");
    api.assert_unchanged(&before).await;
    let by_key = api
        .send(api.key(Method::PUT, "/default/taken.txt").body("second"))
        .await;
    by_key.expect_error(409, "file_exists");
    api.assert_unchanged(&before).await;
    assert_eq!(api.get_file(&first.id).await.file(200), first);
}

/// Raw request targets that `reqwest` would normalize. The router does not normalize either: the
/// server sees the dot segments and refuses them, signed or not, and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_in_the_url_path_never_stores() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let bearer = format!("Authorization: {}", server.bearer());
    let signed = "?expiry=9999999999&signature=AAAA";
    let path_errors = [
        "/default/../x",
        "/default/%2e%2e/x",
        "/default/%2E%2E/x",
        "/default/.%2e/x",
        "/default/a/%2e%2e/%2e%2e/x",
        "/default/a%2f..%2f..%2fx",
        "/default/..%5cx",
        "/default/a%5cb",
        "/default/a%00b",
        "/default/a%0ab",
        "/default/./x",
        "/default/%2e/x",
        "/default//x",
        "/default/a//b",
        "/default/a/",
    ];
    let bucket_errors = ["/../default/x", "/%2e%2e/default/x", "/Default/x"];
    let targets = path_errors
        .iter()
        .map(|t| (t, "invalid_path"))
        .chain(bucket_errors.iter().map(|t| (t, "invalid_bucket")));
    for (target, code) in targets {
        for (query, auth) in [("", bearer.as_str()), (signed, "X-No-Auth: 1")] {
            let line = format!("PUT {target}{query} HTTP/1.1");
            let reply = api.raw(&line, &[auth, "Content-Length: 4"], b"evil").await;
            reply.expect_error_for(&line, 400, code);
            api.assert_unchanged(&before).await;
        }
    }
}

#[tokio::test]
async fn a_refused_upload_tells_the_client_to_drop_the_connection() {
    // Refused before its body is read, the connection cannot carry another request: a client that
    // reused it would fail its next request.
    let server = TestServer::start().await;
    let put = |body: Vec<u8>| {
        server
            .http()
            .put(server.url("/default/taken.bin"))
            .header("Authorization", server.bearer())
            .body(body)
            .send()
    };
    assert_eq!(put(test_bytes(10, 1)).await.unwrap().status(), 201);
    let refused = put(test_bytes(4 << 20, 2)).await.unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(refused.headers()["connection"], "close");
    let listed = server
        .http()
        .get(server.url("/files"))
        .header("Authorization", server.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert!(
        listed.headers().get("connection").is_none(),
        "success keeps the connection"
    );
}
