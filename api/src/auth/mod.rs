//! Who is asking: the principal attached to each request.
//!
//! Every request carries a [`Principal`] in its [`RequestContext`]; resolvers ask it
//! rather than reading headers, so checks can tighten without reworking them.
//! Token authentication (JWT) is not built yet: until it is, every request acts as
//! [`Principal::Anonymous`], which the service allows everything, and the server
//! must not be exposed beyond a trusted network.

/// The acting principal of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credential was presented.
    Anonymous,
}

impl Principal {
    /// The name written to logs and, later, the audit log.
    pub fn subject(&self) -> &str {
        match self {
            Self::Anonymous => "anonymous",
        }
    }
}

/// Per-request data: built by the HTTP layer, read by resolvers.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Echoed in the `x-request-id` response header and written to logs.
    pub request_id: String,
    pub principal: Principal,
}
