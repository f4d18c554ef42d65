//! Silence commands against Alertmanager's API v2: create (`POST /api/v2/silences`) and expire
//! (`DELETE /api/v2/silence/{id}`).

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::command::SilenceSpec;
use crate::http::{HttpClient, join};
use crate::update::Outcome;

/// Create a silence on the Alertmanager named in `spec`; `verb` names the command in a failure.
pub(super) async fn create_silence(
    http: Option<&HttpClient>,
    spec: &SilenceSpec,
    verb: &str,
) -> Outcome {
    let result = match http {
        Some(http) => create(http, spec, Timestamp::now()).await,
        None => Err(NO_CLIENT.to_string()),
    };
    outcome(verb, &spec.alertmanager, result)
}

/// Expire the silence `id` on `alertmanager`; `verb` names the command in a failure.
pub(super) async fn expire_silence(
    http: Option<&HttpClient>,
    (alertmanager, id): (&str, &str),
    verb: &str,
) -> Outcome {
    let result = match http {
        Some(http) => expire(http, alertmanager, id).await,
        None => Err(NO_CLIENT.to_string()),
    };
    outcome(verb, alertmanager, result)
}

const NO_CLIENT: &str = "no HTTP client (see the log)";

fn outcome(verb: &str, alertmanager: &str, result: Result<String, String>) -> Outcome {
    match result {
        Ok(text) => Outcome::Done(text),
        Err(e) => Outcome::Failed(format!("{verb} on {alertmanager}: {e}")),
    }
}

/// The JSON body of `POST /api/v2/silences` for a silence starting at `now`.
pub fn silence_body(s: &SilenceSpec, now: Timestamp) -> Result<serde_json::Value, String> {
    let duration = SignedDuration::try_from(s.duration).map_err(|e| e.to_string())?;
    let ends = now.checked_add(duration).map_err(|e| e.to_string())?;
    let matchers: Vec<serde_json::Value> = s
        .matchers
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "value": m.value,
                "isRegex": m.is_regex,
                "isEqual": m.is_equal,
            })
        })
        .collect();
    Ok(json!({
        "matchers": matchers,
        "startsAt": now.to_string(),
        "endsAt": ends.to_string(),
        "createdBy": s.created_by,
        "comment": s.comment,
    }))
}

/// Create a silence; returns a message naming its id.
pub async fn create(http: &HttpClient, s: &SilenceSpec, now: Timestamp) -> Result<String, String> {
    let body = silence_body(s, now)?;
    let url = join(&s.alertmanager, "api/v2/silences");
    let resp = http
        .post_json(&url, &body)
        .await
        .map_err(|e| e.to_string())?;
    let id = serde_json::from_slice::<serde_json::Value>(&resp)
        .ok()
        .and_then(|v| {
            v.get("silenceID")
                .and_then(|i| i.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    Ok(format!("silence {id} created on {}", s.alertmanager))
}

/// Expire a silence by id.
pub async fn expire(http: &HttpClient, alertmanager: &str, id: &str) -> Result<String, String> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("invalid silence id {id:?}"));
    }
    let url = join(alertmanager, &format!("api/v2/silence/{id}"));
    http.delete(&url).await.map_err(|e| e.to_string())?;
    Ok(format!("silence {id} expired on {alertmanager}"))
}
