//! Attacks on upload tokens at `POST /`: forged, edited, expired, foreign and garbage credentials are
//! all refused with `unauthorized` (or `token_expired`), store nothing, and spend nothing.
//!
//! The test server's state exposes the real token-signing secret, so besides the classic forgeries
//! (no algorithm, wrong key, edited payload) the tests sign tokens that are genuine in every way but
//! one (audience, not-before, issued-at, expiry, unknown `jti`), proving each check on its own.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use mediasaur_e2e::api_client::{now, Api, Field, BUCKET};
use mediasaur_e2e::{test_bytes, TestServer};
use serde_json::{json, Value};
use sha2::Sha256;

const PATH: &str = "users/123/avatar.png";
const BYTES: &[u8] = b"not really a png";

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The claims of `token` as JSON.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// `token_` + a JWT of `header` and `claims` signed HS256 with `secret`.
fn forge(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("token_{input}.{signature}")
}

fn standard_header() -> Value {
    json!({ "alg": "HS256", "typ": "upload+jwt" })
}

/// `claims` with `field` set to `value`.
fn with(claims: &Value, field: &str, value: Value) -> Value {
    let mut edited = claims.clone();
    edited[field] = value;
    edited
}

/// Tries `token` as a token upload of [`BYTES`] to `path`.
async fn try_upload(api: &Api<'_>, token: &str, path: &str) -> mediasaur_e2e::api_client::Reply {
    api.upload(token, &[Field::Text("path", path), Field::File(BYTES)])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_edited_tokens_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let genuine = claims(&token);
    let secret = server.state.token_secret();
    let (header, rest) = token.split_once('.').expect("a JWT");
    let signature = rest.rsplit_once('.').expect("a JWT").1;
    let later = now() + 3600;

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none, no signature",
            format!(
                "token_{}.{}.",
                b64(&json!({ "alg": "none", "typ": "upload+jwt" })),
                b64(&genuine)
            ),
            "unauthorized",
        ),
        (
            "alg none, genuine signature kept",
            format!(
                "token_{}.{}.{signature}",
                b64(&json!({ "alg": "none", "typ": "upload+jwt" })),
                b64(&genuine)
            ),
            "unauthorized",
        ),
        (
            "alg HS512 claimed",
            forge(
                &json!({ "alg": "HS512", "typ": "upload+jwt" }),
                &genuine,
                secret,
            ),
            "unauthorized",
        ),
        (
            "typ JWT",
            forge(&json!({ "alg": "HS256", "typ": "JWT" }), &genuine, secret),
            "unauthorized",
        ),
        (
            "signed with another key",
            forge(&standard_header(), &genuine, &test_bytes(32, 7)),
            "unauthorized",
        ),
        (
            "pth edited, signature kept",
            format!(
                "{header}.{}.{signature}",
                b64(&with(&genuine, "pth", json!("x.png")))
            ),
            "unauthorized",
        ),
        (
            "exp edited, signature kept",
            format!(
                "{header}.{}.{signature}",
                b64(&with(&genuine, "exp", json!(later + 9)))
            ),
            "unauthorized",
        ),
        (
            "wrong audience",
            forge(
                &standard_header(),
                &with(&genuine, "aud", json!("download")),
                secret,
            ),
            "unauthorized",
        ),
        (
            "not valid before an hour from now",
            forge(
                &standard_header(),
                &with(&genuine, "nbf", json!(later)),
                secret,
            ),
            "unauthorized",
        ),
        (
            "issued an hour from now",
            forge(
                &standard_header(),
                &with(&genuine, "iat", json!(later)),
                secret,
            ),
            "unauthorized",
        ),
        (
            "a jti the server never issued",
            forge(
                &standard_header(),
                &with(&genuine, "jti", json!("tok_forged")),
                secret,
            ),
            "unauthorized",
        ),
        (
            "expired ten seconds ago",
            forge(
                &standard_header(),
                &with(&genuine, "exp", json!(now() - 10)),
                secret,
            ),
            "token_expired",
        ),
        (
            "signature cut short",
            token[..token.len() - 2].to_owned(),
            "unauthorized",
        ),
        (
            "no signature",
            format!("{header}.{}", rest.rsplit_once('.').expect("JWT").0),
            "unauthorized",
        ),
        (
            "token_ prefix missing",
            token["token_".len()..].to_owned(),
            "unauthorized",
        ),
        ("not a JWT", "token_garbage".to_owned(), "unauthorized"),
    ];
    let before = api.snapshot().await;
    for (what, forged, code) in &cases {
        let path = if what.starts_with("pth") {
            "x.png"
        } else {
            PATH
        };
        let reply = try_upload(&api, forged, path).await;
        reply.expect_error_for(what, 401, code);
        api.assert_unchanged(&before).await;
    }
    // None of the forgeries spent the genuine token.
    let file = api.upload_with_token(&token, PATH, BYTES).await;
    assert_eq!((file.bucket.as_str(), file.path.as_str()), (BUCKET, PATH));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expires_after_its_lifetime() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api
        .mint_token(BUCKET, PATH, json!({ "expires_in": 1 }))
        .await;
    let before = api.snapshot().await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    try_upload(&api, &token, PATH)
        .await
        .expect_error(401, "token_expired");
    api.assert_unchanged(&before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_another_server_is_refused() {
    let minting = TestServer::start().await;
    let other = TestServer::start().await;
    let token = Api::new(&minting).mint_token(BUCKET, PATH, json!({})).await;
    let api = Api::new(&other);
    let before = api.snapshot().await;
    try_upload(&api, &token, PATH)
        .await
        .expect_error(401, "unauthorized");
    api.assert_unchanged(&before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_credentials_are_unauthorized() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let without_scheme = server.api_key.clone();
    let values = [
        None,
        Some("Basic x"),
        Some("Bearer nonsense"),
        Some(""),
        Some("Bearer "),
        Some("Bearer sk_nosuchkey"),
        Some("Bearer token_"),
        Some("Bearer token_a.b.c"),
        Some(without_scheme.as_str()),
    ];
    let before = api.snapshot().await;
    for value in values {
        let fields = [
            Field::Text("bucket", BUCKET),
            Field::Text("path", PATH),
            Field::File(BYTES),
        ];
        let reply = api.upload_as(value, &fields).await;
        reply.expect_error_for(
            value.map(|v| v.replace(&server.api_key, "<key>")),
            401,
            "unauthorized",
        );
        api.assert_unchanged(&before).await;
    }
}
