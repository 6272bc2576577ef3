//! One page of repositories as a caller may read them, with how many there are in all: the
//! service behind the Gitea-shaped listings (an owner's, `/users/:username/repos` and the
//! organisations' listing, which take the same owner-and-viewer view; and the search across
//! every owner, `/repos/search`).

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use super::{Permission, Repo, access};
use crate::db::{like, like_escaped};
pub use crate::paging::Window;
use crate::{
    accounts::members,
    config::Config,
    entities::{org_member::Role, repository, user},
    error::Result,
    git::heads::{self, Heads},
    paging::Page,
};

/// A repository of a listing with what its content says of it and what the caller may do.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The repository and its owner.
    pub repo: Repo,
    /// Its default branch and whether it has any branch.
    pub heads: Heads,
    /// What the caller may do with it.
    pub permission: Permission,
}

/// One page of a listing: the repositories on it, oldest first, and how many the caller may
/// read in all pages.
pub type ListingPage = Page<Listed>;

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
    let standing = access::standing(db, owner, viewer).await?;
    if standing < Permission::Read {
        if owner.is_private {
            // A private organisation's repositories are its members' only.
            return Ok(ListingPage {
                items: Vec::new(),
                total: 0,
            });
        }
        visible = visible.add(repository::Column::IsPrivate.eq(false));
    }
    let (total, rows) = window_of(db, visible, window).await?;
    let repos = rows
        .into_iter()
        .map(|repo| {
            let repo = Repo {
                repo,
                owner: owner.clone(),
            };
            let permission = standing.over(&repo);
            (repo, permission)
        })
        .collect();
    with_heads(config, repos, total).await
}

/// The repositories of `viewer` and of every organisation they belong to (Gitea's
/// `/user/repos`), oldest first, one `window` of them.
///
/// # Errors
/// The database failed.
pub async fn shared_with(
    db: &DatabaseConnection,
    config: &Config,
    viewer: &user::Model,
    window: Window,
) -> Result<ListingPage> {
    let memberships = members::memberships(db, viewer).await?;
    let mut owners: Vec<(user::Model, Option<Role>)> = vec![(viewer.clone(), None)];
    owners.extend(memberships.into_iter().map(|m| (m.org, Some(m.role))));
    let visible = Condition::all()
        .add(repository::Column::OwnerId.is_in(owners.iter().map(|(owner, _)| owner.id)));
    let (total, rows) = window_of(db, visible, window).await?;
    let repos = rows
        .into_iter()
        .filter_map(|repo| {
            let (owner, role) = owners.iter().find(|(o, _)| o.id == repo.owner_id)?;
            let repo = Repo {
                repo,
                owner: owner.clone(),
            };
            let permission = access::standing_with(owner, Some(viewer), *role).over(&repo);
            Some((repo, permission))
        })
        .collect();
    with_heads(config, repos, total).await
}

/// `repo` as a listing shows it, for a caller who may do `permission` with it.
///
/// # Errors
/// The repository could not be read.
pub async fn one(config: &Config, repo: Repo, permission: Permission) -> Result<Listed> {
    let page = with_heads(config, vec![(repo, permission)], 1).await?;
    page.items
        .into_iter()
        .next()
        .ok_or_else(|| crate::error::Error::internal_msg("no heads read for one repository"))
}

/// How many repositories `visible` selects, and the `window` of them, oldest first (by id).
async fn window_of(
    db: &DatabaseConnection,
    visible: Condition,
    window: Window,
) -> Result<(u64, Vec<repository::Model>)> {
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
    Ok((total, rows))
}

/// The page of `repos` (of `total` in all), each with what its content says of it.
async fn with_heads(
    config: &Config,
    repos: Vec<(Repo, Permission)>,
    total: u64,
) -> Result<ListingPage> {
    let heads = heads::read_all(repos.iter().map(|(r, _)| r.path(config)).collect()).await?;
    Ok(ListingPage {
        items: repos
            .into_iter()
            .zip(heads)
            .map(|((repo, permission), heads)| Listed {
                repo,
                heads,
                permission,
            })
            .collect(),
        total,
    })
}

