//! The service-layer error: what went wrong, in terms a client can act on, with the
//! stable code each edge sends (`extensions.code`).
//!
//! Services return [`Error`], naming the fields of their own input (`slug`,
//! `changes[2].unitId`); the GraphQL edge turns it into a `GqlError`
//! (`orgdesign_graphql::error`, which places a field in the mutation's `input`), HTTP
//! and REST into an `HttpError` (`orgdesign_api::http::error`). Both log internal
//! causes with their whole chain and never send them.

use std::time::Duration;

use sea_orm::DbErr;

use crate::db;

/// What went wrong, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No principal, or a credential that does not check out.
    #[error("authentication required")]
    Unauthenticated,
    /// The principal may not do this; the message says what it takes and which role
    /// the caller holds (see `auth::refused`).
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist (or the principal may not know it does); `field` names
    /// the input that referred to it, if one did. An object that belongs to an
    /// organization is said not to be found among those the token reaches: the same words
    /// whether it does not exist or lies beyond the token, so nothing is revealed.
    #[error("{}", not_found_message(what))]
    NotFound {
        what: &'static str,
        field: Option<String>,
    },
    /// An input value is wrong; `field` names it. Services name the field of the
    /// domain's own input (`slug`, `changes[2].unitId`); each edge says where it was in
    /// the request (GraphQL: `input.slug`, see `orgdesign_graphql::error::AtInput`).
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
    /// The request cannot be served now and may succeed if retried: the database
    /// cannot be reached or did not answer in time, or the organization is busy with
    /// other writes. The message says which; the cause is logged.
    #[error("{}", .0.message())]
    Unavailable(#[source] Unavailable),
    /// Anything else: logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What a `NOT_FOUND` says.
fn not_found_message(what: &str) -> String {
    match what {
        // Catalog entries are not an organization's own.
        "KPI" => format!("{what} not found"),
        _ => format!(
            "{what} not found among the organizations this token reaches (a token reaches the \
             organizations it was minted for, an admin's all of them)"
        ),
    }
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
            "version",
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
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The input field at fault, if the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadInput { field, .. } => Some(field),
            Self::Conflict { field, .. } | Self::NotFound { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// Logs what the client will not see: an internal error's whole chain (as an
    /// error), an unreachable database (as a warning). Each edge calls this once as it
    /// turns the error into its reply.
    pub fn log_cause(&self) {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "unavailable"),
            _ => {}
        }
    }

    /// How long a client should wait before it retries, for the errors a retry may
    /// cure (`Retry-After` on HTTP).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable(cause) => Some(cause.retry_after()),
            _ => None,
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

/// Why a request cannot be served now. Its `Display` is the cause, for the log; the
/// client is told [`Unavailable::message`].
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The database cannot be reached, refused for a reason that may pass (a lock or
    /// statement that ran out of time, a deadlock, too many connections), or did not
    /// answer within the time limit.
    #[error(transparent)]
    Database(DbErr),
    /// The writers ahead for this organization (or for the database's write
    /// connections) did not make room within the time limit, or the queue is full;
    /// the text says which, to the client too.
    #[error("{0}")]
    Busy(&'static str),
}

impl Unavailable {
    /// What the client is told.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Database(_) => "the database is unavailable, try again later",
            Self::Busy(message) => message,
        }
    }

    /// How long to wait before a retry: a busy organization frees up within moments,
    /// a database that does not answer takes longer.
    pub fn retry_after(&self) -> Duration {
        match self {
            Self::Database(_) => DATABASE_RETRY_AFTER,
            Self::Busy(_) => Duration::from_secs(1),
        }
    }
}

/// How long a client should wait before it retries a request the database did not
/// answer (or could not be reached for): an outage takes longer to pass than a busy
/// organization.
pub const DATABASE_RETRY_AFTER: Duration = Duration::from_secs(5);

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if db::is_unavailable(&err) {
            Self::Unavailable(Unavailable::Database(err))
        } else {
            Self::Internal(err.into())
        }
    }
}

impl From<db::NotBegun> for Error {
    fn from(err: db::NotBegun) -> Self {
        match err {
            db::NotBegun::Busy(message) => Self::Unavailable(Unavailable::Busy(message)),
            db::NotBegun::Database(err) => err.into(),
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
