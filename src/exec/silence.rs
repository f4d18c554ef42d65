//! Silence commands against Alertmanager's API v2: create (`POST /api/v2/silences`) and expire
//! (`DELETE /api/v2/silence/{id}`).

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::command::{Command, SilenceSpec};
use crate::http::{HttpClient, join};
use crate::update::Outcome;

/// Run a silence command; `None` when `command` is not one.
pub async fn execute(command: &Command, http: Option<&HttpClient>) -> Option<Outcome> {
    let (am, result) = match command {
        Command::CreateSilence { silence, .. } => (
            &silence.alertmanager,
            match http {
                Some(http) => create(http, silence, Timestamp::now()).await,
                None => Err("no HTTP client (see the log)".to_string()),
            },
        ),
        Command::ExpireSilence {
            alertmanager,
            silence_id,
            ..
        } => (
            alertmanager,
            match http {
                Some(http) => expire(http, alertmanager, silence_id).await,
                None => Err("no HTTP client (see the log)".to_string()),
            },
        ),
        _ => return None,
    };
    Some(match result {
        Ok(text) => Outcome::Done(text),
        Err(e) => Outcome::Failed(format!("{} on {am}: {e}", command.verb())),
    })
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
