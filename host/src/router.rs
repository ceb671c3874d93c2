//! HTTP routing with Spin's rules.
//!
//! Spin (`crates/routes`) builds its router on the `routefinder` crate; we do the same so that
//! every tie-break matches `spin up` exactly:
//! - an exact route beats a wildcard one; among wildcard (`/...`) routes the longest prefix wins;
//! - `:name` matches one path segment and is reported as a named capture;
//! - a route `/a/...` matches `/a`, `/a/` and anything below `/a/`;
//! - trailing slashes are ignored when matching (`/a` matches `/a/`), but the wildcard part
//!   keeps them (Spin's `spin-path-info` for `/a/x/` under `/a/...` is `/x/`);
//! - when two triggers declare the same route, the last one wins (Spin warns about it).

use anyhow::{Result, anyhow};
use std::borrow::Cow;

/// What a route leads to.
#[derive(Debug, Clone)]
struct RouteHandler {
    /// The component serving the route.
    component_id: String,
    /// The route with the application base prefixed (what Spin calls `based_route`).
    based_route: String,
    /// The route exactly as written in the manifest.
    raw_route: String,
}

/// Maps request paths to components.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<RouteHandler>,
}

/// The result of routing one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The component that serves the request.
    pub component_id: String,
    /// The matched route including the base (`spin-matched-route`).
    pub based_route: String,
    /// The matched route as written in the manifest (`spin-raw-component-route`).
    pub raw_route: String,
    /// `:name` captures, in route order (`spin-path-match-<name>`).
    pub params: Vec<(String, String)>,
    /// The part of the path matched by a trailing `/...` (`spin-path-info`).
    pub path_info: String,
}

impl RouteMatch {
    /// The raw route without its trailing `/...` (`spin-component-route`).
    pub fn raw_route_or_prefix(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

/// A route declared more than once; the later declaration is the one in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRoute {
    /// The route pattern (with base).
    pub route: String,
    /// The component whose declaration was overridden.
    pub replaced_id: String,
    /// The component that serves the route.
    pub effective_id: String,
}

impl Router {
    /// Builds a router from `(component id, route)` pairs, with the application `base`.
    ///
    /// Returns the router and the duplicated routes (the last declaration wins, as in Spin).
    pub fn build<'a>(
        base: &str,
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, Vec<DuplicateRoute>)> {
        // Keep declaration order but let later duplicates replace earlier ones.
        let mut entries: Vec<RouteHandler> = Vec::new();
        let mut duplicates = Vec::new();
        for (component_id, raw_route) in routes {
            let based_route = sanitize_with_base(base, raw_route);
            let handler = RouteHandler {
                component_id: component_id.to_string(),
                based_route,
                raw_route: raw_route.to_string(),
            };
            if let Some(existing) = entries.iter_mut().find(|e| e.raw_route == raw_route) {
                duplicates.push(DuplicateRoute {
                    route: handler.based_route.clone(),
                    replaced_id: existing.component_id.clone(),
                    effective_id: handler.component_id.clone(),
                });
                *existing = handler;
            } else {
                entries.push(handler);
            }
        }
        let mut inner = routefinder::Router::new();
        for handler in entries {
            let spec = route_spec(&handler.based_route);
            inner.add(spec.as_str(), handler.clone()).map_err(|e| {
                anyhow!(
                    "Error parsing route {} associated with component {}: {e}",
                    handler.based_route,
                    handler.component_id
                )
            })?;
        }
        Ok((Self { inner }, duplicates))
    }

    /// Routes a request path (without query). `None` means 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        let params = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let path_info = captures
            .wildcard()
            .map(|s| -> Cow<'_, str> {
                // Spin has traditionally kept trailing slashes in the wildcard part, which
                // routefinder drops: put them back the way Spin does.
                match (s.is_empty(), path.ends_with('/')) {
                    (true, false) => s.into(),
                    (true, true) => "/".into(),
                    (false, false) => format!("/{s}").into(),
                    (false, true) => format!("/{s}/").into(),
                }
            })
            .unwrap_or_default()
            .into_owned();
        Some(RouteMatch {
            component_id: handler.component_id.clone(),
            based_route: handler.based_route.clone(),
            raw_route: handler.raw_route.clone(),
            params,
            path_info,
        })
    }

    /// The routes in effect, as `(based route, component id)`, for the startup listing.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .iter()
            .map(|(_, h)| (h.based_route.as_str(), h.component_id.as_str()))
    }
}

/// Translates a Spin route into a routefinder spec: `/a/...` becomes `/a/*`.
fn route_spec(based_route: &str) -> String {
    if let Some(prefix) = based_route.strip_suffix("/...") {
        format!("{prefix}/*")
    } else {
        based_route.to_string()
    }
}

