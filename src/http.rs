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

/// Basic-auth credentials written into a base URL (`https://user:pass@am.example/`): taken out
/// of the URL at start-up, so that the URL the dashboard shows, logs and audits has none, and
/// sent with every request to that base. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlCredentials {
    /// The base URL without its userinfo.
    pub base: String,
    pub user: String,
    pub password: Secret,
}

impl fmt::Debug for UrlCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlCredentials({} as {:?}, ***)", self.base, self.user)
    }
}

impl UrlCredentials {
    /// `url` without its userinfo, and the credentials it held (percent-decoded). A URL that
    /// does not parse is returned as it is (it is refused by validation anyway).
    pub fn split(url: &str) -> (String, Option<UrlCredentials>) {
        let Ok(mut parsed) = reqwest::Url::parse(url) else {
            return (url.to_string(), None);
        };
        if parsed.username().is_empty() && parsed.password().is_none() {
            return (url.to_string(), None);
        }
        let user = percent_decode(parsed.username());
        let password = Secret(parsed.password().map(percent_decode).unwrap_or_default());
        // Cannot fail for http(s) URLs, which have a host.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        let mut base = parsed.to_string();
        if !url.ends_with('/') && parsed.path() == "/" {
            base.pop();
        }
        let credentials = UrlCredentials {
            base: base.clone(),
            user,
            password,
        };
        (base, Some(credentials))
    }

    /// Whether a request to `url` goes to this base (same origin, path below the base's).
    fn covers(&self, url: &reqwest::Url) -> bool {
        let Ok(base) = reqwest::Url::parse(&self.base) else {
            return false;
        };
        let base_path = base.path().trim_end_matches('/');
        let path = url.path();
        base.origin() == url.origin()
            && path.starts_with(base_path)
            && matches!(path[base_path.len()..].chars().next(), None | Some('/'))
    }
}

/// `%XX` escapes of a URL's userinfo decoded (invalid escapes are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    /// Credentials taken out of the configured URLs; they win over `auth` for their base.
    pub url_credentials: Vec<UrlCredentials>,
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
            url_credentials: Vec::new(),
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
    Status {
        status: u16,
        body: String,
        /// The server's `Retry-After` (seconds form), on 429 and 503 answers.
        retry_after: Option<Duration>,
    },
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
    url_credentials: Vec<UrlCredentials>,
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
            // A connection whose path silently died is noticed by the kernel (keepalive) or,
            // over HTTP/2, by pings, not only by the next request's timeout.
            .tcp_keepalive(Duration::from_secs(15))
            .http2_keep_alive_interval(Duration::from_secs(15))
            .http2_keep_alive_timeout(Duration::from_secs(5))
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
            url_credentials: opts.url_credentials.clone(),
            max_body: opts.max_body,
        })
    }

    fn authed(&self, url: &str, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let from_url = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| self.url_credentials.iter().find(|c| c.covers(&u)));
        if let Some(c) = from_url {
            return req.basic_auth(&c.user, Some(&c.password.0));
        }
        match &self.auth {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(&token.0),
            Auth::Basic { user, password } => req.basic_auth(user, Some(&password.0)),
        }
    }

    /// `GET url`: the body of a 2xx response, at most `max_body` bytes.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(url, self.client.get(url));
        self.send(req).await
    }

    /// `POST url` with a JSON body: the body of a 2xx response.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(url, self.client.post(url).json(body));
        self.send(req).await
    }

    /// `DELETE url`.
    pub async fn delete(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let req = self.authed(url, self.client.delete(url));
        self.send(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, HttpError> {
        let mut resp = req.send().await.map_err(|e| classify(&e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
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
                retry_after,
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
        // Never the URL's credentials, should a cause quote the URL.
        Some(root) => crate::redact::url_userinfo(root).into_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_taken_out_of_urls_and_cover_their_base_only() {
        let (base, c) = UrlCredentials::split("https://al%40ce:p%3Ass@am.example:9093/am/");
        assert_eq!(base, "https://am.example:9093/am/");
        let c = c.unwrap();
        assert_eq!((c.user.as_str(), c.password.0.as_str()), ("al@ce", "p:ss"));
        assert!(!format!("{c:?}").contains("p:ss"));
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(c.covers(&url("https://am.example:9093/am/api/v2/alerts")));
        assert!(c.covers(&url("https://am.example:9093/am")));
        assert!(!c.covers(&url("https://am.example:9093/amx/api")));
        assert!(!c.covers(&url("https://am.example:9094/am/api")));
        assert!(!c.covers(&url("http://am.example:9093/am/api")));
        let (base, c) = UrlCredentials::split("http://u:p@127.0.0.1:9093");
        assert_eq!(base, "http://127.0.0.1:9093");
        assert!(
            c.unwrap()
                .covers(&url("http://127.0.0.1:9093/api/v2/silences"))
        );
        assert_eq!(
            UrlCredentials::split("http://127.0.0.1:9093"),
            ("http://127.0.0.1:9093".to_string(), None)
        );
    }
}
