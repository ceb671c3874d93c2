//! Outgoing HTTP for components (`wasi:http/client@0.3.0` `send`), limited by
//! `allowed_outbound_hosts` exactly where Spin limits it.
//!
//! `wasmtime-wasi-http` is built without its `default-send-request` feature, so this module is
//! the only way a request leaves the process: [`OutboundHttp::send_request`] first checks the
//! destination against the component's allow-list (Spin syntax: `scheme://host[:port]`, with
//! `*` for any scheme/host/port, `*.domain` subdomains, `a..b` port ranges, CIDR blocks and
//! `{{ variable }}` templates), refusing with `HttpRequestDenied`, then sends it over a fresh
//! plain-HTTP/1.1 connection with hyper. TLS is not supported yet (`https` destinations fail
//! with an internal error even when allowed).

use crate::variables::ResolvedVariables;
use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http::uri::Scheme;
use http_body_util::BodyExt as _;
use std::future::Future;
use std::net::IpAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Poll, ready};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// A component's `allowed_outbound_hosts`, parsed.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

#[derive(Debug, Clone, PartialEq)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    AnySubdomain(String),
    /// `self`: relative requests (service chaining), which this host does not do.
    ToSelf,
    Name(String),
    Ip(IpAddr),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq)]
enum PortPattern {
    Any,
    Port(u16),
    /// Half-open, like Spin's `a..b`.
    Range(u16, u16),
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "rediss" => Some(6380),
        "mqtts" => Some(8883),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses the manifest entries, rendering `{{ var }}` templates with `vars`. As in Spin, a
    /// template that renders empty (or to a bare `http://` / `https://`) is skipped, so an
    /// optional endpoint such as `{{ db_url }}` with an empty default allows nothing.
    pub fn parse(entries: &[String], vars: &ResolvedVariables) -> Result<Self> {
        let mut out = Vec::new();
        for raw in entries {
            let rendered = if raw.contains("{{") {
                let rendered = vars
                    .render(raw)
                    .with_context(|| format!("allowed_outbound_hosts entry {raw:?}"))?;
                if matches!(rendered.as_str(), "" | "http://" | "https://") {
                    continue;
                }
                rendered
            } else {
                raw.clone()
            };
            out.push(
                parse_entry(&rendered)
                    .with_context(|| format!("invalid allowed_outbound_hosts entry {raw:?}"))?,
            );
        }
        Ok(Self { entries: out })
    }

    /// Whether `scheme://host[:port]` may be reached.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let ip: Option<IpAddr> = host.parse().ok();
        let Some(port) = port.or_else(|| well_known_port(scheme)) else {
            return false;
        };
        self.entries.iter().any(|e| {
            e.scheme.as_deref().is_none_or(|s| s == scheme)
                && match &e.host {
                    HostPattern::Any => true,
                    HostPattern::AnySubdomain(suffix) => ip.is_none() && host.ends_with(suffix),
                    HostPattern::ToSelf => false,
                    HostPattern::Name(n) => ip.is_none() && *n == host,
                    HostPattern::Ip(a) => ip == Some(*a),
                    HostPattern::Cidr(net, bits) => ip.is_some_and(|ip| in_cidr(ip, *net, *bits)),
                }
                && match e.port {
                    PortPattern::Any => true,
                    PortPattern::Port(p) => p == port,
                    PortPattern::Range(a, b) => (a..b).contains(&port),
                }
        })
    }
}

