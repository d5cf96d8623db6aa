//! Errors at the GraphQL edge: a service [`Error`] with its stable `extensions.code`
//! and `extensions.field`.

use async_graphql::ErrorExtensions;
use orgdesign_domain::error::{Error, Result};
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

/// A service's error as a mutation's `input` argument names it: a field of the
/// service's input (`organizationId`) is the field of `input` (`input.organizationId`);
/// an item of a list (`changes[2].unitId`, `points[0].kpi`) keeps its own name, as a
/// client shows it beside the item. A field the resolver already placed is left alone.
pub trait AtInput<T> {
    /// The result with its error's field placed in `input`.
    fn at_input(self) -> Result<T>;
}

impl<T> AtInput<T> for Result<T> {
    fn at_input(self) -> Result<T> {
        self.map_err(|err| match err.field() {
            Some(field) if !field.starts_with("input.") && !field.contains('[') => {
                let field = format!("input.{field}");
                err.on_field(&field)
            }
            _ => err,
        })
    }
}

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
