//! The connection front: HTTP/1.1 over plain TCP, served as actix-web's `HttpServer`
//! serves it, with one difference on the wire — a request head too large or too
//! malformed to parse gets the usual JSON error body.
//!
//! actix-http's HTTP/1 dispatcher refuses a request head over 128 KiB, or one with more
//! than 96 headers, itself: it writes `431 Request Header Fields Too Large` with an
//! empty body and closes the connection, before any middleware or handler runs, and
//! neither the limits nor that answer can be configured. [`HeadRefusal`] sits between
//! the dispatcher and the socket and replaces exactly that answer, when the dispatcher
//! writes it, with one that carries [`super::error::ErrorBody`]
//! (`LIMIT_EXCEEDED`, field `headers`), so a client parses one error shape whatever it
//! got wrong. orgdesign itself never answers 431, so a write that starts with that
//! status line is the dispatcher's. Likewise its bare `400` for a request line or
//! header it cannot parse (a request target over 64 KiB among them): every 400 of
//! orgdesign's own has a body, so a 400 head with `content-length: 0` is the
//! dispatcher's, and gets `BAD_USER_INPUT`, field `request`.
//!
//! Everything else passes through untouched: the same timeouts as `HttpServer`'s
//! defaults (5 s for a request head, 5 s keep-alive, 1 s to disconnect), HTTP/1 only
//! (as `HttpServer::listen` on plain TCP), graceful shutdown of idle keep-alive
//! connections.

use std::{
    io,
    net::TcpListener,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use actix_http::{HttpService, Protocol};
use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _, fn_service, map_config};
use actix_web::{
    App,
    body::MessageBody,
    dev::{AppConfig, Server, ServiceFactory, ServiceRequest, ServiceResponse},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::{ErrorBody, ErrorCode, ErrorExtensions, ErrorItem};
use crate::metrics::Metrics;

/// How the server is run: the parts of `HttpServer`'s builder orgdesign sets.
pub struct Serve {
    /// Worker threads (`None`: one per core).
    pub workers: Option<usize>,
    /// How long in-flight requests may finish after a stop.
    pub shutdown_timeout_secs: u64,
}

/// Serves `app` on `listener` until the returned server is stopped.
pub fn serve<F, T, B>(
    listener: TcpListener,
    options: &Serve,
    metrics: std::sync::Arc<Metrics>,
    app: F,
) -> io::Result<Server>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let address = listener.local_addr()?;
    let mut builder = Server::build()
        .disable_signals()
        .shutdown_timeout(options.shutdown_timeout_secs);
    if let Some(workers) = options.workers {
        builder = builder.workers(workers.max(1));
    }
    let shutdown = builder.graceful_shutdown_signal();
    let builder = builder.listen("orgdesign-http", listener, move || {
        let shutdown = shutdown.clone();
        let metrics = metrics.clone();
        let service = HttpService::build()
            .graceful_shutdown_signal(move || {
                let shutdown = shutdown.clone();
                async move { shutdown.notified().await }
            })
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(address)
            .finish(map_config(
                app()
                    .into_factory()
                    .map_err(|err| err.as_response_error().error_response()),
                // The host stands in only for a request without a `Host` header
                // (HTTP/1.0); every browser and client sends one.
                |_| AppConfig::default(),
            ));
        fn_service(move |io: tokio::net::TcpStream| {
            let metrics = metrics.clone();
            async move {
                io.set_nodelay(true).ok();
                let peer = io.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((
                    HeadRefusal::new(io, metrics),
                    Protocol::Http1,
                    peer,
                ))
            }
        })
        .and_then(service)
    })?;
    Ok(builder.run())
}

/// A refusal the dispatcher writes itself, bare, before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bare {
    /// `431`: a head over 128 KiB or with more than 96 headers.
    HeadTooLarge,
    /// `400` with no body: a request line or header that does not parse — among them
    /// a request target over 64 KiB (the `http` crate's bound on a URI), which is
    /// what a long GraphQL document sent with GET runs into.
    Unreadable,
}

