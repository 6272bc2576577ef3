//! The `org_members` table: who belongs to which organisation, and with which role.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a member may do with an organisation's repositories; ordered from least to most.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Clones and browses private repositories.
    #[sea_orm(string_value = "read")]
    Read,
    /// Also pushes, creates repositories and presses "Sync now".
    #[sea_orm(string_value = "write")]
    Write,
    /// Also changes settings, deletes repositories and manages members.
    #[sea_orm(string_value = "owner")]
    Owner,
}

impl Role {
    /// The word the API and the pages use.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Owner => "owner",
        }
    }

    /// The role a word names, if any.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

/// One membership.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub created_at: ChronoDateTimeUtc,
}

/// A membership joins an organisation and a person, both rows of `users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The organisation.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OrgId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Org,
    /// The member.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Member,
}

impl ActiveModelBehavior for ActiveModel {}