fn parse_entry(url: &str) -> Result<AllowedHost> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')");
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if scheme != "*" && !scheme.chars().all(|c| c.is_ascii_alphabetic()) {
        bail!("invalid scheme {scheme:?}");
    }
    // CIDR blocks contain a '/', IPv6 literals contain ':': try the whole thing as a host first.
    let (host, port) = if parse_host(rest).is_ok() {
        (rest, "")
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (rest, ""),
        }
    };
    let host = parse_host(host)?;
    let port = if port.is_empty() {
        PortPattern::Port(
            well_known_port(scheme)
                .with_context(|| format!("no port given and scheme {scheme:?} has no default"))?,
        )
    } else if port == "*" {
        PortPattern::Any
    } else if let Some((a, b)) = port.split_once("..") {
        PortPattern::Range(a.parse()?, b.parse()?)
    } else {
        PortPattern::Port(port.parse().with_context(|| format!("port {port:?} is not a number"))?)
    };
    Ok(AllowedHost {
        scheme: (scheme != "*").then(|| scheme.to_string()),
        host,
        port,
    })
}

fn parse_host(host: &str) -> Result<HostPattern> {
    let host = host.trim().to_ascii_lowercase();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(HostPattern::Ip(ip));
    }
    if let Some((net, bits)) = host.split_once('/')
        && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>())
    {
        return Ok(HostPattern::Cidr(net, bits));
    }
    if host.contains('/') || host.contains(':') || host.is_empty() {
        bail!("invalid host {host:?}");
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            bail!("wildcards are allowed only as prefixes");
        }
        return Ok(HostPattern::AnySubdomain(format!(".{domain}")));
    }
    if host.contains('*') {
        bail!("wildcards are allowed only as subdomains");
    }
    Ok(HostPattern::Name(host))
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits.min(32))).unwrap_or(0);
            (u32::from(a) & mask) == (u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits.min(128))).unwrap_or(0);
            (u128::from(a) & mask) == (u128::from(n) & mask)
        }
        _ => false,
    }
}

/// The `wasi:http` hooks of one store: the allow-list check plus the actual sending.
pub struct OutboundHttp {
    allowed: Arc<AllowedHosts>,
    component_id: Arc<str>,
}

