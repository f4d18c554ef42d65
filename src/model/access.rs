//! RBAC questions the dashboard asks before offering an action (SelfSubjectAccessReview),
//! and their answers. Shared by the executor (asks) and the state (caches, shows).

use std::fmt;

/// "May I `verb` `resource`/`subresource` in `namespace` on `context`?"
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessCheck {
    pub context: String,
    pub namespace: String,
    pub verb: String,
    /// API group, `apps` for deployments.
    pub group: String,
    pub resource: String,
    /// `scale` for the scale subresource, else empty.
    pub subresource: String,
}

impl AccessCheck {
    /// A check on an `apps` resource.
    pub fn apps(context: &str, namespace: &str, verb: &str, resource: &str, sub: &str) -> Self {
        AccessCheck {
            context: context.to_string(),
            namespace: namespace.to_string(),
            verb: verb.to_string(),
            group: "apps".to_string(),
            resource: resource.to_string(),
            subresource: sub.to_string(),
        }
    }
}

impl AccessCheck {
    /// A check on a core (`""` group) resource, e.g. `delete pods`.
    pub fn core(context: &str, namespace: &str, verb: &str, resource: &str) -> Self {
        AccessCheck {
            group: String::new(),
            ..AccessCheck::apps(context, namespace, verb, resource, "")
        }
    }
}

impl fmt::Display for AccessCheck {
    /// `patch deployments/scale in payments`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        write!(f, " in {}", self.namespace)
    }
}

/// The cached answer to an [`AccessCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Asked, no answer yet (the action is offered; the server decides).
    Pending,
    Allowed,
    /// Forbidden, with the authorizer's reason when it gave one.
    Denied(String),
    /// The review itself failed (e.g. the API is down); the action is offered.
    Unknown(String),
}
