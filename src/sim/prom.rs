//! Prometheus and Alertmanager look-alikes for the demo.

use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::api::Params;
use super::server::Ctx;

/// Serves Prometheus/Alertmanager paths; `None` for anything else.
pub async fn handle(
    _ctx: &Ctx,
    _method: &Method,
    _path: &str,
    _params: &Params,
    _headers: &HeaderMap,
) -> Option<Response> {
    None
}
