//! Who is calling: the actix extractors that authenticate a request (its bearer token)
//! and count it against its rate limit before a handler runs.
//!
//! - [`Caller`] for `GET /graphql`, where a request without a token is anonymous and
//!   each field decides whether it needs one.
//! - [`Authenticated`] for `POST /graphql` and REST, where a request carries a body: without
//!   a token the answer is 401, from the headers alone, so a body nobody vouches for is
//!   never read.
//!
//! Both authenticate first (a token that does not check out, or a missing one where a
//! token is needed, is 401 and not counted), then count the request against its
//! subject's allowance (or its address's, without a token): 429 past it. Both run
//! before the handler, so neither answer waits for a body.

use actix_web::{FromRequest, HttpMessage as _, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use orgdesign_domain::{
    auth::{Principal, RequestContext, Role, integration_tokens as integration},
    error::Error,
};

use super::{AppState, error::HttpError, guard};

/// Why a token was refused.
#[derive(Debug)]
pub enum TokenRefusal {
    /// Malformed, badly signed, expired, revoked or not for this service: what the
    /// caller is told.
    Invalid(&'static str),
    /// The database cannot say whether an integration token is live.
    Unavailable,
}

impl From<TokenRefusal> for HttpError {
    fn from(refusal: TokenRefusal) -> Self {
        match refusal {
            TokenRefusal::Invalid(advice) => HttpError::bad_token(advice),
            TokenRefusal::Unavailable => {
                HttpError::unavailable("tokens cannot be checked right now, try again later")
                    .with_retry_after(
                        orgdesign_domain::error::DATABASE_RETRY_AFTER
                            .as_secs()
                            .max(1),
                    )
            }
        }
    }
}

/// The principal a bearer token names, for HTTP requests and WebSocket
/// `connection_init` alike. The reason for a refusal is logged at debug level and never
/// sent.
pub async fn principal_of_token(state: &AppState, token: &str) -> Result<Principal, TokenRefusal> {
    let claims = state.keys.verify(token).map_err(|reason| {
        tracing::debug!(%reason, "refused a bearer token");
        TokenRefusal::Invalid(reason.advice())
    })?;
    if claims.role == Role::Integration {
        let jti = claims.jti.clone().unwrap_or_default();
        // A database that does not answer cannot say either: within the time limit,
        // as every read (this runs before a request's own deadline starts).
        let limit = std::time::Duration::from_millis(state.limits.request_timeout_ms);
        let Ok(active) =
            tokio::time::timeout(limit, integration::is_active(&state.store.db, &jti)).await
        else {
            tracing::warn!(
                timeout_ms = state.limits.request_timeout_ms,
                "the database did not answer while checking a token"
            );
            return Err(TokenRefusal::Unavailable);
        };
        match active {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(%jti, "refused an integration token that is revoked, expired or unknown");
                return Err(TokenRefusal::Invalid(
                    "the integration token is revoked, expired or unknown: issue a new one with \
                     issueIntegrationToken",
                ));
            }
            Err(Error::Unavailable(err)) => {
                tracing::warn!(error = %err, "database unavailable while checking a token");
                return Err(TokenRefusal::Unavailable);
            }
            Err(err) => {
                tracing::error!(error = ?err, "checking an integration token failed");
                return Err(TokenRefusal::Unavailable);
            }
        }
    }
    Ok(claims.principal())
}

/// The principal the request's bearer token names: `Ok(None)` without an
/// `Authorization` header, 401 for one that is not a bearer token that checks out.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<Principal>, HttpError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        tracing::debug!("refused: the Authorization header is not a bearer token");
        return Err(HttpError::bad_token(
            "the Authorization header is not a bearer token: send `Authorization: Bearer <token>`",
        ));
    };
    Ok(Some(principal_of_token(state, token).await?))
}

/// The request's id: the caller's `X-Request-Id`, or the one `tracing-actix-web` gave
/// the request (see [`super::trace`]).
pub fn request_id(req: &HttpRequest) -> String {
    super::trace::request_id(req)
}

/// A request that passed authentication and the rate limit; its principal is `None`
/// without a token.
#[derive(Debug, Clone)]
pub struct Caller(RequestContext);

impl Caller {
    /// The principal, if the request carried a token.
    pub fn principal(&self) -> Option<&Principal> {
        self.0.principal.as_ref()
    }

    /// What resolvers and services read.
    pub fn into_context(self) -> RequestContext {
        self.0
    }

    /// Authenticates `req` and counts it; with `require_token`, a request without a
    /// token is refused (401) before it is counted.
    async fn admit(req: HttpRequest, require_token: bool) -> Result<Self, HttpError> {
        // Extracted once per request, however many extractors ask: counting it twice
        // would halve its allowance.
        let cached = req.extensions().get::<Self>().cloned();
        if let Some(caller) = cached {
            if require_token && caller.principal().is_none() {
                return Err(HttpError::authentication_required());
            }
            return Ok(caller);
        }
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| HttpError::from(Error::Internal(anyhow::anyhow!("no AppState"))))?;
        let principal = authenticate(&state, &req).await?;
        if require_token && principal.is_none() {
            return Err(HttpError::authentication_required());
        }
        state
            .rate_limit
            .check(&guard::rate_key(&req, principal.as_ref()))
            .map_err(HttpError::too_many_requests)?;
        let caller = Self(RequestContext {
            request_id: request_id(&req),
            principal,
        });
        req.extensions_mut().insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequest for Caller {
    type Error = HttpError;
    type Future = LocalBoxFuture<'static, Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Nothing runs until the future is polled, so an extractor listed before this
        // one (the GraphQL media type) refuses first.
        Box::pin(Self::admit(req.clone(), false))
    }
}

/// A [`Caller`] with a principal: `POST /graphql` and the REST endpoints, all of which
/// need a token (401 with `WWW-Authenticate: Bearer` without one, before the rate limit
/// counts the request and before any body is read).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub request_id: String,
}

impl Authenticated {
    /// What services read.
    pub fn context(&self) -> RequestContext {
        RequestContext {
            request_id: self.request_id.clone(),
            principal: Some(self.principal.clone()),
        }
    }
}

impl FromRequest for Authenticated {
    type Error = HttpError;
    type Future = LocalBoxFuture<'static, Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let RequestContext {
                request_id,
                principal,
            } = Caller::admit(req, true).await?.into_context();
            let principal = principal.ok_or_else(HttpError::authentication_required)?;
            Ok(Self {
                principal,
                request_id,
            })
        })
    }
}
