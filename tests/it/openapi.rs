//! `/api/v1/openapi.json` and `/api/docs`: the document describes exactly the routes the router
//! serves (both directions, and against the contract's list), and Swagger UI is served from the
//! binary with nothing fetched from elsewhere.

use std::{collections::BTreeSet, path::Path};

use reqwest::Method;
use serde_json::Value;

use crate::support::{Db, Resp, TestServer, on_both_databases};

on_both_databases!(
    the_document_is_openapi_3_1_and_every_listed_route_is_served,
    the_docs_page_is_served_from_the_binary_with_its_own_csp,
);

/// Routes of the contract's later sections that are not built on this branch yet. Each is
/// checked to be still missing from the document, so whoever lands one must take it off here
/// (the merger empties this list). LFS is served under `/:owner/:repo.git/info/lfs`, outside
/// `/api/v1`, so it is not listed.
const NOT_YET_BUILT: &[&str] = &[];

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `/repos/{owner}/{repo}` and `/repos/:owner/:repo` alike become `/repos/{}/{}`.
fn normalise(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with(':') || (segment.starts_with('{') && segment.ends_with('}')) {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `METHOD /path` of every operation in the document, paths as written there.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(*method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Every `` `METHOD /api/v1/…` `` of the contract, normalised.
fn contract_routes(contract: &str) -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for quoted in contract.split('`').skip(1).step_by(2) {
        let Some((method, path)) = quoted.split_once(' ') else {
            continue;
        };
        let is_method = ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method);
        if !is_method || !path.starts_with("/api/v1/") {
            continue;
        }
        let path = path.split('?').next().unwrap_or(path);
        routes.insert(format!("{method} {}", normalise(path)));
    }
    routes
}

/// Reads the document, checking its frame.
async fn document(s: &TestServer) -> Value {
    let resp = s.get("/api/v1/openapi.json", None).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "content type {:?}",
        resp.header("content-type")
    );
    // The relaxed policy of the docs page stays on the docs page.
    assert_eq!(
        resp.header("content-security-policy"),
        Some("frame-ancestors 'none'")
    );
    let doc = resp.json();
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3.1."), "OpenAPI {version}");
    assert_eq!(doc["info"]["title"], "mirrorforge");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    doc
}

/// True when the answer is the router's own "no such route" (the fallback's JSON 404 or a
/// 405), not an answer of a handler (which may be a 404 of its own, such as "repository not
/// found", in the same error shape).
fn is_unrouted(resp: &Resp) -> bool {
    match resp.status.as_u16() {
        405 => true,
        404 => {
            let body = resp.expect_error(404, "not_found");
            body["error"] == "route not found"
        }
        _ => false,
    }
}

