//! The service-layer error and its mapping to GraphQL errors with a stable
//! `extensions.code`.
//!
//! Services return [`Error`]; the GraphQL edge turns it into an
//! [`async_graphql::Error`] through [`GqlError`]. Internal causes are logged with their
//! whole chain and never sent to the client.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

use crate::db;

/// What went wrong, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No principal, or a credential that does not check out.
    #[error("authentication required")]
    Unauthenticated,
    /// The principal may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The object does not exist (or the principal may not know it does); `field` names
    /// the input that referred to it, if one did.
    #[error("{what} not found")]
    NotFound {
        what: &'static str,
        field: Option<String>,
    },
    /// An input value is wrong; `field` is its path in the input (`input.slug`).
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// The write clashes with the stored state: a stale `version`, a duplicate key, an
    /// invariant of the structure.
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// A configured limit was hit.
    #[error("{0}")]
    LimitExceeded(String),
    /// The database cannot be reached.
    #[error("the database is unavailable, try again later")]
    Unavailable(#[source] DbErr),
    /// Anything else: logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// A `BAD_USER_INPUT` for `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `NOT_FOUND` for an object no input referred to by id.
    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound { what, field: None }
    }

    /// A `NOT_FOUND` for the object the input `field` refers to.
    pub fn not_found_at(what: &'static str, field: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            field: Some(field.into()),
        }
    }

    /// A `CONFLICT` about `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The `CONFLICT` of an update carrying an old `version`.
    pub fn stale_version(what: &str, current: i32) -> Self {
        Self::conflict(
            "input.version",
            format!(
                "{what} was changed by someone else (current version {current}); reload it and try again"
            ),
        )
    }

    /// The same error blamed on another input field (for operations whose inputs differ
    /// from the checks they share).
    pub fn on_field(self, field: &str) -> Self {
        match self {
            Self::BadInput { message, .. } => Self::bad_input(field, message),
            Self::Conflict { message, .. } => Self::conflict(field, message),
            Self::NotFound { what, .. } => Self::not_found_at(what, field),
            other => other,
        }
    }

    /// The stable code sent as `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// Maps a unique-key violation to a `CONFLICT` on `field`, anything else as usual.
    pub fn unique_as_conflict(err: DbErr, field: &str, message: &str) -> Self {
        if db::is_unique_violation(&err) {
            Self::conflict(field, message)
        } else {
            err.into()
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            Self::Unavailable(err)
        } else {
            Self::Internal(err.into())
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

/// Services' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error`] on its way to the client: its code, message and field, with internal
/// causes already logged and dropped. It deliberately does not implement `Display`, so
/// async-graphql's blanket conversion (message only) cannot swallow the code:
/// resolvers return `GqlResult<T>` and `?` goes through [`From<GqlError>`].
#[derive(Debug, Clone)]
pub struct GqlError {
    code: &'static str,
    message: String,
    field: Option<String>,
}

/// Resolvers' result type.
pub type GqlResult<T> = std::result::Result<T, GqlError>;

impl From<Error> for GqlError {
    fn from(err: Error) -> Self {
        match &err {
            Error::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Error::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        let field = match &err {
            Error::BadInput { field, .. } => Some(field.clone()),
            Error::Conflict { field, .. } => field.clone(),
            Error::NotFound { field, .. } => field.clone(),
            _ => None,
        };
        Self {
            code: err.code(),
            message: err.to_string(),
            field,
        }
    }
}

impl From<DbErr> for GqlError {
    fn from(err: DbErr) -> Self {
        Error::from(err).into()
    }
}

impl From<async_graphql::Error> for GqlError {
    fn from(err: async_graphql::Error) -> Self {
        // Errors async-graphql itself raises inside a resolver (a failed context
        // lookup) are internal.
        Error::Internal(anyhow::anyhow!(err.message)).into()
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(err: GqlError) -> Self {
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", err.code);
            if let Some(field) = err.field {
                ext.set("field", field);
            }
        })
    }
}
