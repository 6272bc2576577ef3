//! One page of an owner's repositories as a caller may read them, with how many there are in
//! all: the service behind the Gitea-shaped listings (`/users/:username/repos`, and the
//! organisations' listing, which takes the same owner-and-viewer view).

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{Permission, Repo, access};
use crate::{
    config::Config,
    entities::{repository, user},
    error::Result,
    git::heads::{self, Heads},
};

/// A repository of a listing with what its content says of it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The repository and its owner.
    pub repo: Repo,
    /// Its default branch and whether it has any branch.
    pub heads: Heads,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct ListingPage {
    /// The repositories on this page, oldest first.
    pub items: Vec<Listed>,
    /// How many repositories the caller may read in all pages.
    pub total: u64,
}

/// Which rows of a listing to give: `limit` repositories from the `offset`th.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// At most this many.
    pub limit: u64,
    /// Skipping this many.
    pub offset: u64,
}

/// The repositories `owner` owns that `viewer` may read ([`access`]: the public ones, and the
/// private ones too for the owner, its members and site admins), one `window` of them.
///
/// Ordered by id, oldest first, as Gitea orders these listings (`id ASC`): a repository
/// created while a client walks the pages lands on the last page, and one pushed to never
/// moves, so a walk neither skips nor repeats one (newest-updated first would reshuffle the
/// pages under every push and sync).
///
/// # Errors
/// The database failed.
pub async fn owned_readable(
    db: &DatabaseConnection,
    config: &Config,
    owner: &user::Model,
    viewer: Option<&user::Model>,
    window: Window,
) -> Result<ListingPage> {
    let mut visible = Condition::all().add(repository::Column::OwnerId.eq(owner.id));
    if access::standing(db, owner, viewer).await? < Permission::Read {
        visible = visible.add(repository::Column::IsPrivate.eq(false));
    }
    let total = repository::Entity::find()
        .filter(visible.clone())
        .count(db)
        .await?;
    let rows = repository::Entity::find()
        .filter(visible)
        .order_by_asc(repository::Column::Id)
        .limit(window.limit)
        .offset(window.offset)
        .all(db)
        .await?;
    let repos: Vec<Repo> = rows
        .into_iter()
        .map(|repo| Repo {
            repo,
            owner: owner.clone(),
        })
        .collect();
    let heads = heads::read_all(repos.iter().map(|r| r.path(config)).collect()).await?;
    Ok(ListingPage {
        items: repos
            .into_iter()
            .zip(heads)
            .map(|(repo, heads)| Listed { repo, heads })
            .collect(),
        total,
    })
}
