//! `POST /token`: minting, who may mint, and every way a mint request can be wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mediasaur_api::token::decode_unverified;
use mediasaur_e2e::api_client::{now, Api, Field, BUCKET};
use mediasaur_e2e::TestServer;
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};

const PATH: &str = "users/123/avatar.png";

async fn post_token(api: &Api<'_>, body: &str) -> mediasaur_e2e::api_client::Reply {
    let request = api
        .key(Method::POST, "/token")
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned());
    api.send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_mints_a_scoped_upload_token() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let before = now();
    let body = json!({ "bucket": BUCKET, "path": PATH, "expires_in": 600 }).to_string();
    let data: Value = post_token(&api, &body).await.data(201);
    let token = data["token"].as_str().expect("a token");
    assert!(token.starts_with("token_"), "{token}");
    assert_eq!(
        (data["bucket"].as_str(), data["path"].as_str()),
        (Some(BUCKET), Some(PATH))
    );

    let claims = decode_unverified(token).expect("a JWT");
    assert_eq!(claims.aud, "upload");
    assert_eq!((claims.bkt.as_str(), claims.pth.as_str()), (BUCKET, PATH));
    assert_eq!(claims.exp - claims.iat, 600);
    assert!((before..=now()).contains(&claims.iat), "iat {}", claims.iat);
    assert_eq!(claims.nbf, claims.iat);
    assert_eq!(claims.iss, server.base.as_str().trim_end_matches('/'));
    assert_eq!(claims.max, None);
    assert!(!claims.jti.is_empty());
    let expires_at = data["expires_at"].as_str().expect("expires_at");
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert_eq!(expires_at.timestamp(), claims.exp);

    let jwt = token.strip_prefix("token_").expect("prefix");
    let header = jwt.split('.').next().expect("a header");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url"))
        .expect("JSON header");
    assert_eq!(header, json!({ "alg": "HS256", "typ": "upload+jwt" }));

    // Defaults, the longest lifetime, and a byte limit.
    let default = api.mint_token(BUCKET, PATH, json!({})).await;
    let default = decode_unverified(&default).expect("a JWT");
    assert_eq!(default.exp - default.iat, 3600);
    assert_ne!(default.jti, claims.jti, "every token is unique");
    let longest = api
        .mint_token(BUCKET, PATH, json!({ "expires_in": 86_400 }))
        .await;
    let longest = decode_unverified(&longest).expect("a JWT");
    assert_eq!(longest.exp - longest.iat, 86_400);
    let body = json!({ "bucket": BUCKET, "path": PATH, "max_size": 1234 }).to_string();
    let limited: Value = post_token(&api, &body).await.data(201);
    assert_eq!(limited["max_size"], 1234);
    let limited = decode_unverified(limited["token"].as_str().expect("token")).expect("JWT");
    assert_eq!(limited.max, Some(1234));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_active_api_key_mints() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let body = json!({ "bucket": BUCKET, "path": PATH });
    let anonymous = api.send(api.req(Method::POST, "/token").json(&body)).await;
    anonymous.expect_error(401, "unauthorized");
    for value in [
        "Basic x",
        "Bearer nonsense",
        "",
        "Bearer sk_nosuchkey",
        "Bearer ",
    ] {
        let request = api
            .req(Method::POST, "/token")
            .header("authorization", value)
            .json(&body);
        let reply = api.send(request).await;
        reply.expect_error_for(value, 401, "unauthorized");
    }
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let by_token = api
        .send(api.auth(Method::POST, "/token", &token).json(&body))
        .await;
    by_token.expect_error(403, "forbidden");

    // Revoking the key stops it and the tokens it minted.
    let keys = mediasaur_server::keys::list(server.state.db())
        .await
        .expect("list keys");
    assert_eq!(keys.len(), 1);
    let revoked = mediasaur_server::keys::revoke(server.state.db(), &keys[0].id)
        .await
        .expect("revoke");
    assert!(revoked);
    let after = api.send(api.key(Method::POST, "/token").json(&body)).await;
    after.expect_error(401, "unauthorized");
    let orphan = api
        .upload(&token, &[Field::Text("path", PATH), Field::File(b"x")])
        .await;
    orphan.expect_error(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_mint_requests_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let invalid_request = [
        r#"{"bucket":"#.to_owned(),
        String::new(),
        "[]".to_owned(),
        json!({ "path": PATH }).to_string(),
        json!({ "bucket": BUCKET }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "surprise": 1 }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "expires_in": 0 }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "expires_in": 86_401 }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "expires_in": -5 }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "expires_in": "soon" }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "max_size": 0 }).to_string(),
        json!({ "bucket": BUCKET, "path": PATH, "max_size": -1 }).to_string(),
        // Larger than any mint request needs to be.
        json!({ "bucket": BUCKET, "path": PATH, "pad": "x".repeat(100_000) }).to_string(),
    ];
    for body in &invalid_request {
        let reply = post_token(&api, body).await;
        reply.expect_error_for(body, 400, "invalid_request");
    }
    let too_long = "a".repeat(1025);
    for path in [
        "../x", "/abs", "a//b", "a\\b", "a\0b", "a/./b", "a/", "", &too_long,
    ] {
        let body = json!({ "bucket": BUCKET, "path": path }).to_string();
        let reply = post_token(&api, &body).await;
        reply.expect_error_for(path, 400, "invalid_path");
    }
    for bucket in ["Files", "files", "ab", "-ab", "a_b", "token"] {
        let body = json!({ "bucket": bucket, "path": PATH }).to_string();
        let reply = post_token(&api, &body).await;
        reply.expect_error_for(bucket, 400, "invalid_bucket");
    }
    let body = json!({ "bucket": "nosuch-bucket", "path": PATH }).to_string();
    post_token(&api, &body).await.expect_error(404, "not_found");
}
