//! The `users` table: accounts, and organisations (owners that are not people, which share
//! the accounts' namespace and never sign in).

use sea_orm::entity::prelude::*;

/// One account or organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub lower_name: String,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: ChronoDateTimeUtc,
    /// TRUE on the first account ever (unique), NULL on the others.
    pub first_user: Option<bool>,
    /// TRUE for an organisation: no password, no sessions, no tokens; members act for it.
    pub is_organization: bool,
    /// What an organisation is about (empty for people).
    pub description: String,
    /// Switched off by an administrator: no sign-in, its tokens and sessions refused.
    pub disabled: bool,
    /// The display name (`""`: none given).
    pub full_name: String,
    /// TRUE for an organisation seen by its members only (its page, listings and
    /// repositories); always FALSE for people.
    pub is_private: bool,
}

/// Links to the tables that point at users.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Repositories this user owns.
    #[sea_orm(has_many = "super::repository::Entity")]
    Repository,
    /// This user's access tokens.
    #[sea_orm(has_many = "super::access_token::Entity")]
    AccessToken,
}

impl Related<super::repository::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
