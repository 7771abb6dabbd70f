//! `POST /signatures`: the server signs exactly what a client holding the key signs itself (the shared
//! vectors' encoding and parameter order), and its URLs work.

use std::collections::BTreeMap;

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_api::ObjectPath;
use mediasaur_e2e::api_client::{now, png, Api, Reply, BUCKET};
use mediasaur_e2e::{test_bytes, TestServer};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

/// `POST /signatures` with the key.
async fn request_signature(api: &Api<'_>, body: &Value) -> Reply {
    api.send(api.key(Method::POST, "/signatures").json(body))
        .await
}

/// `POST /signatures` that must succeed; returns the URL and its expiry.
async fn signature(api: &Api<'_>, body: &Value) -> (String, i64) {
    let data: Value = request_signature(api, body).await.data(201);
    let method = body["method"].as_str().expect("a method");
    assert_eq!(
        data["method"].as_str(),
        Some(method.to_uppercase().as_str())
    );
    let url = data["url"].as_str().expect("a URL").to_owned();
    (url, data["expiry"].as_i64().expect("an expiry"))
}

/// The names of `url`'s query parameters, in order.
fn query_names(url: &str) -> Vec<String> {
    let url = Url::parse(url).expect("a URL");
    url.query_pairs().map(|(k, _)| k.into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_signs_what_a_client_signs_and_the_urls_work() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let path = "photos/cat.png";
    let (url, expiry) = signature(
        &api,
        &json!({ "bucket": BUCKET, "path": path, "method": "put" }),
    )
    .await;
    assert!(
        (expiry - now() - 3600).abs() <= 5,
        "default lifetime: {expiry}"
    );
    assert_eq!(url, api.sign(SignedMethod::Put, BUCKET, path, expiry, &[]));
    assert!(
        url.starts_with(&server.url("/default/photos/cat.png?")),
        "{url}"
    );
    assert_eq!(query_names(&url), ["expiry", "signature"]);

    let image = png(300, 200);
    let file = api.put_url(&url, &image).await.file(201);
    assert_eq!((file.bucket.as_str(), file.path.as_str()), (BUCKET, path));
    assert_eq!(
        (file.mime_type.as_str(), file.width, file.height),
        ("image/png", Some(300), Some(200))
    );
    assert_eq!(file.url, server.url("/default/photos/cat.png"));
    assert_eq!(api.get_file(&file.id).await.file(200), file);
    let snapshot = api.snapshot().await;
    assert_eq!(
        (snapshot.file_ids.len(), snapshot.blobs, snapshot.temp),
        (1, 1, 0)
    );

    let get = json!({ "bucket": BUCKET, "path": path, "method": "get", "expires_in": 60 });
    let (url, expiry) = signature(&api, &get).await;
    assert!(expiry - now() <= 60, "expiry {expiry}");
    assert_eq!(url, api.sign(SignedMethod::Get, BUCKET, path, expiry, &[]));
    assert_eq!(api.get_url(&url).await.body, image);

    let limited =
        json!({ "bucket": BUCKET, "path": "small.bin", "method": "put", "max_size": 100 });
    let (url, expiry) = signature(&api, &limited).await;
    let constraints = [("max_size", "100")];
    assert_eq!(
        url,
        api.sign(SignedMethod::Put, BUCKET, "small.bin", expiry, &constraints)
    );
    assert_eq!(query_names(&url), ["max_size", "expiry", "signature"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_requests_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let week = 7 * 86_400;
    let invalid_requests = [
        json!({ "method": "delete" }),
        json!({ "method": "head" }),
        json!({ "method": null }),
        json!({ "method": "get", "max_size": 5 }),
        json!({ "expires_in": 0 }),
        json!({ "expires_in": week + 1 }),
        json!({ "unknown": true }),
    ];
    let cases = invalid_requests
        .into_iter()
        .map(|edit| (edit, 400, "invalid_request"))
        .chain([
            (json!({ "path": "../a.txt" }), 400, "invalid_path"),
            (json!({ "path": "a\\b" }), 400, "invalid_path"),
            (json!({ "bucket": "files" }), 400, "invalid_bucket"),
            (json!({ "bucket": "nosuch-bucket" }), 404, "not_found"),
        ]);
    for (edit, status, code) in cases {
        let mut body = json!({ "bucket": BUCKET, "path": "a.txt", "method": "put" });
        for (name, value) in edit.as_object().expect("an object") {
            if value.is_null() {
                body.as_object_mut().expect("an object").remove(name);
            } else {
                body[name] = value.clone();
            }
        }
        request_signature(&api, &body)
            .await
            .expect_error_for(&body, status, code);
    }
    let (url, expiry) = signature(
        &api,
        &json!({ "bucket": BUCKET, "path": "a.txt", "method": "put", "expires_in": week }),
    )
    .await;
    assert!(expiry - now() <= week, "{url}");

    let body = json!({ "bucket": BUCKET, "path": "a.txt", "method": "put" });
    let anonymous = api
        .send(api.req(Method::POST, "/signatures").json(&body))
        .await;
    anonymous.expect_error(401, "unauthorized");
    let token = api.mint_token(BUCKET, "a.txt", json!({})).await;
    let by_token = api
        .send(api.auth(Method::POST, "/signatures", &token).json(&body))
        .await;
    by_token.expect_error(403, "forbidden");
}

#[derive(Debug, Deserialize)]
struct Vector {
    method: String,
    bucket: String,
    path: String,
    constraints: BTreeMap<String, String>,
    url: String,
}

fn vectors() -> Vec<Vector> {
    // Embedded at compile time: a test binary built from another checkout still reads these.
    serde_json::from_str(include_str!(
        "../../../crates/mediasaur-api/testdata/signed_url_vectors.json"
    ))
    .expect("JSON")
}

/// A URL for vector `v` on this server: from `/signatures` when the server can sign its constraints
/// (then it must equal the client's URL exactly), else signed by the client.
async fn url_for(api: &Api<'_>, v: &Vector) -> String {
    let method = SignedMethod::parse(&v.method).expect("GET or PUT");
    let constraints: Vec<(&str, &str)> = v
        .constraints
        .iter()
        .map(|(k, value)| (k.as_str(), value.as_str()))
        .collect();
    if v.constraints.keys().any(|k| k != "max_size") {
        // Every query parameter is signed, even ones the server does not act on.
        return api.sign(method, &v.bucket, &v.path, now() + 600, &constraints);
    }
    let mut body = json!({ "bucket": v.bucket, "path": v.path, "method": v.method.to_lowercase() });
    if let Some(max) = v.constraints.get("max_size") {
        body["max_size"] = json!(max.parse::<u64>().expect("a number"));
    }
    let (url, expiry) = signature(api, &body).await;
    assert_eq!(
        url,
        api.sign(method, &v.bucket, &v.path, expiry, &constraints)
    );
    url
}

/// The shared vectors (from an independent implementation) against the server: paths are encoded
/// and parameters ordered as they are, and each URL uploads or downloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_follows_the_shared_signing_vectors() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let vectors = vectors();
    assert!(vectors.len() >= 5);
    // Uploads first, so the downloads find their files.
    let (puts, gets): (Vec<_>, Vec<_>) = vectors.iter().partition(|v| v.method == "PUT");
    let mut stored = Vec::new();
    for v in puts.iter().chain(&gets) {
        api.create_bucket(&v.bucket, false).await;
        let url = url_for(&api, v).await;
        let expected = Url::parse(&v.url).expect("a URL");
        assert_eq!(
            Url::parse(&url).expect("a URL").path(),
            expected.path(),
            "{v:?}"
        );
        assert_eq!(query_names(&url), query_names(&v.url), "{v:?}");

        let max = v
            .constraints
            .get("max_size")
            .map_or(64, |m| m.parse().expect("a number"));
        let bytes = test_bytes(max.min(64), 3);
        let target = (v.bucket.as_str(), v.path.as_str());
        if v.method == "PUT" {
            let file = api.put_url(&url, &bytes).await.file(201);
            assert_eq!(
                file.path,
                ObjectPath::parse(&v.path).expect("a path").as_str()
            );
            stored.push(target);
            continue;
        }
        if !stored.contains(&target) {
            api.upload_with_key(&v.bucket, &v.path, &bytes).await;
            stored.push(target);
        }
        let reply = api.get_url(&url).await;
        assert_eq!(reply.status, 200, "{v:?}: {reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signed_url_with_spaces_and_unicode_works() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let path = "dir name/café 日本.png";
    let url = api.sign(SignedMethod::Put, BUCKET, path, now() + 600, &[]);
    let encoded = "/default/dir%20name/caf%C3%A9%20%E6%97%A5%E6%9C%AC.png";
    assert!(
        url.starts_with(&server.url(&format!("{encoded}?expiry="))),
        "{url}"
    );
    let image = png(300, 200);
    let file = api.put_url(&url, &image).await.file(201);
    assert_eq!(
        (file.path.as_str(), file.url.clone()),
        (path, server.url(encoded))
    );
    let download = api.sign(SignedMethod::Get, BUCKET, path, now() + 600, &[]);
    assert_eq!(api.get_url(&download).await.body, image);
}
