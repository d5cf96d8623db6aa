//! Errors at the GraphQL edge: a service [`Error`] with its stable `extensions.code`
//! and `extensions.field`.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

use crate::error::Error;

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
