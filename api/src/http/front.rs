//! The connection front: HTTP/1.1 over plain TCP, served as actix-web's `HttpServer`
//! serves it, with one difference on the wire — a request head too large to parse gets
//! the usual JSON error body.
//!
//! actix-http's HTTP/1 dispatcher refuses a request head over 128 KiB, or one with more
//! than 96 headers, itself: it writes `431 Request Header Fields Too Large` with an
//! empty body and closes the connection, before any middleware or handler runs, and
//! neither the limits nor that answer can be configured. [`HeadRefusal`] sits between
//! the dispatcher and the socket and replaces exactly that answer, when the dispatcher
//! writes it, with one that carries [`ErrorBody`](super::error::ErrorBody)
//! (`LIMIT_EXCEEDED`, field `headers`), so a client parses one error shape whatever it
//! got wrong. orgdesign itself never answers 431, so a write that starts with that
//! status line is the dispatcher's.
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

/// The answer that replaces the dispatcher's bare 431.
fn refusal() -> Vec<u8> {
    let body = ErrorBody {
        errors: vec![ErrorItem {
            message: "the request head (request line and headers) is over 128 KiB or has \
                      more than 96 headers; send a shorter one"
                .to_owned(),
            extensions: ErrorExtensions {
                code: ErrorCode::LimitExceeded,
                field: Some("headers".to_owned()),
            },
        }],
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 431 Request Header Fields Too Large\r\n\
         content-type: application/json\r\n\
         content-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// A TCP stream that rewrites the dispatcher's bare 431 (see the module doc).
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

/// Whether a write is the dispatcher's own 431: a response head with that status line.
fn is_bare_431(buf: &[u8]) -> bool {
    buf.starts_with(b"HTTP/1.1 431 ") || buf.starts_with(b"HTTP/1.0 431 ")
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
        if self.pending.is_none() && is_bare_431(buf) {
            // The dispatcher's answer has no body: its head is the whole write. Take it
            // as written and send the replacement instead; what of it does not go out
            // now goes out on flush or shutdown, which the dispatcher calls before it
            // closes the connection.
            // Counted as a request no route matched: its method and path were never read.
            self.metrics
                .observe_http("UNPARSED", "unmatched", 431, Duration::ZERO);
            self.pending = Some((refusal(), 0));
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
    fn only_a_431_status_line_at_the_start_of_a_write_is_replaced() {
        assert!(is_bare_431(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"
        ));
        assert!(!is_bare_431(b"HTTP/1.1 413 Payload Too Large\r\n"));
        assert!(!is_bare_431(b"{\"data\":{\"x\":\"HTTP/1.1 431 \"}}"));
    }

    #[test]
    fn the_replacement_is_a_complete_answer_with_the_json_error() {
        let answer = String::from_utf8(refusal()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
        assert_eq!(body["errors"][0]["extensions"]["field"], "headers");
    }
}
