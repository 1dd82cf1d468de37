//! The few requests the benchmark makes itself, through hyper's client: a token, and one
//! checked request before each run.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::USERNAME;
use super::scenario::{Sampled, Scenario};

/// One HTTP/1.1 exchange, answered within 30 seconds: status and body.
fn http(
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(format!("http://{addr}{path}"));
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_string())))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("启动异步运行时")?;
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let exchange = async {
            let answer = client.request(req).await?;
            let status = answer.status().as_u16();
            let body = answer.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .with_context(|| format!("{method} {path}: no answer within 30 s"))?
            .with_context(|| format!("{method} {path}"))
    })
}

pub(super) fn get_token(addr: SocketAddr, password: &str) -> Result<String> {
    let body = serde_json::json!({ "username": USERNAME, "password": password }).to_string();
    let (status, answer) = http(addr, Method::POST, "/api/v1/tokens", None, Some(&body))?;
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
    let (status, body) = http(addr, Method::GET, &path, token, None)?;
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
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};

    use super::*;

    /// A stand-in for the server: a token for the right password, `me` for the right token.
    fn server() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route(
                "/api/v1/tokens",
                post(|body: String| async move {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    if v["username"] == USERNAME && v["password"] == "pw" {
                        (StatusCode::CREATED, r#"{"token":"t0k"}"#)
                    } else {
                        (StatusCode::UNAUTHORIZED, "{}")
                    }
                }),
            )
            .route(
                "/api/v1/me",
                get(|headers: HeaderMap| async move {
                    match headers.get("authorization").map(|v| v.to_str().unwrap()) {
                        Some("Bearer t0k") => {
                            (StatusCode::OK, format!("{{\"username\":\"{USERNAME}\"}}"))
                        }
                        _ => (StatusCode::UNAUTHORIZED, String::new()),
                    }
                }),
            );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        addr
    }

    #[test]
    fn a_token_is_asked_for_and_sent() {
        let addr = server();
        let token = get_token(addr, "pw").unwrap();
        assert_eq!(token, "t0k");
        let probe = Sampled {
            id: 1,
            id_number: String::new(),
        };
        check(addr, Scenario::Me, Some(&token), &probe).unwrap();
        assert!(check(addr, Scenario::Me, Some("wrong"), &probe).is_err());
        assert!(get_token(addr, "wrong").is_err());
    }
}
