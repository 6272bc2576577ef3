//! The OpenAPI document's frame: title, version, security schemes and shared parameters; the
//! paths themselves come from the handlers' `#[utoipa::path]` through the `OpenApiRouter`.

use std::sync::Arc;

use axum::{Extension, http::header, response::IntoResponse};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        Object, RefOr, Type,
        header::{Header, HeaderBuilder},
        path::ParameterIn,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ErrorBody, state::AppState};

/// Name of the bearer-token security scheme (`Authorization: Bearer <token>`).
pub const BEARER: &str = "bearer";
/// Name of the Basic security scheme (username with password, or with a token).
pub const BASIC: &str = "basic";

/// The document's frame; `OpenApiRouter` adds every path to it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "mirrorforge",
        version = env!("CARGO_PKG_VERSION"),
        description = "The JSON API of mirrorforge, a self-hosted Git server centred on \
                       per-repository mirroring. Every error answers the `ErrorBody` shape."
    ),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("basic" = [])),
    components(schemas(ErrorBody)),
    tags(
        (name = "user", description = "The caller, their password, tokens and repositories"),
        (name = "admin", description = "The site's accounts, for its administrators"),
        (name = "repos", description = "Repositories"),
        (name = "orgs", description = "Organisations, their members and repositories"),
        (name = "account_mirrors", description = "Every repository of an account on another forge, kept by itself"),
        (name = "mirror", description = "Mirror settings, syncs, runs and import"),
        (name = "push_mirrors", description = "A repository's push targets"),
        (name = "mirrors", description = "Every mirror of the caller at once: the overview and batch actions"),
        (name = "webhook", description = "Webhook secret and the signed webhook a forge calls"),
        (name = "gitea", description = "Routes only Gitea's clients call, in Gitea's shapes: the version, migration, mirror-sync and push_mirrors-sync"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Adds the two ways an API caller authenticates.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal access token: `Authorization: Bearer <token>` \
                         (`Authorization: token <token>` works too).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "Username with the account password, or with a token as the password.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Describes the paging headers on the 200 answer of every paged list (a `GET` taking a
/// `limit` query parameter), as [`super::paging::Paged`] sends them.
pub fn describe_paged_lists(doc: &mut utoipa::openapi::OpenApi) {
    let header = |kind, description: &str| -> RefOr<Header> {
        HeaderBuilder::new()
            .schema(Some(Object::with_type(kind)))
            .description(Some(description))
            .build()
            .into()
    };
    for item in doc.paths.paths.values_mut() {
        let Some(get) = item.get.as_mut() else {
            continue;
        };
        let paged = get.parameters.iter().flatten().any(|parameter| {
            matches!(parameter, RefOr::T(p) if p.name == "limit" && p.parameter_in == ParameterIn::Query)
        });
        if let (true, Some(RefOr::T(ok))) = (paged, get.responses.responses.get_mut("200")) {
            ok.headers.insert(
                "X-Total-Count".to_owned(),
                header(Type::Integer, "How many items the whole list holds"),
            );
            ok.headers.insert(
                "Link".to_owned(),
                header(
                    Type::String,
                    "The other pages, as Gitea writes them: `rel=\"next\"`, `\"last\"`, \
                     `\"first\"`, `\"prev\"` (absent when there is one page)",
                ),
            );
        }
    }
}

/// `{owner}` and `{repo}` of every repository route.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only described: the `ApiRepo` extractor reads the path itself.
pub struct RepoPath {
    /// The owner's username.
    owner: String,
    /// The repository's name.
    repo: String,
}

/// The serialised document, served by [`openapi_json`].
#[derive(Clone)]
pub struct Document(pub Arc<String>);

/// The document routes: `/openapi.json`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of `/api/v1`", content_type = "application/json", body = Object))
)]
async fn openapi_json(Extension(Document(doc)): Extension<Document>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.as_str().to_owned(),
    )
}
