"""Writes signed_url_vectors.json from an independent (Python) implementation of the signing rules in
crates/mediasaur-api/src/signed_url.rs, so the Rust code is checked against something it did not produce.
Run: python3 gen_signed_url_vectors.py > signed_url_vectors.json"""
import base64, hashlib, hmac, json, unicodedata
from urllib.parse import quote

UNRESERVED = "-._~"

def enc(s):
    return quote(s, safe=UNRESERVED)

def sign(api_key, method, host, bucket, path, expiry, constraints):
    path = unicodedata.normalize("NFC", path)
    signing_key = hmac.new(api_key.encode(), b"mediasaur-url-v1", hashlib.sha256).digest()
    enc_path = "/".join(enc(seg) for seg in path.split("/"))
    cons = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(constraints.items()))
    canonical = "\n".join(["MEDIASAUR-HMAC-SHA256", method, host.lower(), f"/{bucket}/{enc_path}", str(expiry), cons])
    sig = base64.urlsafe_b64encode(hmac.new(signing_key, canonical.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    query = (cons + "&" if cons else "") + f"expiry={expiry}&signature={sig}"
    return signing_key.hex(), canonical, sig, f"/{bucket}/{enc_path}?{query}"

cases = [
    ("sk_test0000000000000000000000000000000000000", "PUT", "https://you.mediasaur.test", "default", "image.png", 1765432100, {}),
    ("sk_test0000000000000000000000000000000000000", "GET", "https://you.mediasaur.test", "default", "image.png", 1765432100, {}),
    ("sk_AnotherKeyWithMixedCase1234567890abcdefXY", "PUT", "http://127.0.0.1:8080", "media-2024", "nested/folders/my photo (1).jpg", 2000000000, {"max_size": "1048576"}),
    ("sk_AnotherKeyWithMixedCase1234567890abcdefXY", "GET", "http://LOCALHOST:9000", "photos", "caf\u00e9/\u65e5\u672c/+plus&amp=.txt", 1700000000, {}),
    ("sk_k", "PUT", "https://example.com:443", "abc", "a/b/c~d_e-f.g", 1, {"max_size": "10", "z": "last", "a": "first value"}),
]
out = []
for api_key, method, base, bucket, path, expiry, cons in cases:
    from urllib.parse import urlsplit
    u = urlsplit(base)
    host = u.hostname + (f":{u.port}" if u.port and not ((u.scheme, u.port) in (("https", 443), ("http", 80))) else "")
    signing_key, canonical, sig, rel = sign(api_key, method, host, bucket, path, expiry, cons)
    out.append({
        "api_key": api_key, "method": method, "base_url": base, "bucket": bucket, "path": path,
        "expiry": expiry, "constraints": cons, "host": host.lower(), "signing_key_hex": signing_key,
        "canonical": canonical, "signature": sig, "url": f"{u.scheme}://{host.lower()}{rel}",
    })
print(json.dumps(out, indent=2, ensure_ascii=False))