impl Bare {
    /// The dispatcher's bare answer a write starts with, if it is one. orgdesign never
    /// answers 431, and every 400 of its own carries a JSON body, so a 400 whose head
    /// says `content-length: 0` is the dispatcher's.
    fn of(buf: &[u8]) -> Option<Self> {
        let status = buf
            .strip_prefix(b"HTTP/1.1 ")
            .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
        if status.starts_with(b"431 ") {
            Some(Self::HeadTooLarge)
        } else if status.starts_with(b"400 Bad Request\r\ncontent-length: 0\r\n") {
            Some(Self::Unreadable)
        } else {
            None
        }
    }

    /// The complete answer that replaces it: the same status, the usual JSON error.
    fn replacement(self) -> Vec<u8> {
        let (status, code, field, message) = match self {
            Self::HeadTooLarge => (
                "431 Request Header Fields Too Large",
                ErrorCode::LimitExceeded,
                "headers",
                "the request head (request line and headers) is over 128 KiB or has \
                 more than 96 headers; send a shorter one",
            ),
            Self::Unreadable => (
                "400 Bad Request",
                ErrorCode::BadUserInput,
                "request",
                "the request line or a header could not be read: it is malformed, or the \
                 path and query string are over 64 KiB; send long GraphQL documents with \
                 POST",
            ),
        };
        let body = ErrorBody {
            errors: vec![ErrorItem {
                message: message.to_owned(),
                extensions: ErrorExtensions {
                    code,
                    field: Some(field.to_owned()),
                },
            }],
        };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut answer = format!(
            "HTTP/1.1 {status}\r\n\
             content-type: application/json\r\n\
             content-length: {}\r\n\
             connection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(&body);
        answer
    }

    fn status(self) -> u16 {
        match self {
            Self::HeadTooLarge => 431,
            Self::Unreadable => 400,
        }
    }
}

/// A TCP stream that rewrites the dispatcher's bare 431 and 400 (see the module doc).
pub struct HeadRefusal<S> {
    io: S,
    metrics: std::sync::Arc<Metrics>,
    /// The replacement answer still to write, from `written` on.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> HeadRefusal<S> {
    fn new(io: S, metrics: std::sync::Arc<Metrics>) -> Self {
        Self {
            io,
            metrics,
            pending: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> HeadRefusal<S> {
    /// Writes what is left of the replacement; ready once all of it is out.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((answer, written)) = &mut self.pending {
            if *written == answer.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, &answer[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadRefusal<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadRefusal<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(bare) = Bare::of(buf).filter(|_| self.pending.is_none()) {
            // The dispatcher's answer has no body: its head is the whole write. Take it
            // as written and send the replacement instead; what of it does not go out
            // now goes out on flush or shutdown, which the dispatcher calls before it
            // closes the connection.
            // Counted as a request no route matched: its method and path were never read.
            self.metrics
                .observe_http("UNPARSED", "unmatched", bare.status(), Duration::ZERO);
            self.pending = Some((bare.replacement(), 0));
            return match self.drain(cx) {
                Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_write(cx, buf),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dispatchers_bare_answers_at_the_start_of_a_write_are_replaced() {
        assert_eq!(
            Bare::of(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"),
            Some(Bare::HeadTooLarge)
        );
        assert_eq!(
            Bare::of(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
            Some(Bare::Unreadable)
        );
        // orgdesign's own 400s carry a body.
        assert_eq!(
            Bare::of(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 97\r\ncontent-type: application/json\r\n"),
            None
        );
        assert_eq!(Bare::of(b"HTTP/1.1 413 Payload Too Large\r\n"), None);
        assert_eq!(Bare::of(b"{\"data\":{\"x\":\"HTTP/1.1 431 \"}}"), None);
    }

    #[test]
    fn each_replacement_is_a_complete_answer_with_the_json_error() {
        for (bare, status, code, field) in [
            (Bare::HeadTooLarge, "431", "LIMIT_EXCEEDED", "headers"),
            (Bare::Unreadable, "400", "BAD_USER_INPUT", "request"),
        ] {
            let answer = String::from_utf8(bare.replacement()).unwrap();
            let (head, body) = answer.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
            assert!(
                head.contains(&format!("content-length: {}", body.len())),
                "{head}"
            );
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], code);
            assert_eq!(body["errors"][0]["extensions"]["field"], field);
        }
    }
}
