//! Request entry point: faults, auth, routing to discovery, resources, writes, logs, Prometheus,
//! Alertmanager and the `/_sim` control API. Errors are metav1 Status objects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::server::Ctx;
use super::store::Kind;
use super::{
    ADMIN_TOKEN, READONLY_TOKEN, READONLY_USER, discovery, faults::Faults, logs, metrics, prom,
    resources, write,
};

/// Query parameters.
pub type Params = HashMap<String, String>;

/// A Kubernetes API failure, rendered as a Status object.
#[derive(Debug)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    /// A failure with the reason matching `code`.
    pub fn new(code: u16, message: impl Into<String>) -> ApiError {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            406 => "NotAcceptable",
            409 => "Conflict",
            410 => "Expired",
            415 => "UnsupportedMediaType",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            _ => "InternalError",
        };
        ApiError {
            code,
            reason,
            message: message.into(),
        }
    }

    /// `<kind> "<name>" not found`.
    pub fn not_found(kind: Kind, name: &str) -> ApiError {
        ApiError::new(404, format!("{} \"{name}\" not found", kind.plural()))
    }

    /// The Status object.
    pub fn status(&self) -> Value {
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":self.message,"reason":self.reason,"code":self.code})
    }

    /// The HTTP response.
    pub fn response(&self) -> Response {
        let mut r = json_response(self.code, &self.status());
        if self.code == 429 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        r
    }
}

impl From<super::store::StoreError> for ApiError {
    fn from(e: super::store::StoreError) -> Self {
        use super::store::StoreError as E;
        match e {
            E::NotFound => ApiError::new(404, "not found"),
            E::AlreadyExists => ApiError::new(409, e.to_string()).with_reason("AlreadyExists"),
            E::Conflict => ApiError::new(409, e.to_string()),
            E::Invalid(m) => ApiError::new(422, m),
            E::Gone => ApiError::new(410, "too old resource version"),
        }
    }
}

impl ApiError {
    fn with_reason(mut self, reason: &'static str) -> ApiError {
        self.reason = reason;
        self
    }
}

/// Result type of handlers.
pub type ApiResult = Result<Response, ApiError>;

/// A JSON response with `code`.
pub fn json_response(code: u16, v: &Value) -> Response {
    bytes_response(
        code,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default().into(),
    )
}

/// A response with a body and content type.
pub fn bytes_response(code: u16, ctype: &'static str, body: bytes::Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(ctype),
    );
    r
}

/// Who is calling.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Admin,
    ReadOnly,
}

