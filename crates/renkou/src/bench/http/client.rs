//! The few requests the benchmark makes itself: a token, and one checked request before each
//! run.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::USERNAME;
use super::scenario::{Sampled, Scenario};

/// One HTTP/1.1 exchange on a new connection: status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        write!(req, "Authorization: Bearer {t}\r\n")?;
    }
    if let Some(b) = body {
        write!(
            req,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        )?;
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .context("no end of headers in the answer")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line: {head}"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

pub(super) fn get_token(addr: SocketAddr, password: &str) -> Result<String> {
    let body = serde_json::json!({ "username": USERNAME, "password": password }).to_string();
    let (status, answer) = http(addr, "POST", "/api/v1/tokens", None, Some(&body))?;
    if status != 201 {
        bail!("POST /api/v1/tokens: {status} {answer}");
    }
    let v: serde_json::Value = serde_json::from_str(&answer)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no token in {answer}"))
}

/// One request of the scenario before the load, checked: the right person comes back, so the
/// run measures the work and not a fast refusal.
pub(super) fn check(
    addr: SocketAddr,
    scenario: Scenario,
    token: Option<&str>,
    probe: &Sampled,
) -> Result<()> {
    let path = match scenario {
        Scenario::Search => format!("{}{}", scenario.path_prefix(), probe.id_number),
        _ => format!("{}{}", scenario.path_prefix(), probe.id),
    };
    let (status, body) = http(addr, "GET", &path, token, None)?;
    if status != 200 {
        bail!("GET {path}: {status} {body}");
    }
    let ok = match scenario {
        Scenario::Empty => true,
        Scenario::Me => body.contains(USERNAME),
        Scenario::Search => {
            let v: serde_json::Value = serde_json::from_str(&body)?;
            v["count"] == 1 && v["items"][0]["id"] == probe.id
        }
        Scenario::View => {
            let v: serde_json::Value = serde_json::from_str(&body)?;
            v["person"]["id"] == probe.id
        }
    };
    if !ok {
        bail!("GET {path} did not answer with person {}: {body}", probe.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
    }
}
