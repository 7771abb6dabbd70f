//! The signing rules checked against vectors written by an independent implementation
//! (`testdata/gen_signed_url_vectors.py`); the server's tests read the same file.

use std::collections::BTreeMap;

use mediasaur_api::signed_url::{
    canonical_string, host_of, parse_query, sign_url, signature, verify_url, SignedMethod,
    UrlError, UrlSigningKey, UrlTarget,
};
use mediasaur_api::{BucketName, ObjectPath};
use serde::Deserialize;
use url::Url;

#[derive(Deserialize)]
struct Vector {
    api_key: String,
    method: String,
    base_url: String,
    bucket: String,
    path: String,
    expiry: i64,
    constraints: BTreeMap<String, String>,
    host: String,
    signing_key_hex: String,
    canonical: String,
    signature: String,
    url: String,
}

fn vectors() -> Vec<Vector> {
    // Embedded at compile time: a test binary built from another checkout still reads these.
    serde_json::from_str(include_str!("../testdata/signed_url_vectors.json")).unwrap()
}

#[test]
fn every_vector_signs_and_verifies() {
    let all = vectors();
    assert!(all.len() >= 5);
    for v in all {
        let key = UrlSigningKey::derive(&v.api_key);
        let mut hex = String::new();
        for b in key.as_bytes() {
            hex.push_str(&format!("{b:02x}"));
        }
        assert_eq!(hex, v.signing_key_hex);
        let base = Url::parse(&v.base_url).unwrap();
        assert_eq!(host_of(&base), v.host);
        let bucket = BucketName::parse(&v.bucket).unwrap();
        let path = ObjectPath::parse(&v.path).unwrap();
        let method = SignedMethod::parse(&v.method).unwrap();
        let target = UrlTarget {
            method,
            host: &v.host,
            bucket: &bucket,
            path: &path,
            expiry: v.expiry,
            constraints: &v.constraints,
        };
        assert_eq!(canonical_string(&target), v.canonical);
        assert_eq!(signature(&key, &target), v.signature);
        let url = sign_url(
            &key,
            &base,
            method,
            &bucket,
            &path,
            v.expiry,
            &v.constraints,
        );
        assert_eq!(url.as_str(), v.url);

        let query = parse_query(url.query()).unwrap().unwrap();
        assert_eq!(
            verify_url(
                [&key],
                method,
                &v.host,
                &bucket,
                &path,
                &query,
                v.expiry - 1
            ),
            Ok(0)
        );
        assert_eq!(
            verify_url([&key], method, &v.host, &bucket, &path, &query, v.expiry),
            Err(UrlError::Expired)
        );
        let other = match method {
            SignedMethod::Get => SignedMethod::Put,
            SignedMethod::Put => SignedMethod::Get,
        };
        assert_eq!(
            verify_url([&key], other, &v.host, &bucket, &path, &query, 0),
            Err(UrlError::SignatureInvalid),
            "a {method:?} signature must not authorize {other:?}"
        );
    }
}

#[test]
fn edits_break_the_signature() {
    let key = UrlSigningKey::derive("sk_edit");
    let base = Url::parse("http://127.0.0.1:8080").unwrap();
    let bucket = BucketName::parse("default").unwrap();
    let path = ObjectPath::parse("a/b.png").unwrap();
    let mut limits = BTreeMap::new();
    limits.insert("max_size".to_owned(), "100".to_owned());
    let url = sign_url(
        &key,
        &base,
        SignedMethod::Put,
        &bucket,
        &path,
        2_000,
        &limits,
    );
    let host = host_of(&base);
    let good = parse_query(url.query()).unwrap().unwrap();
    let check = |q: &mut dyn FnMut(&mut mediasaur_api::signed_url::SignedQuery)| {
        let mut edited = good.clone();
        q(&mut edited);
        verify_url(
            [&key],
            SignedMethod::Put,
            &host,
            &bucket,
            &path,
            &edited,
            1_000,
        )
    };
    assert_eq!(check(&mut |_| {}), Ok(0));
    assert_eq!(
        check(&mut |q| q.expiry += 1),
        Err(UrlError::SignatureInvalid)
    );
    assert_eq!(
        check(&mut |q| {
            q.constraints.insert("max_size".into(), "1000000".into());
        }),
        Err(UrlError::SignatureInvalid)
    );
    assert_eq!(
        check(&mut |q| {
            q.constraints.remove("max_size");
        }),
        Err(UrlError::SignatureInvalid)
    );
    let other_path = ObjectPath::parse("a/c.png").unwrap();
    assert_eq!(
        verify_url(
            [&key],
            SignedMethod::Put,
            &host,
            &bucket,
            &other_path,
            &good,
            1_000
        ),
        Err(UrlError::SignatureInvalid)
    );
    assert_eq!(
        verify_url(
            [&key],
            SignedMethod::Put,
            "evil.test",
            &bucket,
            &path,
            &good,
            1_000
        ),
        Err(UrlError::SignatureInvalid)
    );
    let wrong_key = UrlSigningKey::derive("sk_other");
    assert_eq!(
        verify_url(
            [&wrong_key, &key],
            SignedMethod::Put,
            &host,
            &bucket,
            &path,
            &good,
            1_000
        ),
        Ok(1)
    );
    assert_eq!(parse_query(None), Ok(None));
    assert_eq!(parse_query(Some("expiry=1")), Err(UrlError::NotSigned));
    assert_eq!(
        parse_query(Some("expiry=x&signature=y")),
        Err(UrlError::Malformed)
    );
    assert_eq!(
        parse_query(Some("expiry=1&expiry=2&signature=y")),
        Err(UrlError::Malformed)
    );
}
