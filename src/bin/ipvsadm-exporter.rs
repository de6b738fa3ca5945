//! `ipvsadm-exporter`: serves the IPVS table, its counters and the sync daemons as
//! Prometheus metrics over HTTP (`/metrics`), with a health endpoint (`/health`).
//!
//! Each scrape reads the watched namespaces one after the other (one table in memory at a
//! time) on tokio's blocking pool, one scrape at a time; the HTTP side is hyper 1 on a
//! current-thread tokio runtime. A namespace that cannot be read (IPVS missing, the
//! namespace gone) gives `ipvs_up 0` and a log line on standard error, never a failed
//! scrape. The format follows the scraper's `Accept` header: OpenMetrics text when it asks
//! for it, else the Prometheus text format 0.0.4.

use std::collections::VecDeque;
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

/// A response body made of the exposition's pieces, sent as they are (no copy into one
/// buffer).
struct Pieces {
    pieces: VecDeque<Bytes>,
    left: u64,
}

impl Pieces {
    fn new(pieces: Vec<String>) -> Pieces {
        let pieces: VecDeque<Bytes> = pieces.into_iter().map(Bytes::from).collect();
        let left = pieces.iter().map(|p| p.len() as u64).sum();
        Pieces { pieces, left }
    }

    fn text(s: &str) -> Pieces {
        Pieces::new(vec![s.to_string()])
    }
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        Poll::Ready(this.pieces.pop_front().map(|p| {
            this.left -= p.len() as u64;
            Ok(Frame::data(p))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

fn log(line: &str) {
    eprintln!("ipvsadm-exporter: {line}");
}

fn respond(status: StatusCode, content_type: &'static str, body: Pieces) -> Response<Pieces> {
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
) -> Result<Response<Pieces>, Infallible> {
    const TEXT: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            Pieces::text("only GET and HEAD\n"),
        ));
    }
    Ok(match req.uri().path() {
        "/metrics" => {
            let format = negotiate(&req);
            // One scrape at a time: the lock is taken on the blocking pool.
            let scraped = tokio::task::spawn_blocking(move || {
                let mut w = watch
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                w.scrape(format)
            })
            .await;
            match scraped {
                Ok((pieces, lines)) => {
                    for l in lines {
                        log(&l);
                    }
                    respond(StatusCode::OK, format.content_type(), Pieces::new(pieces))
                }
                Err(e) => {
                    log(&format!("scrape failed: {e}"));
                    respond(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        TEXT,
                        Pieces::text("scrape failed\n"),
                    )
                }
            }
        }
        "/health" => respond(StatusCode::OK, TEXT, Pieces::text("ok\n")),
        "/" => respond(
            StatusCode::OK,
            TEXT,
            Pieces::text("ipvsadm-exporter: metrics at /metrics, health at /health\n"),
        ),
        _ => respond(StatusCode::NOT_FOUND, TEXT, Pieces::text("not found\n")),
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