fn role(headers: &HeaderMap) -> Result<Role, ApiError> {
    if headers
        .get("impersonate-user")
        .is_some_and(|u| u == READONLY_USER)
    {
        return Ok(Role::ReadOnly);
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match auth.strip_prefix("Bearer ").map(str::trim) {
        None => Ok(Role::Admin),
        Some(ADMIN_TOKEN) => Ok(Role::Admin),
        Some(READONLY_TOKEN) => Ok(Role::ReadOnly),
        Some(_) => Err(ApiError::new(401, "Unauthorized")),
    }
}

/// A parsed resource path.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: Kind,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

enum Route {
    Discovery(Value),
    Resource(Target),
    AccessReview,
    Metrics(metrics::Target),
}

fn route(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segs.as_slice() {
        ["apis", "metrics.k8s.io", "v1beta1", rest @ ..] if !rest.is_empty() => {
            return metrics::route(rest).map(Route::Metrics);
        }
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", g, "v1", rest @ ..] => (*g, rest),
        _ => return discovery::document(path).map(Route::Discovery),
    };
    if rest.is_empty() {
        return discovery::document(path).map(Route::Discovery);
    }
    if group == "authorization.k8s.io" && rest == ["selfsubjectaccessreviews"] {
        return Some(Route::AccessReview);
    }
    let s = |i: usize| rest.get(i).map(|s| s.to_string());
    let t = match rest {
        ["namespaces", ns, res, more @ ..]
            if more.len() <= 2 && group_kind(group, res).is_some() =>
        {
            Target {
                kind: group_kind(group, res)?,
                ns: Some(ns.to_string()),
                name: s(3),
                sub: s(4),
            }
        }
        [res, more @ ..] if more.len() <= 2 => Target {
            kind: group_kind(group, res)?,
            ns: None,
            name: s(1),
            sub: s(2),
        },
        _ => return None,
    };
    Some(Route::Resource(t))
}

fn group_kind(group: &str, res: &str) -> Option<Kind> {
    Kind::from_plural(group, res)
}

/// Handles one HTTP request.
pub async fn handle(ctx: Arc<Ctx>, req: Request) -> Response {
    let latency = ctx.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = req.uri().path().to_string();
    let params: Params = Query::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let method = req.method().clone();
    tracing::debug!(%method, %path, "request");
    if let Some(rest) = path.strip_prefix("/_sim/") {
        return control(&ctx, &method, rest, &params);
    }
    if prom::owns(&path) {
        let body = read_body(req).await.unwrap_or_default();
        return prom::handle(&ctx, &method, &path, &params, &body).unwrap_or_else(|| {
            ApiError::new(404, "the server could not find the requested resource").response()
        });
    }
    let result = serve(ctx, req, &path, &params).await;
    result.unwrap_or_else(|e| e.response())
}

async fn serve(ctx: Arc<Ctx>, req: Request, path: &str, params: &Params) -> ApiResult {
    if let Some((code, retry)) = ctx.faults.error_now() {
        ctx.stats.bump_total();
        let mut r = ApiError::new(code, "injected fault: the server is unavailable").response();
        if code == 429 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry));
        }
        return Ok(r);
    }
    let role = role(req.headers())?;
    let Some(route) = route(path) else {
        ctx.stats.bump(&ctx.stats.gets);
        return Err(ApiError::new(
            404,
            "the server could not find the requested resource",
        ));
    };
    let method = req.method().clone();
    match route {
        Route::Discovery(doc) => {
            ctx.stats.bump(&ctx.stats.gets);
            Ok(json_response(200, &doc))
        }
        Route::AccessReview if method == Method::POST => {
            ctx.stats.bump(&ctx.stats.creates);
            let body = read_body(req).await?;
            write::access_review(role, &body)
        }
        Route::AccessReview => Err(ApiError::new(405, "method not allowed")),
        Route::Metrics(t) if method == Method::GET => {
            ctx.stats.bump(&ctx.stats.metrics);
            metrics::serve(&ctx, &t, params)
        }
        Route::Metrics(_) => Err(ApiError::new(405, "the metrics API is read-only")),
        Route::Resource(t) => {
            if role == Role::ReadOnly && method != Method::GET {
                return Err(forbidden(&t, &method));
            }
            resource(ctx, req, t, params).await
        }
    }
}

fn forbidden(t: &Target, method: &Method) -> ApiError {
    let verb = match *method {
        Method::DELETE => "delete",
        Method::PATCH => "patch",
        Method::PUT => "update",
        _ => "create",
    };
    let ns =
        t.ns.as_deref()
            .map(|n| format!(" in the namespace \"{n}\""))
            .unwrap_or_default();
    let group = t
        .kind
        .api_version()
        .strip_suffix("v1")
        .unwrap_or("")
        .trim_end_matches('/');
    ApiError::new(
        403,
        format!(
            "{} \"{}\" is forbidden: User \"opsdeck-sim-readonly\" cannot {verb} resource \"{}\" in API group \"{group}\"{ns}",
            t.kind.plural(),
            t.name.as_deref().unwrap_or_default(),
            t.kind.plural()
        ),
    )
}

