//! Who belongs to an organisation, with which role; adding, changing and removing members, with
//! the last owner kept (an organisation always has someone who may manage it).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::{
    db,
    entities::{
        org_member::{self, Role},
        user,
    },
    error::{Error, Result},
};

/// From a membership to its member (a membership has two links to `users`).
struct MemberOf;

impl sea_orm::Linked for MemberOf {
    type FromEntity = org_member::Entity;
    type ToEntity = user::Entity;

    fn link(&self) -> Vec<sea_orm::LinkDef> {
        vec![org_member::Relation::Member.def()]
    }
}

/// A member as the members list shows them.
#[derive(Debug, Clone)]
pub struct Member {
    /// The person.
    pub user: user::Model,
    /// What they may do.
    pub role: Role,
}

/// An organisation a person belongs to, with their role in it.
#[derive(Debug, Clone)]
pub struct Membership {
    /// The organisation.
    pub org: user::Model,
    /// The person's role in it.
    pub role: Role,
}

/// `user_id`'s role in `org_id`, if they are a member.
///
/// # Errors
/// The database failed.
pub async fn role_of(db: &DatabaseConnection, org_id: i64, user_id: i64) -> Result<Option<Role>> {
    Ok(org_member::Entity::find()
        .select_only()
        .column(org_member::Column::Role)
        .filter(org_member::Column::OrgId.eq(org_id))
        .filter(org_member::Column::UserId.eq(user_id))
        .into_tuple::<Role>()
        .one(db)
        .await?)
}

/// An organisation's members, by name.
///
/// # Errors
/// The database failed.
pub async fn list(db: &DatabaseConnection, org: &user::Model) -> Result<Vec<Member>> {
    let rows = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org.id))
        .find_also_linked(MemberOf)
        .all(db)
        .await?;
    let mut members: Vec<Member> = rows
        .into_iter()
        .filter_map(|(m, user)| {
            Some(Member {
                user: user?,
                role: m.role,
            })
        })
        .collect();
    members.sort_by(|a, b| a.user.lower_name.cmp(&b.user.lower_name));
    Ok(members)
}

/// The organisations `user` belongs to, by name.
///
/// # Errors
/// The database failed.
pub async fn memberships(db: &DatabaseConnection, user: &user::Model) -> Result<Vec<Membership>> {
    let rows = org_member::Entity::find()
        .filter(org_member::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let orgs = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|m| m.org_id)))
        .order_by_asc(user::Column::LowerName)
        .all(db)
        .await?;
    Ok(orgs
        .into_iter()
        .filter_map(|org| {
            let role = rows.iter().find(|m| m.org_id == org.id)?.role;
            Some(Membership { org, role })
        })
        .collect())
}

/// `user` themselves first, then the organisations of their `memberships` where their role is
/// at least `least`, by name.
#[must_use]
pub fn owners_among(
    user: &user::Model,
    memberships: &[Membership],
    least: Role,
) -> Vec<user::Model> {
    std::iter::once(user.clone())
        .chain(
            memberships
                .iter()
                .filter(|m| m.role >= least)
                .map(|m| m.org.clone()),
        )
        .collect()
}

/// Every owner whose repositories `user` shares: themselves first, then every organisation
/// they belong to, by name.
///
/// # Errors
/// The database failed.
pub async fn shared_owners(
    db: &DatabaseConnection,
    user: &user::Model,
) -> Result<Vec<user::Model>> {
    Ok(owners_among(
        user,
        &memberships(db, user).await?,
        Role::Read,
    ))
}

/// Every owner `user` may create repositories in: themselves first, then the organisations
/// where they have `write` or `owner`, by name.
///
/// # Errors
/// The database failed.
pub async fn writable_owners(
    db: &DatabaseConnection,
    user: &user::Model,
) -> Result<Vec<user::Model>> {
    Ok(owners_among(
        user,
        &memberships(db, user).await?,
        Role::Write,
    ))
}

/// Every owner whose settings `user` may change: themselves first, then the organisations
/// where they are an `owner`, by name.
///
/// # Errors
/// The database failed.
pub async fn administered_owners(
    db: &DatabaseConnection,
    user: &user::Model,
) -> Result<Vec<user::Model>> {
    Ok(owners_among(
        user,
        &memberships(db, user).await?,
        Role::Owner,
    ))
}

/// Locks the organisation's row until `txn` ends, so changes of its owners happen one after
/// another (on SQLite the write lock does it).
async fn lock_org(txn: &impl ConnectionTrait, org: &user::Model) -> Result<()> {
    let locked: Option<i64> = user::Entity::find_by_id(org.id)
        .select_only()
        .column(user::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await?;
    locked.map(|_| ()).ok_or(Error::NotFound("organisation"))
}

/// How many owners `org` has.
async fn owner_count(txn: &impl ConnectionTrait, org: &user::Model) -> Result<u64> {
    Ok(org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org.id))
        .filter(org_member::Column::Role.eq(Role::Owner))
        .count(txn)
        .await?)
}

fn last_owner(org: &user::Model) -> Error {
    Error::Conflict(format!(
        "the last owner of '{}' cannot leave or stop being an owner; make another member an owner first",
        org.username
    ))
}

/// Adds `member` to `org` with `role`, or changes their role. The last owner cannot be made
/// anything less (409).
///
/// # Errors
/// `member` is an organisation (422), the last owner (409), or the database.
pub async fn put(
    db: &DatabaseConnection,
    org: &user::Model,
    member: &user::Model,
    role: Role,
) -> Result<Member> {
    if member.is_organization {
        let mut fields = crate::error::FieldErrors::new();
        fields.insert(
            "username".to_owned(),
            format!("'{}' is an organisation, not a person", member.username),
        );
        return Err(Error::Validation(fields));
    }
    let txn = db::begin_write(db).await?;
    lock_org(&txn, org).await?;
    let existing = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org.id))
        .filter(org_member::Column::UserId.eq(member.id))
        .one(&txn)
        .await?;
    match existing {
        Some(row) => {
            if row.role == Role::Owner && role != Role::Owner && owner_count(&txn, org).await? <= 1
            {
                return Err(last_owner(org));
            }
            let mut row: org_member::ActiveModel = row.into();
            row.role = Set(role);
            row.update(&txn).await?;
        }
        None => {
            org_member::ActiveModel {
                org_id: Set(org.id),
                user_id: Set(member.id),
                role: Set(role),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(Member {
        user: member.clone(),
        role,
    })
}

/// Removes `member` from `org`; the last owner cannot leave (409).
///
/// # Errors
/// Not a member (404), the last owner (409), or the database.
pub async fn remove(
    db: &DatabaseConnection,
    org: &user::Model,
    member: &user::Model,
) -> Result<()> {
    let txn = db::begin_write(db).await?;
    lock_org(&txn, org).await?;
    let Some(row) = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org.id))
        .filter(org_member::Column::UserId.eq(member.id))
        .one(&txn)
        .await?
    else {
        return Err(Error::NotFound("member"));
    };
    if row.role == Role::Owner && owner_count(&txn, org).await? <= 1 {
        return Err(last_owner(org));
    }
    org_member::Entity::delete_by_id(row.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
