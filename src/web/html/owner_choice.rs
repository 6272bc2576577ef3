//! The "Owner" choice of the new-repository and import forms: the caller's own account first,
//! then every organisation where they may create repositories; `?owner=NAME` preselects one.

use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use super::page::FormErrors;
use crate::{accounts::members, entities::user, error::Error};

/// `?owner=`: the owner to preselect (an organisation's page links to `/repo/new?owner=NAME`).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct OwnerQuery {
    /// The owner's name, any case; empty for the caller.
    pub owner: String,
}

/// The owners a form offers, and the one selected.
#[derive(Debug, Clone)]
pub struct OwnerChoice {
    /// The caller's name first, then the organisations offered (writable or owned), by name.
    pub names: Vec<String>,
    /// The selected one, exactly as listed.
    pub chosen: String,
}

impl OwnerChoice {
    /// The owners `user` may create in, with `wanted` selected when it is one of them (any
    /// case), else the user.
    ///
    /// # Errors
    /// The database failed.
    pub async fn load(
        db: &DatabaseConnection,
        user: &user::Model,
        wanted: &str,
    ) -> Result<Self, Error> {
        let owners = members::writable_owners(db, user).await?;
        Ok(Self::among(owners, user, wanted))
    }

    /// The owners `user` administers (their account, organisations they own), as an account
    /// mirror may land only there, with `wanted` selected when it is one of them, else the user.
    ///
    /// # Errors
    /// The database failed.
    pub async fn administered(
        db: &DatabaseConnection,
        user: &user::Model,
        wanted: &str,
    ) -> Result<Self, Error> {
        let owners = members::administered_owners(db, user).await?;
        Ok(Self::among(owners, user, wanted))
    }

    /// `owners` by name, with `wanted` selected when it is one of them (any case), else `user`.
    fn among(owners: Vec<user::Model>, user: &user::Model, wanted: &str) -> Self {
        let names: Vec<String> = owners.into_iter().map(|owner| owner.username).collect();
        let chosen = names
            .iter()
            .find(|name| name.eq_ignore_ascii_case(wanted.trim()))
            .unwrap_or(&user.username)
            .clone();
        Self { names, chosen }
    }

    /// Whether `name` is the selected owner.
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.chosen == name
    }

    /// A choice for rendering templates in unit tests.
    #[cfg(test)]
    #[must_use]
    pub fn example() -> Self {
        Self {
            names: vec!["alice".to_owned(), "acme".to_owned()],
            chosen: "acme".to_owned(),
        }
    }
}

/// Turns a failed creation into inline messages: a refused owner (403) goes next to the owner
/// field, the rest as [`FormErrors::from_service`] places them.
///
/// # Errors
/// `err` itself when it is none of those.
pub fn form_errors(
    err: Error,
    shown: &[&str],
    conflict_field: &str,
) -> Result<(StatusCode, FormErrors), Error> {
    match err {
        Error::Forbidden(message) => Ok((StatusCode::FORBIDDEN, FormErrors::on("owner", message))),
        other => FormErrors::from_service(other, shown, conflict_field),
    }
}
