//! `ipvsadm-exporter`: serves the IPVS table, its counters and the sync daemons as
//! Prometheus metrics over HTTP (`/metrics`), with a health endpoint (`/health`).
//!
//! A scrape reads the watched namespaces one after the other (one table in memory at a
//! time) on tokio's blocking pool; the scrapes that arrive while a read is under way share
//! it, each sending its text at its own client's pace, so no client can hold up another
//! ([`ipvsadm::exporter::shared`]). A write that makes no progress for a while ends its
//! connection, and scrapes beyond a cap are answered 503. The HTTP side is hyper 1 on a
//! current-thread tokio runtime. A namespace that cannot be read (IPVS missing, the
//! namespace gone) gives `ipvs_up 0` and a log line on standard error, never a failed
//! scrape. The format follows the scraper's `Accept` header: OpenMetrics text when it asks
//! for it, else the Prometheus text format 0.0.4.

use std::convert::Infallible;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use clap::Parser;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_io_timeout::TimeoutStream;

use ipvsadm::exec::metrics::{NETNS_DIR, Watch};
use ipvsadm::exporter::listen::Listen;
use ipvsadm::exporter::shared::{Hub, Reader};
use ipvsadm::exporter::webconfig::WebConfig;
use ipvsadm::output::metrics::Format;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "ipvsadm-exporter",
    version,
    about = "Serves the IPVS table, its counters and the sync daemons as Prometheus metrics"
)]
struct Args {
    /// Where to serve: HOST:PORT, [ADDRESS]:PORT, or :PORT for every address; repeat
    /// for more (default: loopback only, 127.0.0.1:9617).
    #[arg(
        long = "web.listen-address",
        visible_alias = "listen",
        value_name = "ADDRESS:PORT"
    )]
    listen: Vec<Listen>,
    /// The path of the metrics.
    #[arg(
        long = "web.telemetry-path",
        value_name = "PATH",
        default_value = "/metrics"
    )]
    telemetry_path: String,
    /// TLS and basic authentication, in the Prometheus exporter-toolkit's format (read
    /// again for each connection).
    #[arg(long = "web.config.file", value_name = "FILE")]
    web_config: Option<PathBuf>,
    /// Watch this network namespace (a name of `ip netns`, or a path); repeat for more.
    #[arg(long, value_name = "NAME")]
    netns: Vec<PathBuf>,
    /// Watch every namespace of `ip netns` (/run/netns), listed again at each scrape.
    #[arg(long)]
    all_netns: bool,
    /// Show the kernel's per-second estimates too (15 families; rate() of the counters
    /// gives the same).
    #[arg(long)]
    rates: bool,
    /// Show no series per real server (only services, totals and sync daemons).
    #[arg(long)]
    no_servers: bool,
    /// Scrapes in flight at most; more are answered 503 (0: no cap).
    #[arg(long = "web.max-requests", value_name = "N", default_value_t = 40)]
    max_requests: usize,
    /// End a connection whose client has taken nothing for this many seconds.
    #[arg(long = "web.write-timeout", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    write_timeout: u64,
}

/// Where the exporter listens unless told otherwise: loopback only.
const DEFAULT_LISTEN: &str = "127.0.0.1:9617";

/// A response body: a short text, or a scrape's text as its read makes it, with its place
/// under the cap on scrapes in flight (given back when the body is dropped: sent, or its
/// connection gone).
enum Reply {
    Text(Option<Bytes>),
    Scrape {
        reader: Reader,
        _place: Option<OwnedSemaphorePermit>,
    },
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
            Reply::Scrape { reader, .. } => {
                reader.poll_piece(cx).map(|p| p.map(|p| Ok(Frame::data(p))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Reply::Text(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Reply::Text(t) => SizeHint::with_exact(t.as_ref().map_or(0, |t| t.len() as u64)),
            Reply::Scrape { .. } => SizeHint::default(),
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

/// What every connection shares: the reads, the cap on scrapes in flight, the settings.
struct Server {
    hub: Hub,
    /// Places for scrapes in flight (`None`: no cap), and how many there are.
    cap: Option<(Arc<Semaphore>, usize)>,
    write_timeout: Duration,
    telemetry_path: String,
    web_config: Option<PathBuf>,
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Answers a request, after its credentials when the web configuration asks for them.
async fn handle(
    req: Request<Incoming>,
    server: Arc<Server>,
    config: Arc<WebConfig>,
) -> Result<Response<Reply>, Infallible> {
    if !config.basic_auth_users.is_empty() {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        // bcrypt is slow on purpose: on the blocking pool.
        let checking = config.clone();
        let allowed = tokio::task::spawn_blocking(move || checking.allows(header.as_deref())).await;
        if allowed.ok() != Some(true) {
            let mut r = respond(
                StatusCode::UNAUTHORIZED,
                TEXT,
                Reply::text("unauthorized\n"),
            );
            r.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ipvsadm-exporter\""),
            );
            return Ok(r);
        }
    }
    Ok(route(&req, &server))
}

fn route(req: &Request<Incoming>, server: &Server) -> Response<Reply> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            Reply::text("only GET and HEAD\n"),
        );
    }
    let path = req.uri().path();
    if path == server.telemetry_path {
        return scrape(req, server);
    }
    match path {
        "/health" => respond(StatusCode::OK, TEXT, Reply::text("ok\n")),
        "/" => respond(
            StatusCode::OK,
            TEXT,
            Reply::Text(Some(Bytes::from(format!(
                "ipvsadm-exporter: metrics at {}, health at /health\n",
                server.telemetry_path
            )))),
        ),
        _ => respond(StatusCode::NOT_FOUND, TEXT, Reply::text("not found\n")),
    }
}

/// A scrape: a place under the cap, then a reader of the read under way or of a new one.
fn scrape(req: &Request<Incoming>, server: &Server) -> Response<Reply> {
    let permit = match &server.cap {
        None => None,
        Some((places, n)) => match places.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                let text = format!("{n} scrapes in flight already (--web.max-requests)\n");
                return respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    TEXT,
                    Reply::Text(Some(Bytes::from(text))),
                );
            }
        },
    };
    let format = negotiate(req);
    let (reader, job) = server.hub.join(format);
    if let Some(job) = job {
        // A scrape never fails: what cannot be read is `ipvs_up 0`.
        tokio::task::spawn_blocking(move || job.run().iter().for_each(|l| log(l)));
    }
    respond(
        StatusCode::OK,
        format.content_type(),
        Reply::Scrape {
            reader,
            _place: permit,
        },
    )
}

