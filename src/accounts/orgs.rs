//! Organisations: owners that are not people. An organisation is a row of `users` with
//! `is_organization` set, so its name shares the one unique `lower_name` with every person's:
//! the database, not a check before the insert, keeps the two apart.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    db,
    entities::{
        org_member::{self, Role},
        repository, user,
    },
    error::{Error, FieldErrors, Result},
    names,
    repos::{Permission, access},
};

/// What it takes to create an organisation.
#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    /// Its name, also the owner part of its repositories' URLs.
    pub name: String,
    /// What it is about.
    pub description: String,
    /// Its display name (may be empty).
    pub full_name: String,
    /// Seen by its members only: its page, its listings and its repositories.
    pub private: bool,
}

/// Longest description kept.
const MAX_DESCRIPTION: usize = 255;
/// Longest display name kept (Gitea's limit).
const MAX_FULL_NAME: usize = 100;

fn validate(new: &NewOrg) -> Result<()> {
    let mut fields = FieldErrors::new();
    if let Err(message) = names::check_owner_name(&new.name) {
        fields.insert("name".to_owned(), message);
    }
    if new.description.trim().chars().count() > MAX_DESCRIPTION {
        fields.insert(
            "description".to_owned(),
            format!("description must be at most {MAX_DESCRIPTION} characters"),
        );
    }
    if new.full_name.trim().chars().count() > MAX_FULL_NAME {
        fields.insert(
            "full_name".to_owned(),
            format!("full_name must be at most {MAX_FULL_NAME} characters"),
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(fields))
    }
}

/// Whether a visibility word (`public` or empty, `private`) makes an organisation private.
///
/// # Errors
/// 422 naming `visibility` for any other word.
pub fn private_of(visibility: &str) -> Result<bool> {
    match visibility {
        "" | "public" => Ok(false),
        "private" => Ok(true),
        _ => Err(Error::field(
            "visibility",
            "visibility must be public or private",
        )),
    }
}

/// The answer to a name that a person or an organisation already has.
#[must_use]
pub fn taken(name: &str) -> Error {
    Error::Conflict(format!("name '{name}' is already taken"))
}

/// Creates an organisation with `creator` as its first owner, in one transaction.
///
/// # Errors
/// Validation (422), a name taken by a person or an organisation (409), or the database.
pub async fn create(
    db: &DatabaseConnection,
    creator: &user::Model,
    new: NewOrg,
) -> Result<user::Model> {
    validate(&new)?;
    let txn = db::begin_write(db).await?;
    let org = user::ActiveModel {
        username: Set(new.name.clone()),
        lower_name: Set(new.name.to_ascii_lowercase()),
        email: Set(String::new()),
        // No hash verifies against an empty string: an organisation never signs in.
        password_hash: Set(String::new()),
        is_admin: Set(false),
        created_at: Set(Utc::now()),
        first_user: Set(None),
        is_organization: Set(true),
        description: Set(new.description.trim().to_owned()),
        full_name: Set(new.full_name.trim().to_owned()),
        is_private: Set(new.private),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            taken(&new.name)
        } else {
            Error::Database(e)
        }
    })?;
    org_member::ActiveModel {
        org_id: Set(org.id),
        user_id: Set(creator.id),
        role: Set(Role::Owner),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(org)
}

/// The organisation named `name` (any case), if there is one.
///
/// # Errors
/// The database failed.
pub async fn find(db: &DatabaseConnection, name: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::LowerName.eq(name.to_ascii_lowercase()))
        .filter(user::Column::IsOrganization.eq(true))
        .one(db)
        .await?)
}

/// The organisation named `name` (any case) as `viewer` may know it: `None` when there is
/// none, or when it is private and the viewer is neither a member nor a site admin.
///
/// # Errors
/// The database failed.
pub async fn find_visible(
    db: &DatabaseConnection,
    name: &str,
    viewer: Option<&user::Model>,
) -> Result<Option<user::Model>> {
    let Some(org) = find(db, name).await? else {
        return Ok(None);
    };
    Ok(is_visible_to(db, &org, viewer).await?.then_some(org))
}

/// Whether `viewer` may know the owner `owner` exists: anyone may know a person or a public
/// organisation; a private organisation only its members and site admins.
///
/// # Errors
/// The database failed.
pub async fn is_visible_to(
    db: &DatabaseConnection,
    owner: &user::Model,
    viewer: Option<&user::Model>,
) -> Result<bool> {
    Ok(!owner.is_private || access::standing(db, owner, viewer).await? >= Permission::Read)
}

/// Deletes an organisation and its memberships; refused (409) while it owns repositories.
/// The organisation's row is locked while its repositories are counted, so a repository
/// created meanwhile either is counted or waits and then finds no owner.
///
/// # Errors
/// It owns repositories (409), or the database failed.
pub async fn delete(db: &DatabaseConnection, org: &user::Model) -> Result<()> {
    let txn = db::begin_write(db).await?;
    let locked: Option<i64> = user::Entity::find_by_id(org.id)
        .select_only()
        .column(user::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .one(&txn)
        .await?;
    if locked.is_none() {
        return Err(Error::NotFound("organisation"));
    }
    let owned = repository::Entity::find()
        .filter(repository::Column::OwnerId.eq(org.id))
        .count(&txn)
        .await?;
    if owned > 0 {
        return Err(Error::Conflict(format!(
            "organisation '{}' still owns {owned} {}; delete or move them first",
            org.username,
            if owned == 1 {
                "repository"
            } else {
                "repositories"
            }
        )));
    }
    org_member::Entity::delete_many()
        .filter(org_member::Column::OrgId.eq(org.id))
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(org.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Organisations whose name contains `query` (any case; `%`, `_` literal) that `viewer` may
/// know (private ones only for their members and site admins), by name, at most `limit`.
///
/// # Errors
/// The database failed.
pub async fn search(
    db: &DatabaseConnection,
    viewer: Option<&user::Model>,
    query: &str,
    limit: u64,
) -> Result<Vec<user::Model>> {
    let pattern = format!(
        "%{}%",
        crate::db::like_escaped(&query.trim().to_lowercase())
    );
    let mut found = user::Entity::find()
        .filter(user::Column::IsOrganization.eq(true))
        .filter(crate::db::like(user::Column::LowerName, pattern));
    match viewer {
        Some(viewer) if viewer.is_admin => {}
        Some(viewer) => {
            let own: Vec<i64> = crate::accounts::members::memberships(db, viewer)
                .await?
                .iter()
                .map(|m| m.org.id)
                .collect();
            found = found.filter(
                sea_orm::Condition::any()
                    .add(user::Column::IsPrivate.eq(false))
                    .add(user::Column::Id.is_in(own)),
            );
        }
        None => found = found.filter(user::Column::IsPrivate.eq(false)),
    }
    Ok(found
        .order_by_asc(user::Column::LowerName)
        .limit(limit)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_bad_fields() {
        let err = validate(&NewOrg {
            name: "api".into(),
            description: "x".repeat(300),
            ..NewOrg::default()
        })
        .unwrap_err();
        let Error::Validation(fields) = err else {
            panic!("not a validation error")
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["description", "name"]);
    }
}
