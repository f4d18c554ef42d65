//! The HTTP client shared by the alert and metrics pollers and the executor (silences): one
//! `reqwest::Client` (rustls) with connect and request timeouts, authentication, extra headers,
//! a custom CA and a cap on response sizes. Secrets never reach logs or error messages.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Largest response body read (bigger ones are an error, not a truncated parse).
pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;

/// A secret value (token, password). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(Secret),
    Basic {
        user: String,
        password: Secret,
    },
}

/// Everything needed to build an [`HttpClient`], already resolved (secrets read).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub timeout: Duration,
    pub auth: Auth,
    /// Extra headers on every request (e.g. `X-Scope-OrgID`).
    pub headers: Vec<(String, String)>,
    /// PEM file with extra trusted CA certificates.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (dangerous; for labs only).
    pub insecure_skip_verify: bool,
    pub max_body: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(5),
            auth: Auth::None,
            headers: Vec::new(),
            ca_file: None,
            insecure_skip_verify: false,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// Why a request failed. Messages never contain the URL's credentials or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    #[error("timed out")]
    Timeout,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Other(String),
}

/// A reusable client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    auth: Auth,
    max_body: usize,
}

impl HttpClient {
    /// Build the client: timeouts, headers, CA file, TLS verification.
    pub fn new(opts: &HttpOptions) -> Result<HttpClient, HttpError> {
        let mut headers = HeaderMap::new();
        for (k, v) in &opts.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| HttpError::Build(format!("invalid header name {k:?}")))?;
            let mut value = HeaderValue::from_str(v)
                .map_err(|_| HttpError::Build(format!("invalid value for header {k}")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .default_headers(headers)
            .user_agent(concat!("opsdeck/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(opts.insecure_skip_verify);
        if let Some(path) = &opts.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| HttpError::Build(format!("{}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| HttpError::Build(format!("{}: {e}", path.display())))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| HttpError::Build(describe(&e)))?;
        Ok(HttpClient {
            client,
            auth: opts.auth.clone(),
            max_body: opts.max_body,
        })
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(&token.0),
            Auth::Basic { user, password } => req.basic_auth(user, Some(&password.0)),
        }
    }

    /// `GET url`: the body of a 2xx response, at most `max_body` bytes.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(self.client.get(url));
        self.send(req).await
    }

    /// `POST url` with a JSON body: the body of a 2xx response.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(self.client.post(url).json(body));
        self.send(req).await
    }

    /// `DELETE url`.
    pub async fn delete(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(self.client.delete(url));
        self.send(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, HttpError> {
        let mut resp = req.send().await.map_err(|e| classify(&e))?;
        let status = resp.status();
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(HttpError::TooLarge(self.max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(HttpError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            let first: String = text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            return Err(HttpError::Status {
                status: status.as_u16(),
                body: first,
            });
        }
        Ok(body)
    }
}

fn classify(e: &reqwest::Error) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout
    } else if e.is_connect() {
        HttpError::Connect(describe(e))
    } else {
        HttpError::Other(describe(e))
    }
}

/// The error and its causes, without the URL (which may carry credentials).
fn describe(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    match parts.last() {
        Some(root) => root.clone(),
        None => "request failed".to_string(),
    }
}

/// `base` + `path`, without a doubled slash.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Make ring the process-wide rustls provider (kube-rs uses ring too; aws-lc-rs, which would
/// need a C toolchain and a second provider, is not compiled in). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
