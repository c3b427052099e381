//! Limits of the HTTP server: how many connections it keeps, how long a connection may stay
//! silent, and how long a request body may take to arrive.
//!
//! Without them one client could hold the portal's resources for ever: a request whose body
//! never arrives stayed open for minutes, and every such connection kept a task and a socket.
//!
//! - **Connections** ([`BoundedListener`]): at most `max_connections` open at once; the next
//!   one waits in the kernel's accept queue until one closes.
//! - **Silence** ([`BoundedIo`]): a connection on which no byte moves, in either direction,
//!   for `idle_timeout` is closed. This covers a request line or headers that never end and
//!   an idle keep-alive connection; a response being written or a body being read keeps the
//!   connection alive.
//! - **Bodies** ([`body_deadline`]): the whole body must arrive within `body_timeout` (uploads:
//!   `upload_timeout`), counted from when the handler starts reading it, however it trickles;
//!   after that the request is answered 408 with an Italian message.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The limits, from `ECM_HTTP_*` (README, configuration table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// `ECM_HTTP_MAX_CONNECTIONS` (default 512).
    pub max_connections: usize,
    /// `ECM_HTTP_IDLE_TIMEOUT_SECONDS` (default 60).
    pub idle_timeout: Duration,
    /// `ECM_HTTP_BODY_TIMEOUT_SECONDS` (default 30).
    pub body_timeout: Duration,
    /// `ECM_HTTP_UPLOAD_TIMEOUT_SECONDS` (default 120): bodies of document uploads.
    pub upload_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 512,
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(120),
        }
    }
}

/// Path of the one route whose bodies are large (multipart document uploads).
const UPLOAD_PATH: &str = "/documenti/carica";

/// A TCP listener that keeps at most `max_connections` connections open.
pub struct BoundedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle_timeout: Duration,
}

impl BoundedListener {
    pub fn new(inner: TcpListener, limits: &HttpLimits) -> BoundedListener {
        BoundedListener {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            idle_timeout: limits.idle_timeout,
        }
    }
}

impl Listener for BoundedListener {
    type Io = BoundedIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (BoundedIo, SocketAddr) {
        // The semaphore is never closed.
        let permit = self.permits.clone().acquire_owned().await.expect("the connection semaphore is never closed");
        let (stream, addr) = Listener::accept(&mut self.inner).await;
        (BoundedIo::new(stream, permit, self.idle_timeout), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// One accepted connection: gives its permit back when dropped, and fails with `TimedOut`
/// once nothing has been read or written for the idle timeout.
pub struct BoundedIo {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl BoundedIo {
    fn new(stream: TcpStream, permit: OwnedSemaphorePermit, idle_timeout: Duration) -> BoundedIo {
        BoundedIo { stream, _permit: permit, idle_timeout, deadline: Box::pin(tokio::time::sleep(idle_timeout)) }
    }

    fn touch(&mut self) {
        let next = Instant::now() + self.idle_timeout;
        self.deadline.as_mut().reset(next);
    }

    /// What an I/O poll answers, seen by the idle watch: progress resets the deadline; a
    /// `Pending` past the deadline becomes `TimedOut`.
    fn watch<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.touch();
                Poll::Ready(result)
            }
            Poll::Pending if self.deadline.as_mut().poll(cx).is_ready() => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")
}

impl AsyncRead for BoundedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.watch(cx, polled)
    }
}

impl AsyncWrite for BoundedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_write(cx, data);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The router of one connection, with its peer's address.
pub type ConnectedRouter = axum::middleware::AddExtension<axum::Router, ConnectInfo<SocketAddr>>;

/// The make-service of [`BoundedListener`] connections: the router, with the peer's address as
/// `ConnectInfo<SocketAddr>` (what `Router::into_make_service_with_connect_info` does for a
/// plain `TcpListener`).
pub fn make_service(
    router: axum::Router,
) -> impl for<'a> tower::Service<
    IncomingStream<'a, BoundedListener>,
    Error = Infallible,
    Response = ConnectedRouter,
    Future = std::future::Ready<Result<ConnectedRouter, Infallible>>,
> + Clone
       + Send
       + 'static {
    tower::service_fn(move |incoming: IncomingStream<'_, BoundedListener>| {
        let addr = *incoming.remote_addr();
        std::future::ready(Ok(tower::Layer::layer(&axum::Extension(ConnectInfo(addr)), router.clone())))
    })
}

