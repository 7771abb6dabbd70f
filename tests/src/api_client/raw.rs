//! Raw HTTP/1.1 on a TCP stream, for the requests `reqwest` would normalize or refuse to send.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Api, Reply};

impl Api<'_> {
    /// Sends one HTTP/1.1 request exactly as written (`request_line` like `PUT /a/../b HTTP/1.1`, whole
    /// header lines, and `body`), adding only `Host` and `Connection: close`, and returns the first
    /// response (an interim `100 Continue` included). For what `reqwest` would normalize or refuse to
    /// send: dot segments, lying `Content-Length`s, hand-made chunked bodies.
    pub async fn raw(&self, request_line: &str, headers: &[&str], body: &[u8]) -> Reply {
        let close = [headers, &["Connection: close"]].concat();
        let mut stream = self.send_head(request_line, &close).await;
        // The server may answer and close before reading a body it refuses.
        let _ = stream.write_all(body).await;
        let raw = tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("no complete response to {request_line:?} within 10 s"));
        let reply = parse_response(&raw);
        self.assert_no_secrets(&reply);
        reply
    }

    /// Connects and sends `request_line`, `Host`, and `headers`.
    async fn send_head(&self, request_line: &str, headers: &[&str]) -> TcpStream {
        let mut head = format!("{request_line}\r\nHost: {}\r\n", self.server.addr);
        for line in headers {
            head.push_str(line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.server.addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("send head");
        stream
    }

    /// Sends the start of a request (as [`Api::raw`]) and then closes the connection's write side, as
    /// a client that dies mid-body does. Returns the response, if the server still sent one.
    pub async fn raw_cut(
        &self,
        request_line: &str,
        headers: &[&str],
        partial_body: &[u8],
    ) -> Option<Reply> {
        let mut stream = self.send_head(request_line, headers).await;
        let _ = stream.write_all(partial_body).await;
        let _ = stream.shutdown().await;
        let raw = tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
            .await
            .unwrap_or_default();
        find(&raw, b"\r\n\r\n")?;
        let reply = parse_response(&raw);
        self.assert_no_secrets(&reply);
        Some(reply)
    }
}

async fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(head_end) = find(&raw, b"\r\n\r\n") {
            let head = parse_response(&raw[..head_end + 4]);
            let length = head
                .header("content-length")
                .and_then(|v| v.parse::<usize>().ok());
            // An interim response (`100 Continue`) is returned as it is, for the test to judge.
            let interim = head.status.is_informational();
            if interim || length.is_some_and(|len| raw.len() >= head_end + 4 + len) {
                return raw;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses a raw HTTP/1.1 response with a `Content-Length` (or none and a body up to EOF).
fn parse_response(raw: &[u8]) -> Reply {
    let head_end = find(raw, b"\r\n\r\n").expect("a complete response head");
    let head = std::str::from_utf8(&raw[..head_end]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .expect("a status line");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).expect("a header name"),
            HeaderValue::from_str(value.trim()).expect("a header value"),
        );
    }
    assert!(
        headers.get("transfer-encoding").is_none(),
        "raw responses are expected with a Content-Length"
    );
    let mut body = raw[head_end + 4..].to_vec();
    if let Some(len) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        body.truncate(len);
    }
    Reply {
        status,
        headers,
        body,
    }
}