impl OutboundHttp {
    /// Hooks for a component with the given allow-list.
    pub fn new(component_id: Arc<str>, allowed: Arc<AllowedHosts>) -> Self {
        Self {
            allowed,
            component_id,
        }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_result: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>
    {
        let allowed = self.allowed.clone();
        let component_id = self.component_id.clone();
        Box::new(async move {
            let uri = request.uri();
            let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
            let host = uri.host().ok_or(Error::HttpRequestUriInvalid)?.to_string();
            if !allowed.allows(&scheme, &host, uri.port_u16()) {
                tracing::warn!(
                    component = %component_id,
                    "outbound request to {scheme}://{} denied: not in allowed_outbound_hosts",
                    uri.authority().map(|a| a.as_str()).unwrap_or(&host)
                );
                return Err(Error::HttpRequestDenied);
            }
            if uri.scheme() != Some(&Scheme::HTTP) {
                return Err(Error::InternalError(Some(format!(
                    "{scheme}: only plain http is supported by this host"
                ))));
            }
            send_http(request, options).await
        })
    }
}

/// Sends one request over a new HTTP/1.1 connection (derived from wasmtime-wasi-http's
/// `default_send_request`, without TLS).
async fn send_http(
    mut req: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(http::Response<WasiBody>, IoFuture), Error> {
    let uri = req.uri();
    let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
    let authority = if authority.port().is_some() {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let connect_timeout = options
        .and_then(|o| o.connect_timeout)
        .unwrap_or(Duration::from_secs(600));
    let first_byte_timeout = options
        .and_then(|o| o.first_byte_timeout)
        .unwrap_or(Duration::from_secs(600));

    let stream = match tokio::time::timeout(connect_timeout, TcpStream::connect(&authority)).await
    {
        Ok(stream) => stream.map_err(Error::Connect)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    let (mut sender, conn) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;

    // The request line carries only path and query (scheme and authority are for proxies).
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    *req.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    let send = async move {
        let res = tokio::time::timeout(first_byte_timeout, sender.send_request(req))
            .await
            .map_err(|_| Error::ConnectionReadTimeout)?
            .map_err(Error::from)?;
        Ok::<_, Error>(res.map(|body| body.map_err(Error::from).boxed_unsync()))
    };
    let mut send = pin!(send);
    let mut conn = Some(conn);
    // Wait for the response head while driving the connection.
    let res = std::future::poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending => {
            let Some(fut) = conn.as_mut() else {
                return Poll::Pending;
            };
            let r = ready!(Pin::new(fut).poll(cx));
            conn = None;
            match r {
                Ok(()) => send.as_mut().poll(cx),
                Err(e) => Poll::Ready(Err(Error::from(e))),
            }
        }
    })
    .await?;
    let io: IoFuture = Box::new(async move {
        match conn {
            Some(conn) => conn.await.map_err(Error::from),
            None => Ok(()),
        }
    });
    Ok((res, io))
}

/// A complete in-memory body for callers that need a `WasiBody` (host-made answers).
pub fn full_body(bytes: Vec<u8>) -> WasiBody {
    http_body_util::Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Empty body helper for callers that need a `WasiBody`.
pub fn empty_body() -> WasiBody {
    http_body_util::Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> AllowedHosts {
        AllowedHosts {
            entries: entries.iter().map(|e| parse_entry(e).unwrap()).collect(),
        }
    }

    #[test]
    fn allow_list_rules() {
        let h = hosts(&["http://127.0.0.1:3001"]);
        assert!(h.allows("http", "127.0.0.1", Some(3001)));
        assert!(!h.allows("http", "127.0.0.1", Some(3002)));
        assert!(!h.allows("https", "127.0.0.1", Some(3001)));

        let h = hosts(&["http://localhost:*"]);
        assert!(h.allows("http", "localhost", Some(1)));
        assert!(h.allows("http", "localhost", None));
        assert!(!h.allows("http", "example.com", Some(80)));

        let h = hosts(&["*://*:*"]);
        assert!(h.allows("https", "example.com", None));

        let h = hosts(&["https://*.example.com"]);
        assert!(h.allows("https", "api.example.com", None));
        assert!(!h.allows("https", "example.com", None));
        assert!(!h.allows("https", "api.example.com", Some(8443)));

        let h = hosts(&["http://10.0.0.0/8:8000..8010"]);
        assert!(h.allows("http", "10.1.2.3", Some(8005)));
        assert!(!h.allows("http", "10.1.2.3", Some(8010)));
        assert!(!h.allows("http", "11.1.2.3", Some(8005)));

        assert!(parse_entry("localhost").is_err());
        assert!(parse_entry("").is_err(), "an empty literal stays an error");
        assert!(parse_entry("http://a*b.com").is_err());
        assert!(!AllowedHosts::default().allows("http", "x", None));
    }

    #[test]
    fn templates_that_render_empty_are_skipped_like_spin() {
        let manifest = crate::manifest::Manifest::parse(
            r#"
spin_manifest_version = 2
[variables]
db_url = { default = "" }
relay = { default = "http://127.0.0.1:3001/" }
[component.c]
source = "c.wasm"
"#,
            std::path::PathBuf::from("."),
        )
        .unwrap();
        let entries = ["{{ db_url }}".to_string(), "{{ relay }}".to_string()];
        let vars = ResolvedVariables::resolve(&manifest, &Default::default()).unwrap();
        let allowed = AllowedHosts::parse(&entries, &vars).unwrap();
        assert_eq!(allowed.entries.len(), 1, "the empty db_url allows nothing");
        assert!(allowed.allows("http", "127.0.0.1", Some(3001)));

        let mut sources = crate::variables::VariableSources::default();
        sources.cli.insert("db_url".into(), "http://127.0.0.1:8080".into());
        let vars = ResolvedVariables::resolve(&manifest, &sources).unwrap();
        let allowed = AllowedHosts::parse(&entries, &vars).unwrap();
        assert!(allowed.allows("http", "127.0.0.1", Some(8080)));
        assert!(!allowed.allows("http", "127.0.0.1", Some(8081)));
    }
}
