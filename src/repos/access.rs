//! The one decision of what a caller may do with a repository: read it, write to it, or
//! administer it. The API, the pages, git over HTTP, Git LFS and the overview all ask here.
//!
//! A site admin may do all; the owning person administers their own repositories; in an
//! organisation the member's role decides (`read`, `write`, `owner` for administer); anyone
//! may read a public repository, unless its owner is a private organisation (members only).

use sea_orm::DatabaseConnection;

use super::Repo;
use crate::{
    accounts::{self, members},
    entities::{org_member::Role, user},
    error::{Error, Result},
};

/// What a caller may do with a repository, ordered from nothing to everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// Not even know it exists (a private repository of someone else's).
    None,
    /// Clone, fetch and browse.
    Read,
    /// Also push, create repositories in its owner and press "Sync now".
    Write,
    /// Also change settings and credentials, delete, restore and manage members.
    Admin,
}

impl Permission {
    /// The permission a member's role gives over their organisation's repositories.
    #[must_use]
    pub const fn of_role(role: Role) -> Self {
        match role {
            Role::Read => Self::Read,
            Role::Write => Self::Write,
            Role::Owner => Self::Admin,
        }
    }

    /// What this standing with the owner gives over one of its repositories: public ones are
    /// readable by all, but for those of a private organisation (seen by its members only).
    #[must_use]
    pub fn over(self, repo: &Repo) -> Self {
        if repo.repo.is_private || repo.owner.is_private {
            self
        } else {
            self.max(Self::Read)
        }
    }
}

/// What `viewer` may do with every repository `owner` owns, private ones included, given the
/// viewer's `role` when `owner` is an organisation they belong to.
#[must_use]
pub fn standing_with(
    owner: &user::Model,
    viewer: Option<&user::Model>,
    role: Option<Role>,
) -> Permission {
    match viewer {
        Some(v) if v.is_admin || v.id == owner.id => Permission::Admin,
        Some(_) if owner.is_organization => role.map_or(Permission::None, Permission::of_role),
        _ => Permission::None,
    }
}

/// What `viewer` may do with every repository `owner` owns, private ones included: reads the
/// viewer's role only when it matters (an organisation, a viewer who is neither it nor an admin).
///
/// # Errors
/// The database failed.
pub async fn standing(
    db: &DatabaseConnection,
    owner: &user::Model,
    viewer: Option<&user::Model>,
) -> Result<Permission> {
    let role = match viewer {
        Some(v) if owner.is_organization && !v.is_admin => {
            members::role_of(db, owner.id, v.id).await?
        }
        _ => None,
    };
    Ok(standing_with(owner, viewer, role))
}

/// Why a caller whose standing in the organisation `org` is below `needed` is refused.
#[must_use]
pub fn org_refusal(org: &user::Model, needed: Permission) -> Error {
    Error::Forbidden(match needed {
        Permission::Admin => format!("only owners of '{}' may do this", org.username),
        Permission::Write => format!(
            "only members of '{}' with write access may do this",
            org.username
        ),
        _ => format!("only members of '{}' may do this", org.username),
    })
}

/// What `viewer` may do with `repo`.
///
/// # Errors
/// The database failed.
pub async fn permission(
    db: &DatabaseConnection,
    repo: &Repo,
    viewer: Option<&user::Model>,
) -> Result<Permission> {
    Ok(standing(db, &repo.owner, viewer).await?.over(repo))
}

/// The owner `caller` asks to create a repository in: `name` (a person or an organisation, any
/// case), or the caller themselves when `None`. The caller may create in their own account, in
/// an organisation where they may write, and (a site admin) anywhere.
///
/// # Errors
/// Any other owner, or one that does not exist (403, naming it); the database.
pub async fn owner_to_create_in(
    db: &DatabaseConnection,
    caller: &user::Model,
    name: Option<&str>,
) -> Result<user::Model> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(caller.clone());
    };
    if name.eq_ignore_ascii_case(&caller.username) {
        return Ok(caller.clone());
    }
    let refused = || {
        Error::Forbidden(format!(
            "you may not create repositories in '{name}': only in your own account and in organisations where you have write access"
        ))
    };
    let owner = accounts::users::find_by_name(db, name)
        .await?
        .ok_or_else(refused)?;
    if standing(db, &owner, Some(caller)).await? >= Permission::Write {
        Ok(owner)
    } else {
        Err(refused())
    }
}

