//! Errors at the GraphQL edge: a service [`Error`] with its stable `extensions.code`
//! and `extensions.field`.

use async_graphql::ErrorExtensions;
use orgdesign_domain::error::Error;
use sea_orm::DbErr;

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

impl From<&Error> for GqlError {
    fn from(err: &Error) -> Self {
        err.log_cause();
        Self {
            code: err.code(),
            message: err.to_string(),
            field: err.field().map(str::to_owned),
        }
    }
}

impl From<Error> for GqlError {
    fn from(err: Error) -> Self {
        Self::from(&err)
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