/// A connection's byte stream: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Serves one connection: the web configuration read again (as the exporter-toolkit
/// does), TLS when it says so, then HTTP/1.1.
async fn connection(stream: tokio::net::TcpStream, server: Arc<Server>) {
    let config = match &server.web_config {
        None => WebConfig::default(),
        Some(path) => match WebConfig::load(path) {
            Ok(c) => c,
            Err(e) => return log(&format!("connection refused: {e}")),
        },
    };
    let tls = match config.tls() {
        Ok(tls) => tls,
        Err(e) => return log(&format!("connection refused: {e}")),
    };
    // A write that makes no progress for the timeout fails, and ends the connection.
    let mut timed = TimeoutStream::new(stream);
    timed.set_write_timeout(Some(server.write_timeout));
    let timed = Box::pin(timed);
    let io: Box<dyn Io> = match tls {
        None => Box::new(timed),
        Some(tls) => {
            let accept = tokio_rustls::TlsAcceptor::from(tls).accept(timed);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                Ok(Ok(s)) => Box::new(s),
                Ok(Err(e)) => return log(&format!("TLS: {e}")),
                Err(_) => return log("TLS: no handshake within 10 s"),
            }
        }
    };
    let config = Arc::new(config);
    let service =
        hyper::service::service_fn(move |req| handle(req, server.clone(), config.clone()));
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .serve_connection(TokioIo::new(io), service)
        .await;
    if let Err(e) = served {
        log(&format!("connection: {e}"));
    }
}

/// How long a client has to finish its TLS handshake, and then its request's header.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

async fn serve(listener: tokio::net::TcpListener, server: Arc<Server>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, server.clone()));
            }
            Err(e) => {
                // Out of descriptors, say: wait a little rather than spin.
                log(&format!("accept: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The sockets of one listen address: a host name's every address; `:PORT` one
/// dual-stack socket (IPv4 alone where the host has no IPv6).
async fn bind(listen: &Listen) -> Result<Vec<tokio::net::TcpListener>, String> {
    let addrs: Vec<SocketAddr> = match listen {
        Listen::Addr(a) => vec![*a],
        Listen::Any(port) => {
            let v6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, *port));
            match tokio::net::TcpListener::bind(v6).await {
                Ok(l) => return Ok(vec![l]),
                Err(e) if e.raw_os_error() == Some(libc_eafnosupport()) => {
                    vec![SocketAddr::from((Ipv4Addr::UNSPECIFIED, *port))]
                }
                Err(e) => return Err(format!("cannot listen on {listen}: {e}")),
            }
        }
        Listen::Host(host, port) => {
            let mut found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), *port))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            found.sort();
            found.dedup();
            found
        }
    };
    let mut out = Vec::new();
    for a in addrs {
        out.push(
            tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| format!("cannot listen on {a} ({listen}): {e}"))?,
        );
    }
    Ok(out)
}

/// `EAFNOSUPPORT`: the host has no IPv6.
fn libc_eafnosupport() -> i32 {
    nix::errno::Errno::EAFNOSUPPORT as i32
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if !args.telemetry_path.starts_with('/') {
        log(&format!(
            "--web.telemetry-path {:?}: a path starts with /",
            args.telemetry_path
        ));
        return std::process::ExitCode::from(2);
    }
    // A web configuration that cannot work is refused now, not at the first scrape.
    let scheme = match &args.web_config {
        None => "http",
        Some(path) => match WebConfig::load(path) {
            Ok(c) if c.tls_server_config.is_some() => "https",
            Ok(_) => "http",
            Err(e) => {
                log(&format!("--web.config.file: {e}"));
                return std::process::ExitCode::from(2);
            }
        },
    };
    let listen = if args.listen.is_empty() {
        vec![DEFAULT_LISTEN.parse().expect("a valid address")]
    } else {
        args.listen
    };
    let all = args.all_netns.then(|| PathBuf::from(NETNS_DIR));
    let server = Arc::new(Server {
        hub: Hub::new(Watch::new(args.netns, all).with_series(args.rates, !args.no_servers)),
        cap: (args.max_requests > 0).then(|| {
            (
                Arc::new(Semaphore::new(args.max_requests)),
                args.max_requests,
            )
        }),
        write_timeout: Duration::from_secs(args.write_timeout),
        telemetry_path: args.telemetry_path,
        web_config: args.web_config,
    });
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
        let mut listeners = Vec::new();
        for l in &listen {
            match bind(l).await {
                Ok(mut ls) => listeners.append(&mut ls),
                Err(e) => {
                    log(&e);
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for l in listeners {
            if let Ok(a) = l.local_addr() {
                log(&format!(
                    "serving {} on {scheme}://{a}",
                    server.telemetry_path
                ));
            }
            tasks.spawn(serve(l, server.clone()));
        }
        tasks.join_all().await;
        std::process::ExitCode::SUCCESS
    })
}
