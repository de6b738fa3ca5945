//! `ipvsadm-exporter`: serves the IPVS table, its counters and the sync daemons as
//! Prometheus metrics over HTTP (`/metrics`), with a health endpoint (`/health`).
//!
//! Each scrape reads the watched namespaces one after the other (one table in memory at a
//! time) on tokio's blocking pool, one scrape at a time, and its response goes out as it is
//! encoded (for one namespace, in pieces of some 64 KiB); the HTTP side is hyper 1 on a
//! current-thread tokio runtime. A namespace that cannot be read (IPVS missing, the
//! namespace gone) gives `ipvs_up 0` and a log line on standard error, never a failed
//! scrape. The format follows the scraper's `Accept` header: OpenMetrics text when it asks
//! for it, else the Prometheus text format 0.0.4.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use clap::Parser;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::mpsc;

use ipvsadm::exec::metrics::{NETNS_DIR, Watch};
use ipvsadm::output::metrics::Format;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "ipvsadm-exporter",
    version,
    about = "Serves the IPVS table, its counters and the sync daemons as Prometheus metrics"
)]
struct Args {
    /// Address and port to serve on (loopback only unless told otherwise).
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:9617")]
    listen: SocketAddr,
    /// Watch this network namespace (a name of `ip netns`, or a path); repeat for more.
    #[arg(long, value_name = "NAME")]
    netns: Vec<PathBuf>,
    /// Watch every namespace of `ip netns` (/run/netns), listed again at each scrape.
    #[arg(long)]
    all_netns: bool,
}

/// How many pieces of an exposition (some 64 KiB each for one namespace, a metric family
/// each for several) may wait to be sent before the scrape waits for the client.
const PIECES_IN_FLIGHT: usize = 4;

/// A response body: a short text, or the exposition's pieces as the scrape makes them (sent
/// one by one; the scrape waits while a few are in flight, so a large table's text is never
/// whole in memory).
enum Reply {
    Text(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Reply {
    fn text(s: &'static str) -> Reply {
        Reply::Text(Some(Bytes::from_static(s.as_bytes())))
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Reply::Text(text) => Poll::Ready(text.take().map(|t| Ok(Frame::data(t)))),
            Reply::Stream(rx) => rx.poll_recv(cx).map(|p| p.map(|p| Ok(Frame::data(p)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Reply::Text(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Reply::Text(t) => SizeHint::with_exact(t.as_ref().map_or(0, |t| t.len() as u64)),
            Reply::Stream(_) => SizeHint::default(),
        }
    }
}

fn log(line: &str) {
    eprintln!("ipvsadm-exporter: {line}");
}

fn respond(status: StatusCode, content_type: &'static str, body: Reply) -> Response<Reply> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The format a scraper asks for: OpenMetrics when its `Accept` names it.
fn negotiate(req: &Request<Incoming>) -> Format {
    let accept = req
        .headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let openmetrics = accept
        .split(',')
        .any(|m| m.trim().starts_with("application/openmetrics-text"));
    Format::from(openmetrics)
}

async fn handle(
    req: Request<Incoming>,
    watch: Arc<Mutex<Watch>>,
) -> Result<Response<Reply>, Infallible> {
    const TEXT: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            Reply::text("only GET and HEAD\n"),
        ));
    }
    Ok(match req.uri().path() {
        "/metrics" => {
            let format = negotiate(&req);
            let (tx, rx) = mpsc::channel(PIECES_IN_FLIGHT);
            // On the blocking pool, one scrape at a time (the lock). A scrape never fails:
            // what cannot be read is `ipvs_up 0`. A client that goes away only makes the
            // rest of its pieces go nowhere.
            tokio::task::spawn_blocking(move || {
                let mut w = watch
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let lines = w.scrape(format, &mut |piece| {
                    let _ = tx.blocking_send(Bytes::from(piece));
                });
                for l in lines {
                    log(&l);
                }
            });
            respond(StatusCode::OK, format.content_type(), Reply::Stream(rx))
        }
        "/health" => respond(StatusCode::OK, TEXT, Reply::text("ok\n")),
        "/" => respond(
            StatusCode::OK,
            TEXT,
            Reply::text("ipvsadm-exporter: metrics at /metrics, health at /health\n"),
        ),
        _ => respond(StatusCode::NOT_FOUND, TEXT, Reply::text("not found\n")),
    })
}

async fn serve(listener: tokio::net::TcpListener, watch: Arc<Mutex<Watch>>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, say: wait a little rather than spin.
                log(&format!("accept: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let watch = watch.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, watch.clone()));
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                log(&format!("connection: {e}"));
            }
        });
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let all = args.all_netns.then(|| PathBuf::from(NETNS_DIR));
    let watch = Arc::new(Mutex::new(Watch::new(args.netns, all)));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            log(&format!("cannot start: {e}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                log(&format!("cannot listen on {}: {e}", args.listen));
                return std::process::ExitCode::FAILURE;
            }
        };
        log(&format!("serving /metrics on http://{}", args.listen));
        serve(listener, watch).await;
        std::process::ExitCode::SUCCESS
    })
}
