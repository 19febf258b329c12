//! HTTP/1.1 on loopback (hyper): turns connections into `SimRequest`s, answers CORS
//! preflights, and delivers responses normally, cut short, or as a connection reset.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use crate::http::{parse_query, Delivery, SimRequest, SimResponse};
use crate::router;
use crate::sim::Sim;

/// Largest request body accepted (Autotask query bodies are small).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Binds 127.0.0.1:`port` (0 = any free port).
pub async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// Serves connections until the task is dropped.
pub async fn serve(listener: TcpListener, sim: Arc<Sim>) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(pair) => pair,
            // Out of file descriptors and the like: keep serving the connections we have.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let sim = sim.clone();
        tokio::spawn(async move {
            let _ = serve_connection(stream, peer, sim).await;
        });
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, sim: Arc<Sim>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // A second handle on the socket, so a reset fault can set SO_LINGER to zero: the
    // close that follows then sends RST instead of FIN.
    let std_stream = stream.into_std()?;
    let control = Arc::new(socket2::Socket::from(std_stream.try_clone()?));
    let stream = TcpStream::from_std(std_stream)?;
    let local = stream.local_addr()?;
    let service = service_fn(move |request| {
        let (sim, control) = (sim.clone(), control.clone());
        async move { answer(sim, request, peer.ip(), local, &control).await }
    });
    http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await
        .map_err(io::Error::other)
}

type SimBody = http_body_util::Either<http_body_util::Full<Bytes>, CutBody>;

async fn answer(
    sim: Arc<Sim>,
    request: Request<Incoming>,
    peer: IpAddr,
    local: SocketAddr,
    control: &socket2::Socket,
) -> Result<Response<SimBody>, io::Error> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let cors = sim.startup.cors;
    let origin_header = parts
        .headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .filter(|o| cors && is_loopback_origin(o))
        .map(str::to_string);
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            let too_big = SimResponse::text(413, "Request body too large");
            return Ok(to_hyper(too_big, origin_header.as_deref()));
        }
    };
    let host = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| local.to_string());
    let req = SimRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().map(str::to_string),
        query: parts.uri.query().map(parse_query).unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        origin: format!("http://{host}"),
        peer,
    };
    let (method, path) = (req.method.clone(), req.path.clone());
    let response = if req.method == "OPTIONS" && origin_header.is_some() {
        preflight()
    } else {
        router::handle(sim.clone(), req).await
    };
    if sim.startup.log {
        // Method, path and status only: queries, headers and bodies may carry credentials.
        eprintln!(
            "{method} {path} {} {}ms",
            match response.delivery {
                Delivery::Reset => "reset".to_string(),
                _ => response.status.to_string(),
            },
            started.elapsed().as_millis()
        );
    }
    if response.delivery == Delivery::Reset {
        control.set_linger(Some(std::time::Duration::ZERO))?;
        return Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected reset",
        ));
    }
    Ok(to_hyper(response, origin_header.as_deref()))
}

fn preflight() -> SimResponse {
    SimResponse::empty(204)
        .with_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
        .with_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, Accept, Prefer, ApiIntegrationCode, UserName, Secret, ImpersonationResourceId",
        )
        .with_header("Access-Control-Max-Age", "600")
}

/// Browser pages served from this machine (the js-demo) may call the simulator.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        rest.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn to_hyper(response: SimResponse, cors_origin: Option<&str>) -> Response<SimBody> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(origin) = cors_origin {
        builder = builder
            .header("Access-Control-Allow-Origin", origin)
            .header("Vary", "Origin")
            .header(
                "Access-Control-Expose-Headers",
                "Date, Retry-After, Preference-Applied",
            );
    }
    let body = Bytes::from(response.body);
    let body = if response.delivery == Delivery::CutConnection {
        builder = builder.header("Content-Length", body.len().to_string());
        let half = body.slice(..body.len() / 2);
        http_body_util::Either::Right(CutBody {
            first: Some(half),
            pause: Box::pin(tokio::time::sleep(CUT_PAUSE)),
        })
    } else {
        http_body_util::Either::Left(http_body_util::Full::new(body))
    };
    builder.body(body).unwrap_or_else(|_| {
        Response::new(http_body_util::Either::Left(http_body_util::Full::new(
            Bytes::from_static(b"invalid response"),
        )))
    })
}

/// How long a cut body waits between its half and the cut: hyper drops what it has not
/// flushed when a body fails, so the half must reach the socket first.
const CUT_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Half a body, then an error: hyper closes the connection short of its Content-Length.
pub struct CutBody {
    first: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl Body for CutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(data) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        // Pending meanwhile: hyper flushes the head and the half before the error.
        std::task::ready!(std::future::Future::poll(self.pause.as_mut(), cx));
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "injected cut",
        ))))
    }
}