/// Middleware: the request's body must arrive whole within the body timeout (uploads: the
/// upload timeout). A body that does not is cut, and the request answered 408.
pub async fn body_deadline(limits: axum::extract::State<HttpLimits>, request: Request, next: Next) -> Response {
    let timeout = if request.uri().path() == UPLOAD_PATH { limits.upload_timeout } else { limits.body_timeout };
    let (parts, body) = request.into_parts();
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let body = Body::new(DeadlineBody { inner: body, timeout, deadline: None, timed_out: timed_out.clone() });
    let response = next.run(Request::from_parts(parts, body)).await;
    if timed_out.load(std::sync::atomic::Ordering::Acquire) {
        tracing::info!(timeout = ?timeout, "request body did not arrive in time: answered 408");
        return too_slow();
    }
    response
}

fn too_slow() -> Response {
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        "La richiesta è arrivata troppo lentamente ed è stata interrotta: nulla è stato salvato. Controlla la connessione e riprova.",
    )
        .into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body with a deadline for the whole of it, armed on its first poll.
struct DeadlineBody {
    inner: Body,
    timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("request body not received within {0:?}")]
struct BodyTooSlow(Duration);

impl http_body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let timeout = this.timeout;
        let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, std::sync::atomic::Ordering::Release);
            return Poll::Ready(Some(Err(Box::new(BodyTooSlow(timeout)))));
        }
        Pin::new(&mut this.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve(limits: HttpLimits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .route("/echo", axum::routing::post(|body: String| async move { body.len().to_string() }))
            .route(UPLOAD_PATH, axum::routing::post(|body: String| async move { body.len().to_string() }))
            .route(
                "/who",
                axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
            )
            .layer(axum::middleware::from_fn_with_state(limits, body_deadline));
        tokio::spawn(async move { axum::serve(BoundedListener::new(listener, &limits), make_service(router)).await });
        addr
    }

    async fn read_all(stream: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    fn quick() -> HttpLimits {
        HttpLimits {
            max_connections: 2,
            idle_timeout: Duration::from_millis(600),
            body_timeout: Duration::from_millis(300),
            upload_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_body_that_trickles_past_the_deadline_is_answered_408() {
        let addr = serve(quick()).await;
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        write.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n").await.unwrap();
        // One byte every 100 ms for a second: the connection is never idle and no gap reaches
        // the body timeout (300 ms), but the body as a whole is late.
        let written = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let trickle = tokio::spawn({
            let written = written.clone();
            async move {
                for _ in 0..10 {
                    if write.write_all(b"a").await.is_err() {
                        return;
                    }
                    written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        // The answer, up to the server's close (it says `Connection: close`).
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        let read_all = async {
            while let Ok(n @ 1..) = read.read(&mut chunk).await {
                answer.extend_from_slice(&chunk[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(5), read_all).await.expect("the server answers a late body");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let sent = written.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent < 10, "answered only after the whole trickle ({sent} bytes): {answer}");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("troppo lentamente"), "{answer}");
        trickle.abort();
    }

    #[tokio::test]
    async fn a_body_in_time_is_served_and_uploads_get_longer() {
        let addr = serve(quick()).await;
        let client = reqwest::Client::new();
        let answer = client.post(format!("http://{addr}/echo")).body("x".repeat(1000)).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap(), "1000");
        // 400 ms of trickle: too slow for an ordinary body, in time for an upload.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!("POST {UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            stream.write_all(b"a").await.unwrap();
        }
        let answer = read_all(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n4"), "{answer}");
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_and_its_slot_given_back() {
        let addr = serve(quick()).await;
        // Two connections that never finish their headers take both slots...
        let mut silent = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET /who HTTP/1.1\r\n").await.unwrap();
            silent.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // ...so a third waits...
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        let started = Instant::now();
        let third = client.get(format!("http://{addr}/who")).send().await.unwrap();
        // ...until the idle timeout closes the silent ones.
        assert!(started.elapsed() >= Duration::from_millis(400), "served at once: {:?}", started.elapsed());
        assert_eq!(third.text().await.unwrap(), "127.0.0.1", "the peer address reaches ConnectInfo");
        for mut stream in silent {
            assert_eq!(read_all(&mut stream).await, "", "closed without an answer");
        }
    }
}