async fn the_document_is_openapi_3_1_and_every_listed_route_is_served(db: Db) {
    let s = TestServer::start(&db).await;
    let doc = document(&s).await;
    let listed = operations(&doc);
    assert!(
        listed.len() >= 20,
        "only {} operations listed",
        listed.len()
    );

    // The document → the router: each operation answers, anonymously and with a dummy
    // parameter, something other than "no such route".
    for (method, path) in &listed {
        assert!(
            path.starts_with("/api/v1/"),
            "{method} {path} outside /api/v1"
        );
        let concrete: String = normalise(path).replace("{}", "1");
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let resp = s
            .send(
                s.http
                    .request(method.clone(), s.url(&concrete))
                    .json(&Value::Null),
            )
            .await;
        assert!(
            !is_unrouted(&resp),
            "{method} {path} is in the document but not served: {} {}",
            resp.status,
            resp.body
        );
    }
    // The check can tell: an unknown route is "unrouted".
    let unknown = s.get("/api/v1/no/such/route", None).await;
    assert!(is_unrouted(&unknown), "{unknown:?}");
    let wrong_method = s.send(s.http.put(s.url("/api/v1/user"))).await;
    assert!(is_unrouted(&wrong_method), "{wrong_method:?}");

    // The router → the document: every API route is added with its description, through
    // `OpenApiRouter::routes(routes!(…))`; no plain `.route(` is left to slip past it.
    let api_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/api");
    let mut files = 0;
    for entry in std::fs::read_dir(&api_dir).expect("src/web/api") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        files += 1;
        let source = std::fs::read_to_string(&path).expect("a source file");
        for plain in [
            ".route(",
            "Router::route(",
            ".route_service(",
            ".nest_service(",
        ] {
            assert!(
                !source.contains(plain),
                "{} adds a route with `{plain}`, which the OpenAPI document does not see; \
                 use `.routes(routes!(handler))` with `#[utoipa::path]` on the handler",
                path.display()
            );
        }
    }
    assert!(files >= 6, "read {files} files of {}", api_dir.display());

    // The contract → the document: a route the contract names and nobody built (or forgot
    // to describe) is missing here.
    // The list is kept in the repository (CI checks out nothing beside it); where the contract
    // is beside the checkout, the copy must match it.
    let promised: BTreeSet<String> = include_str!("contract_routes.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let contract_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/CONTRACT.md");
    if let Ok(contract) = std::fs::read_to_string(&contract_path) {
        assert_eq!(
            contract_routes(&contract),
            promised,
            "tests/it/contract_routes.txt no longer matches the contract's /api/v1 routes"
        );
    }
    assert!(
        promised.len() >= 20,
        "only {} routes read from the contract",
        promised.len()
    );
    let documented: BTreeSet<String> = listed
        .iter()
        .map(|(method, path)| format!("{method} {}", normalise(path)))
        .collect();
    let missing: Vec<&String> = promised
        .iter()
        .filter(|route| !documented.contains(*route) && !NOT_YET_BUILT.contains(&route.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "contract routes missing from the document: {missing:?}"
    );
    for later in NOT_YET_BUILT {
        assert!(
            promised.contains(*later),
            "{later} is not a route of the contract; take it off NOT_YET_BUILT"
        );
        assert!(
            !documented.contains(*later),
            "{later} is built now; take it off NOT_YET_BUILT"
        );
    }

    // Every response of every operation has a schema'd body or none, and errors share one
    // schema.
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["basic"]["scheme"], "basic");
    let webhook = &doc["paths"]["/api/v1/repos/{owner}/{repo}/mirror/webhook"]["post"];
    let headers: Vec<&str> = webhook["parameters"]
        .as_array()
        .expect("webhook parameters")
        .iter()
        .filter(|p| p["in"] == "header")
        .filter_map(|p| p["name"].as_str())
        .collect();
    for header in ["X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"] {
        assert!(headers.contains(&header), "{header} in {headers:?}");
    }
    assert_eq!(
        webhook["security"],
        serde_json::json!([{}]),
        "the webhook needs no auth"
    );
    for (method, path) in &listed {
        let op = &doc["paths"][path][method.to_lowercase()];
        let params: Vec<String> = op["parameters"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|p| {
                        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                        format!("{} {}", text(&p["in"]), text(&p["name"]))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let unique: BTreeSet<&String> = params.iter().collect();
        assert_eq!(unique.len(), params.len(), "{method} {path}: {params:?}");
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            assert!(
                params.contains(&format!("path {name}")),
                "{method} {path}: {name} undescribed in {params:?}"
            );
        }
        let responses = op["responses"].as_object().expect("responses");
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// The `src="…"` and `href="…"` values of a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for rest in html.split(attr).skip(1) {
            if let Some(value) = rest.split('"').next() {
                out.push(value.to_owned());
            }
        }
    }
    out
}

async fn the_docs_page_is_served_from_the_binary_with_its_own_csp(db: Db) {
    let s = TestServer::start(&db).await;
    for page in ["/api/docs", "/api/docs/"] {
        let resp = s.get(page, None).await;
        resp.expect(200);
        assert!(
            resp.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{page}: {:?}",
            resp.headers
        );
        let csp = resp.header("content-security-policy").expect("a CSP");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("http"), "the CSP names no other host: {csp}");
        assert_eq!(resp.header("x-frame-options"), Some("DENY"));
        assert!(
            !resp.body.contains("http://") && !resp.body.contains("https://"),
            "{page} names another host: {}",
            resp.body
        );
        let found = links(&resp.body);
        assert!(
            found.iter().any(|l| l.ends_with("swagger-ui-bundle.js")),
            "{found:?}"
        );
        for link in &found {
            assert!(!link.starts_with("//"), "{link} is on another host");
            // Relative to `<base href="/api/docs/">`.
            let path = if link.starts_with('/') {
                link.clone()
            } else {
                format!("/api/docs/{}", link.trim_start_matches("./"))
            };
            let asset = s.get(&path, None).await;
            asset.expect(200);
            if path.ends_with(".js") {
                assert!(
                    asset
                        .header("content-type")
                        .is_some_and(|t| t.contains("javascript")),
                    "{path}: {:?}",
                    asset.headers
                );
                assert!(!asset.body.is_empty());
            }
        }
    }
    // The page reads the document from this server and asks no validator elsewhere.
    let init = s.get("/api/docs/swagger-initializer.js", None).await;
    init.expect(200);
    assert!(init.body.contains("/api/v1/openapi.json"), "{}", init.body);
    assert!(!init.body.contains("http"), "{}", init.body);
    s.get("/api/docs/no-such-file.js", None).await.expect(404);
}