/// The owner `caller` asks an account mirror's repositories to land in: `name` (a person or
/// an organisation, any case), or the caller themselves when `None`. Only an owner whose
/// settings the caller may change: their own account, an organisation they own, and (a site
/// admin) anyone.
///
/// # Errors
/// Any other owner, or one that does not exist (403, naming it); the database.
pub async fn owner_to_administer(
    db: &DatabaseConnection,
    caller: &user::Model,
    name: Option<&str>,
) -> Result<user::Model> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(caller.clone());
    };
    let refused = || {
        Error::Forbidden(format!(
            "you may not mirror into '{name}': only into your own account and organisations you own"
        ))
    };
    let owner = accounts::users::find_by_name(db, name)
        .await?
        .ok_or_else(refused)?;
    if standing(db, &owner, Some(caller)).await? >= Permission::Admin {
        Ok(owner)
    } else {
        Err(refused())
    }
}

/// The owner `caller` asks to move a repository to: `name` (a person or an organisation, any
/// case). Only where the caller administers: their own account, an organisation they own, and
/// (a site admin) anyone.
///
/// # Errors
/// Any other owner, or one that does not exist (403, naming it); the database.
pub async fn owner_to_move_into(
    db: &DatabaseConnection,
    caller: &user::Model,
    name: &str,
) -> Result<user::Model> {
    let name = name.trim();
    let refused = || {
        Error::Forbidden(format!(
            "you may not move repositories to '{name}': only to your own account and organisations you own"
        ))
    };
    let owner = accounts::users::find_by_name(db, name)
        .await?
        .ok_or_else(refused)?;
    if owner.id == caller.id || standing(db, &owner, Some(caller)).await? >= Permission::Admin {
        Ok(owner)
    } else {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::entities::repository;

    fn account(id: i64, admin: bool, org: bool) -> user::Model {
        user::Model {
            id,
            username: format!("u{id}"),
            lower_name: format!("u{id}"),
            email: String::new(),
            password_hash: String::new(),
            is_admin: admin,
            created_at: Utc::now(),
            first_user: None,
            is_organization: org,
            description: String::new(),
            disabled: false,
            full_name: String::new(),
            is_private: false,
        }
    }

    fn repo_of(owner: &user::Model, private: bool) -> Repo {
        let mut repo = repository::Model::example(owner.id);
        repo.is_private = private;
        Repo {
            repo,
            owner: owner.clone(),
        }
    }

    #[test]
    fn roles_admins_owners_and_strangers() {
        let person = account(1, false, false);
        let org = account(2, false, true);
        let admin = account(3, true, false);
        let stranger = account(4, false, false);
        for private in [false, true] {
            let public_floor = if private {
                Permission::None
            } else {
                Permission::Read
            };
            let own = repo_of(&person, private);
            assert_eq!(
                standing_with(&person, Some(&person), None).over(&own),
                Permission::Admin
            );
            assert_eq!(
                standing_with(&person, Some(&admin), None).over(&own),
                Permission::Admin
            );
            assert_eq!(
                standing_with(&person, Some(&stranger), None).over(&own),
                public_floor
            );
            assert_eq!(standing_with(&person, None, None).over(&own), public_floor);
            // A role names nothing on a person's repositories.
            assert_eq!(
                standing_with(&person, Some(&stranger), Some(Role::Owner)).over(&own),
                public_floor
            );
            let team = repo_of(&org, private);
            for (role, expected) in [
                (Role::Read, Permission::Read),
                (Role::Write, Permission::Write),
                (Role::Owner, Permission::Admin),
            ] {
                assert_eq!(
                    standing_with(&org, Some(&stranger), Some(role)).over(&team),
                    expected
                );
            }
            assert_eq!(
                standing_with(&org, Some(&stranger), None).over(&team),
                public_floor
            );
            assert_eq!(standing_with(&org, None, None).over(&team), public_floor);
            assert_eq!(
                standing_with(&org, Some(&admin), None).over(&team),
                Permission::Admin
            );
        }
    }
}
