//! What is posted from an organisation's page, under `/org/{org}/…`: owners add a member,
//! change a role, remove a member and delete the organisation; any member leaves. A refusal
//! (the last owner, an organisation that still owns repositories, an unknown user) shows the
//! page again with the message where it happened and nothing changed.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::page::{Problems, render};
use crate::{
    accounts::{members, orgs, users},
    entities::{org_member::Role, user},
    error::{Error, PageError},
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, Member, PageOrg},
        html::page::{FormErrors, flash_redirect},
    },
};

/// The routes under `/org/{org}/`.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/org/{org}/members", post(add))
        .route("/org/{org}/members/{username}/role", post(change_role))
        .route("/org/{org}/members/{username}/remove", post(remove))
        .route("/org/{org}/leave", post(leave))
        .route("/org/{org}/delete", post(delete))
}

/// The add-member form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AddForm {
    username: String,
    role: String,
}

/// A row's role form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

/// The organisation's members section, where its notices go.
fn members_of(org: &user::Model) -> String {
    format!("/{}#members", org.username)
}

/// The role a form chose, or the message for its `role` field.
fn role_of(word: &str) -> Result<Role, String> {
    Role::parse(word.trim()).ok_or_else(|| "choose read, write or owner".to_owned())
}

/// The organisation's page again, answered with `status`, saying what `problems` say.
async fn again(
    state: &AppState,
    session: &Session,
    org: user::Model,
    viewer: &user::Model,
    status: StatusCode,
    problems: Problems,
) -> Result<Response, PageError> {
    let page = render(state, session, org, Some(viewer), 1, problems).await?;
    Ok((status, page).into_response())
}

/// `message` in the members section.
fn in_members(message: String) -> Problems {
    Problems {
        members: Some(message),
        ..Problems::default()
    }
}

/// The page again after the service refused: a conflict (the last owner, an organisation that
/// still owns repositories) is answered 409 with its message where `place` puts it; any other
/// error is the error page.
async fn refused(
    state: &AppState,
    session: &Session,
    org: user::Model,
    viewer: &user::Model,
    err: Error,
    place: impl FnOnce(String) -> Problems,
) -> Result<Response, PageError> {
    match err {
        Error::Conflict(message) => {
            again(
                state,
                session,
                org,
                viewer,
                StatusCode::CONFLICT,
                place(message),
            )
            .await
        }
        other => Err(other.into()),
    }
}

/// A member of `org` by name, or 404.
async fn member_named(
    state: &AppState,
    org: &user::Model,
    username: &str,
) -> Result<user::Model, Error> {
    let person = users::find_person(&state.db, username)
        .await?
        .ok_or(Error::NotFound("member"))?;
    members::role_of(&state.db, org.id, person.id)
        .await?
        .ok_or(Error::NotFound("member"))?;
    Ok(person)
}

async fn add(
    State(state): State<AppState>,
    session: Session,
    access: PageOrg<Admin>,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response, PageError> {
    let (org, viewer) = (access.org, access.viewer);
    let username = form.username.trim().to_owned();
    let refused = |errors: FormErrors| Problems {
        add: errors,
        add_username: username.clone(),
        add_role: form.role.clone(),
        ..Problems::default()
    };
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(message) => {
            let problems = refused(FormErrors::on("role", message));
            return again(
                &state,
                &session,
                org,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
            )
            .await;
        }
    };
    let found = if username.is_empty() {
        Err("type the username of the person to add".to_owned())
    } else {
        users::find_by_name(&state.db, &username)
            .await?
            .ok_or_else(|| format!("no user is named '{username}'"))
    };
    let person = match found {
        Ok(person) => person,
        Err(message) => {
            let problems = refused(FormErrors::on("username", message));
            return again(
                &state,
                &session,
                org,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
            )
            .await;
        }
    };
    match members::put(&state.db, &org, &person, role).await {
        Ok(member) => {
            tracing::info!(org = %org.username, member = %member.user.username, role = role.as_str(), user_id = viewer.id, "membership set");
            let message = format!(
                "{} is a member of {} with {}.",
                member.user.username,
                org.username,
                role.as_str()
            );
            Ok(flash_redirect(&session, message, &members_of(&org)).await?)
        }
        Err(err) => {
            let (status, errors) =
                FormErrors::from_service(err, &["username", "role"], "username")?;
            again(&state, &session, org, &viewer, status, refused(errors)).await
        }
    }
}

async fn change_role(
    State(state): State<AppState>,
    session: Session,
    access: PageOrg<Admin>,
    Path((_, username)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    let (org, viewer) = (access.org, access.viewer);
    let person = member_named(&state, &org, &username).await?;
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(message) => {
            let problems = in_members(message);
            return again(
                &state,
                &session,
                org,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
            )
            .await;
        }
    };
    match members::put(&state.db, &org, &person, role).await {
        Ok(_) => {
            tracing::info!(org = %org.username, member = %person.username, role = role.as_str(), user_id = viewer.id, "membership changed");
            let message = format!(
                "{}'s role in {} is now {}.",
                person.username,
                org.username,
                role.as_str()
            );
            Ok(flash_redirect(&session, message, &members_of(&org)).await?)
        }
        Err(err) => refused(&state, &session, org, &viewer, err, in_members).await,
    }
}

/// Removes `person` from `org`, or shows why not; `then` is where a removal leads, with its
/// notice.
async fn take_out(
    state: &AppState,
    session: &Session,
    org: user::Model,
    viewer: &user::Model,
    person: &user::Model,
    then: (&str, String),
) -> Result<Response, PageError> {
    match members::remove(&state.db, &org, person).await {
        Ok(()) => {
            tracing::info!(org = %org.username, member = %person.username, user_id = viewer.id, "membership removed");
            Ok(flash_redirect(session, then.1, then.0).await?)
        }
        Err(err) => refused(state, session, org, viewer, err, in_members).await,
    }
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    access: PageOrg<Admin>,
    Path((_, username)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<crate::web::html::page::CsrfOnly>,
) -> Result<Response, PageError> {
    let (org, viewer) = (access.org, access.viewer);
    let person = member_named(&state, &org, &username).await?;
    let to = members_of(&org);
    let message = format!(
        "{} is no longer a member of {}.",
        person.username, org.username
    );
    take_out(&state, &session, org, &viewer, &person, (&to, message)).await
}

async fn leave(
    State(state): State<AppState>,
    session: Session,
    access: PageOrg<Member>,
    CsrfForm(_): CsrfForm<crate::web::html::page::CsrfOnly>,
) -> Result<Response, PageError> {
    let (org, viewer) = (access.org, access.viewer);
    let message = format!("You left {}.", org.username);
    take_out(
        &state,
        &session,
        org,
        &viewer,
        &viewer.clone(),
        ("/", message),
    )
    .await
}

async fn delete(
    State(state): State<AppState>,
    session: Session,
    access: PageOrg<Admin>,
    CsrfForm(_): CsrfForm<crate::web::html::page::CsrfOnly>,
) -> Result<Response, PageError> {
    let (org, viewer) = (access.org, access.viewer);
    match orgs::delete(&state.db, &org).await {
        Ok(()) => {
            tracing::info!(org = %org.username, user_id = viewer.id, "organisation deleted");
            let message = format!("Organisation {} deleted.", org.username);
            Ok(flash_redirect(&session, message, "/").await?)
        }
        Err(err) => {
            let place = |message| Problems {
                delete: Some(message),
                ..Problems::default()
            };
            refused(&state, &session, org, &viewer, err, place).await
        }
    }
}