async fn resource(ctx: Arc<Ctx>, req: Request, t: Target, params: &Params) -> ApiResult {
    let method = req.method().clone();
    let headers = req.headers().clone();
    if header_str(&headers, header::CONTENT_TYPE).contains("protobuf") {
        return Err(ApiError::new(
            415,
            "the simulator accepts JSON request bodies only (protobuf is supported for access reviews)",
        ));
    }
    let s = &ctx.stats;
    match (method, t.name.is_some(), t.sub.as_deref()) {
        (Method::GET, false, _) if is_true(params.get("watch")) => {
            s.bump(&s.watches);
            resources::watch(ctx.clone(), &t, params, &headers)
        }
        (Method::GET, false, _) => {
            s.bump(&s.lists);
            resources::list(&ctx, &t, params, &headers)
        }
        (Method::GET, true, Some("log")) if t.kind == Kind::Pod => {
            s.bump(&s.gets);
            logs::serve(ctx.clone(), &t, params).await
        }
        (Method::GET, true, Some("scale")) => {
            s.bump(&s.gets);
            write::get_scale(&ctx, &t)
        }
        (Method::GET, true, _) => {
            s.bump(&s.gets);
            resources::get(&ctx, &t, params, &headers)
        }
        (Method::POST, false, None) => {
            s.bump(&s.creates);
            let body = read_body(req).await?;
            super::collection::create(&ctx, &t, params, &body)
        }
        (Method::DELETE, true, None) => {
            s.bump(&s.deletes);
            let body = read_body(req).await?;
            write::delete(&ctx, &t, params, &body)
        }
        (Method::PATCH, true, _) => {
            s.bump(&s.patches);
            let ctype = header_str(&headers, header::CONTENT_TYPE);
            let body = read_body(req).await?;
            write::patch(&ctx, &t, params, &ctype, &body)
        }
        (Method::PUT, true, _) => {
            s.bump(&s.updates);
            let body = read_body(req).await?;
            write::put(&ctx, &t, params, &body)
        }
        (m, _, _) => {
            s.bump(&s.creates);
            Err(ApiError::new(
                405,
                format!("{m} is not supported on {}", t.kind.plural()),
            ))
        }
    }
}

/// `true`/`1` query flags.
pub fn is_true(v: Option<&String>) -> bool {
    v.is_some_and(|v| v == "1" || v == "true")
}

/// A header as a string ("" when absent).
pub fn header_str(h: &HeaderMap, name: header::HeaderName) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn read_body(req: Request) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .map_err(|e| ApiError::new(400, format!("reading body: {e}")))
}

fn control(ctx: &Arc<Ctx>, method: &Method, rest: &str, params: &Params) -> Response {
    let faults = Faults::new(ctx.clone());
    let secs = |d: u64| {
        Duration::from_secs(
            params
                .get("seconds")
                .and_then(|s| s.parse().ok())
                .unwrap_or(d),
        )
    };
    let ok = || json_response(200, &json!({"ok": true}));
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["stats"]) => json_response(200, &json!(ctx.stats.snapshot())),
        ("POST", ["faults", "close-watches"]) => {
            faults.close_watches();
            ok()
        }
        ("POST", ["faults", "errors"]) => {
            let status = params
                .get("status")
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
            faults.errors(status, secs(10));
            ok()
        }
        ("POST", ["faults", "latency"]) => {
            let ms = params.get("ms").and_then(|s| s.parse().ok()).unwrap_or(0);
            faults.latency(Duration::from_millis(ms));
            ok()
        }
        ("POST", ["faults", "restart"]) => {
            faults.restart();
            ok()
        }
        ("POST", ["faults", "clear"]) => {
            faults.clear();
            ok()
        }
        ("POST", ["pods", ns, name, action]) => pod_control(ctx, ns, name, action, params),
        _ => ApiError::new(404, format!("unknown control path /_sim/{rest}")).response(),
    }
}

fn pod_control(ctx: &Arc<Ctx>, ns: &str, name: &str, action: &str, params: &Params) -> Response {
    let c = super::faults::Control::new(ctx.clone());
    let r = match action {
        "crash" => c.crash_pod(ns, name),
        "delete" => c.delete_pod(ns, name),
        "ready" => c.set_pod_ready(ns, name, params.get("ready").is_none_or(|v| v != "false")),
        "phase" => c.set_pod_phase(
            ns,
            name,
            params.get("phase").map_or("Running", String::as_str),
        ),
        _ => return ApiError::new(404, format!("unknown pod action {action}")).response(),
    };
    match r {
        Ok(()) => json_response(200, &json!({"ok": true})),
        Err(e) => ApiError::new(404, e.to_string()).response(),
    }
}