/// Longest search text taken (longer ones match nothing anyway: a name is at most 100).
const MAX_QUERY_LEN: usize = 256;

/// Where `owner/name` contains `query` (lowercase; owners and names hold no `/`): the owner or
/// the name contains it, or, with one `/`, the owner ends with what comes before it and the
/// name starts with what follows. `None` when nothing can match.
fn matching(query: &str, owner_ids: &[i64]) -> Option<Condition> {
    let query = query.to_lowercase();
    match query.split('/').collect::<Vec<_>>().as_slice() {
        [whole] => {
            let pattern = format!("%{}%", like_escaped(whole));
            Some(
                Condition::any()
                    .add(like(repository::Column::LowerName, pattern))
                    .add(repository::Column::OwnerId.is_in(owner_ids.iter().copied())),
            )
        }
        [_, name] => Some(
            Condition::all()
                .add(repository::Column::OwnerId.is_in(owner_ids.iter().copied()))
                .add(like(
                    repository::Column::LowerName,
                    format!("{}%", like_escaped(name)),
                )),
        ),
        _ => None,
    }
}

/// The repositories `viewer` may read (public ones, their own and their organisations', every
/// one for a site admin) whose `owner/name` contains `query`, ignoring case, oldest first, one
/// `window` of them.
///
/// # Errors
/// The database failed.
pub async fn search_readable(
    db: &DatabaseConnection,
    config: &Config,
    viewer: Option<&user::Model>,
    query: &str,
    window: Window,
) -> Result<ListingPage> {
    let empty = ListingPage {
        items: Vec::new(),
        total: 0,
    };
    let query = query.trim();
    if query.len() > MAX_QUERY_LEN {
        return Ok(empty);
    }
    // The owners the query names: containing it, or (with a `/`) ending with its first part.
    let lower = query.to_lowercase();
    let owner_pattern = match lower.split_once('/') {
        None => format!("%{}%", like_escaped(&lower)),
        Some((owner, _)) => format!("%{}", like_escaped(owner)),
    };
    let owner_ids: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(like(user::Column::LowerName, owner_pattern))
        .into_tuple()
        .all(db)
        .await?;
    let private_orgs = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::IsPrivate.eq(true))
        .into_query();
    let Some(matches) = matching(&lower, &owner_ids) else {
        return Ok(empty);
    };
    let mut visible = Condition::all().add(matches);
    let mut roles: std::collections::HashMap<i64, Role> = std::collections::HashMap::new();
    match viewer {
        Some(viewer) if viewer.is_admin => {}
        Some(viewer) => {
            for membership in members::memberships(db, viewer).await? {
                roles.insert(membership.org.id, membership.role);
            }
            let shared: Vec<i64> = std::iter::once(viewer.id)
                .chain(roles.keys().copied())
                .collect();
            visible = visible.add(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(repository::Column::IsPrivate.eq(false))
                            .add(repository::Column::OwnerId.not_in_subquery(private_orgs)),
                    )
                    .add(repository::Column::OwnerId.is_in(shared)),
            );
        }
        None => {
            visible = visible
                .add(repository::Column::IsPrivate.eq(false))
                .add(repository::Column::OwnerId.not_in_subquery(private_orgs));
        }
    }
    let (total, rows) = window_of(db, visible, window).await?;
    let owners: std::collections::HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.owner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|owner| (owner.id, owner))
        .collect();
    let repos = rows
        .into_iter()
        .filter_map(|repo| {
            let owner = owners.get(&repo.owner_id)?.clone();
            let role = roles.get(&owner.id).copied();
            let permission = access::standing_with(&owner, viewer, role);
            let repo = Repo { repo, owner };
            let permission = permission.over(&repo);
            Some((repo, permission))
        })
        .collect();
    with_heads(config, repos, total).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_escaped("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(like_escaped("plain"), "plain");
    }

    #[test]
    fn more_than_one_slash_matches_nothing() {
        assert!(matching("a/b/c", &[1]).is_none());
        assert!(matching("a/b", &[1]).is_some());
        assert!(matching("ab", &[]).is_some());
    }
}