/// Joins the base and the route the way Spin does (each loses one trailing slash).
fn sanitize_with_base(base: &str, route: &str) -> String {
    let route = if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    };
    format!("{}{}", strip_one_slash(base), strip_one_slash(&route))
}

fn strip_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build("/", routes.iter().copied()).unwrap().0
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component_id)
    }

    #[test]
    fn exact_routes() {
        let r = router(&[("foo", "/foo"), ("foobar", "/foo/bar")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("foo"));
        assert_eq!(component(&r, "/foo/bar").as_deref(), Some("foobar"));
        assert_eq!(component(&r, "/nope"), None);
        // Trailing slashes are ignored for exact routes, as routefinder (and so Spin) does.
        assert_eq!(component(&r, "/foo/").as_deref(), Some("foo"));
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&[("wild", "/..."), ("one", "/one")]);
        assert_eq!(component(&r, "/one").as_deref(), Some("one"));
        assert_eq!(component(&r, "/two").as_deref(), Some("wild"));
        assert_eq!(component(&r, "/").as_deref(), Some("wild"));
    }

    #[test]
    fn longest_wildcard_prefix_wins_regardless_of_order() {
        for routes in [
            [
                ("one", "/one/..."),
                ("onetwo", "/one/two/..."),
                ("onetwothree", "/one/two/three/..."),
            ],
            [
                ("onetwothree", "/one/two/three/..."),
                ("onetwo", "/one/two/..."),
                ("one", "/one/..."),
            ],
        ] {
            let r = router(&routes);
            assert_eq!(
                component(&r, "/one/two/three/four").as_deref(),
                Some("onetwothree")
            );
            assert_eq!(component(&r, "/one/two/x").as_deref(), Some("onetwo"));
            assert_eq!(component(&r, "/one/x").as_deref(), Some("one"));
        }
    }

    #[test]
    fn wildcard_matches_its_own_prefix_and_keeps_trailing_slashes() {
        let r = router(&[("chats", "/api/v1/chats/...")]);
        let m = r.route("/api/v1/chats").unwrap();
        assert_eq!(m.component_id, "chats");
        assert_eq!(m.path_info, "");
        assert_eq!(r.route("/api/v1/chats/").unwrap().path_info, "/");
        assert_eq!(r.route("/api/v1/chats/x/y").unwrap().path_info, "/x/y");
        assert_eq!(r.route("/api/v1/chats/x/y/").unwrap().path_info, "/x/y/");
        assert_eq!(component(&r, "/api/v1/chatsx"), None);
        assert_eq!(component(&r, "/api/v1"), None);
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("c", "/1/:two/3"), ("d", "/a/:id/...")]);
        let m = r.route("/1/2/3").unwrap();
        assert_eq!(m.params, vec![("two".to_string(), "2".to_string())]);
        let m = r.route("/a/xyz/b/c").unwrap();
        assert_eq!(m.component_id, "d");
        assert_eq!(m.params, vec![("id".to_string(), "xyz".to_string())]);
        assert_eq!(m.path_info, "/b/c");
        // A literal segment beats a parameter at the same position.
        let r = router(&[("param", "/chats/:id"), ("lit", "/chats/list")]);
        assert_eq!(component(&r, "/chats/list").as_deref(), Some("lit"));
        assert_eq!(component(&r, "/chats/abc").as_deref(), Some("param"));
    }

    #[test]
    fn route_headers_values() {
        let r = router(&[("chats", "/api/v1/chats/...")]);
        let m = r.route("/api/v1/chats/list").unwrap();
        assert_eq!(m.based_route, "/api/v1/chats/...");
        assert_eq!(m.raw_route, "/api/v1/chats/...");
        assert_eq!(m.raw_route_or_prefix(), "/api/v1/chats");
    }

    #[test]
    fn base_is_prefixed() {
        let (r, _) = Router::build("/base/", [("foo", "/foo"), ("all", "/...")]).unwrap();
        let m = r.route("/base/foo").unwrap();
        assert_eq!(m.component_id, "foo");
        assert_eq!(m.based_route, "/base/foo");
        assert_eq!(m.raw_route, "/foo");
        assert_eq!(component(&r, "/foo"), None);
        assert_eq!(component(&r, "/base/x").as_deref(), Some("all"));
    }

    #[test]
    fn duplicates_last_one_wins() {
        let (r, dups) =
            Router::build("/", [("first", "/foo"), ("second", "/foo"), ("x", "/x")]).unwrap();
        assert_eq!(component(&r, "/foo").as_deref(), Some("second"));
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].replaced_id, "first");
        assert_eq!(dups[0].effective_id, "second");
        assert_eq!(r.routes().count(), 2);
    }

    #[test]
    fn root_wildcard_captures_everything() {
        let r = router(&[("all", "/...")]);
        assert_eq!(r.route("/1/2/3").unwrap().path_info, "/1/2/3");
        assert_eq!(r.route("/").unwrap().path_info, "/");
    }
}
