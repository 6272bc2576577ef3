//! Repositories: create, find, list, delete, and who may read or write them.

use std::path::PathBuf;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder,
};

pub mod access;
pub mod change;
pub mod listing;
pub mod lookups;
pub mod redirects;

pub use access::Permission;

use crate::{
    config::Config,
    entities::{repository, user},
    error::{Error, FieldErrors, Result},
    git,
    lfs::{self, store::LfsStore},
    names,
};

/// A repository together with its owner, as most callers need both.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The repository row.
    pub repo: repository::Model,
    /// The owning user.
    pub owner: user::Model,
}

impl Repo {
    /// `OWNER/NAME`.
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner.username, self.repo.name)
    }

    /// Where the bare repository lives on disk.
    #[must_use]
    pub fn path(&self, config: &Config) -> PathBuf {
        repo_path(config, &self.owner.username, &self.repo.name)
    }
}

/// `DATA_DIR/repos/OWNER/NAME.git`.
#[must_use]
pub fn repo_path(config: &Config, owner: &str, name: &str) -> PathBuf {
    config.repos_dir().join(owner).join(format!("{name}.git"))
}

/// What it takes to create a repository.
#[derive(Debug, Clone, Default)]
pub struct NewRepo {
    /// Repository name (validated).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Hidden from everyone but the owner and admins.
    pub private: bool,
    /// The account mirror making it, if one is.
    pub made_by: Option<MadeBy>,
    /// The branch its HEAD names (`None`: `main`).
    pub default_branch: Option<String>,
    /// Start with one commit holding `README.md` (its name and description) on the default
    /// branch, by this person, as Gitea's `auto_init` does; `None`: start empty.
    pub readme_by: Option<Author>,
}

/// Who a commit the server writes for a person is by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Their name.
    pub name: String,
    /// Their email address.
    pub email: String,
}

/// An account mirror's mark on a repository it makes: which one, and the source's id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeBy {
    /// The account mirror.
    pub account_mirror_id: i64,
    /// The source forge's id of the repository.
    pub source_id: String,
}

fn validate(new: &NewRepo) -> Result<()> {
    let mut fields = FieldErrors::new();
    if let Err(message) = names::check_repo_name(&new.name) {
        fields.insert("name".to_owned(), message);
    }
    if let Err(message) = check_description(&new.description) {
        fields.insert("description".to_owned(), message);
    }
    if let Some(branch) = &new.default_branch
        && !git2::Reference::is_valid_name(&format!("refs/heads/{branch}"))
    {
        fields.insert(
            "default_branch".to_owned(),
            "default_branch is not a valid branch name".to_owned(),
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(fields))
    }
}

/// Whether `description` is short enough; else the sentence for the form.
fn check_description(description: &str) -> std::result::Result<(), String> {
    if description.chars().count() > 2048 {
        Err("description must be at most 2048 characters".to_owned())
    } else {
        Ok(())
    }
}

fn taken(owner: &str, name: &str) -> Error {
    Error::Conflict(format!("repository '{owner}/{name}' already exists"))
}

/// Creates the row and a bare repository on disk: empty, or with its first commit when
/// `new.readme_by` asks for one.
///
/// # Errors
/// Validation (422), a taken name (409), the database or the disk.
pub async fn create(
    db: &DatabaseConnection,
    config: &Config,
    owner: &user::Model,
    new: NewRepo,
) -> Result<Repo> {
    let repo = insert_row(db, owner, &new).await?;
    let path = repo_path(config, &owner.username, &repo.name);
    if let Err(e) = start_on_disk(path.clone(), &new).await {
        // Leave no row without a directory behind, nor a directory without a row.
        let _ = repo.clone().delete(db).await;
        if !matches!(e, Error::Conflict(_)) {
            let _ = git::storage::remove(path).await;
        }
        return Err(e);
    }
    Ok(Repo {
        repo,
        owner: owner.clone(),
    })
}

/// The new repository's directory: initialised bare, HEAD on its default branch, and the
/// README commit when one is asked for.
async fn start_on_disk(path: PathBuf, new: &NewRepo) -> Result<()> {
    git::storage::init_bare(path.clone()).await?;
    let branch = new
        .default_branch
        .clone()
        .unwrap_or_else(|| git::storage::DEFAULT_BRANCH.to_owned());
    if branch != git::storage::DEFAULT_BRANCH {
        git::storage::set_head(path.clone(), branch.clone()).await?;
    }
    if let Some(author) = &new.readme_by {
        let readme = if new.description.trim().is_empty() {
            format!("# {}\n", new.name)
        } else {
            format!("# {}\n\n{}\n", new.name, new.description.trim())
        };
        git::storage::write_first_commit(path, branch, readme, author.clone()).await?;
    }
    Ok(())
}

/// Validates and inserts the repository row only.
async fn insert_row(
    db: &DatabaseConnection,
    owner: &user::Model,
    new: &NewRepo,
) -> Result<repository::Model> {
    validate(new)?;
    let lower_name = new.name.to_ascii_lowercase();
    let exists = repository::Entity::find()
        .filter(repository::Column::OwnerId.eq(owner.id))
        .filter(repository::Column::LowerName.eq(lower_name.clone()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(taken(&owner.username, &new.name));
    }
    // A repository that takes an old path ends its redirect.
    redirects::release(db, &owner.username, &new.name).await?;
    let now = Utc::now();
    repository::ActiveModel {
        owner_id: Set(owner.id),
        name: Set(new.name.clone()),
        lower_name: Set(lower_name),
        description: Set(new.description.trim().to_owned()),
        is_private: Set(new.private),
        account_mirror_id: Set(new.made_by.as_ref().map(|m| m.account_mirror_id)),
        source_id: Set(new.made_by.as_ref().map(|m| m.source_id.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        // Two creations of one name at once: the unique index decides. Any other failure
        // of the database is not the user's.
        if crate::db::is_unique_violation(&e) {
            taken(&owner.username, &new.name)
        } else {
            Error::Database(e)
        }
    })
}

/// Finds `owner/name` (case-insensitive); `None` if either does not exist.
///
/// # Errors
/// The database failed.
pub async fn find(db: &DatabaseConnection, owner: &str, name: &str) -> Result<Option<Repo>> {
    // One query for both rows: this runs on every repository page, fragment and API call.
    let found = repository::Entity::find()
        .find_also_related(user::Entity)
        .filter(user::Column::LowerName.eq(owner.to_ascii_lowercase()))
        .filter(repository::Column::LowerName.eq(name.to_ascii_lowercase()))
        .one(db)
        .await?;
    Ok(found.and_then(|(repo, owner)| {
        Some(Repo {
            repo,
            owner: owner?,
        })
    }))
}

/// `found` with what `viewer` may do with it, if that is at least `needed`: a repository they
/// may not read is "not found" (404), one they may read but not change is forbidden (403).
///
/// # Errors
/// Not found (404), forbidden (403), or the database.
pub async fn permitted(
    db: &DatabaseConnection,
    found: Option<Repo>,
    viewer: Option<&user::Model>,
    needed: Permission,
) -> Result<(Repo, Permission)> {
    let Some(repo) = found else {
        return Err(Error::NotFound("repository"));
    };
    let may = access::permission(db, &repo, viewer).await?;
    if may < Permission::Read {
        return Err(Error::NotFound("repository"));
    }
    if may < needed {
        return Err(Error::Forbidden(refusal(needed).to_owned()));
    }
    Ok((repo, may))
}

/// Why a caller who may read a repository may not do what needs `needed`.
#[must_use]
pub const fn refusal(needed: Permission) -> &'static str {
    match needed {
        Permission::Admin => "only the owner or an administrator may do this",
        _ => "only the owner, a member with write access or an administrator may do this",
    }
}

/// Finds `owner/name` if `viewer` may administer it: 404 if they cannot see it, 403 if they
/// can see but not change it.
///
/// # Errors
/// Not found (404), forbidden (403), or the database.
pub async fn find_admin(
    db: &DatabaseConnection,
    owner: &str,
    name: &str,
    viewer: &user::Model,
) -> Result<Repo> {
    let found = find(db, owner, name).await?;
    Ok(permitted(db, found, Some(viewer), Permission::Admin)
        .await?
        .0)
}

/// The repositories of `owners` (a user and the organisations they share, as
/// [`crate::accounts::members::shared_owners`] gives them): each owner's in the order of
/// `owners`, each by name.
///
/// # Errors
/// The database failed.
pub async fn list_owned(db: &DatabaseConnection, owners: &[user::Model]) -> Result<Vec<Repo>> {
    let rows = repository::Entity::find()
        .filter(repository::Column::OwnerId.is_in(owners.iter().map(|o| o.id)))
        .order_by_asc(repository::Column::LowerName)
        .all(db)
        .await?;
    let mut repos: Vec<Repo> = rows
        .into_iter()
        .filter_map(|repo| {
            let owner = owners.iter().find(|o| o.id == repo.owner_id)?.clone();
            Some(Repo { repo, owner })
        })
        .collect();
    // Stable: within one owner the names stay in order.
    repos.sort_by_key(|r| owners.iter().position(|o| o.id == r.owner.id));
    Ok(repos)
}

/// Deletes the row, the directory on disk, and the LFS objects in `lfs` no other repository
/// references.
///
/// # Errors
/// The database or the disk failed.
pub async fn delete(
    db: &DatabaseConnection,
    config: &Config,
    lfs: &LfsStore,
    repo: Repo,
) -> Result<()> {
    let path = repo.path(config);
    // Before the row: its references go with it, and with them which objects were its.
    lfs::links::unlink_repository(db, lfs, repo.repo.id).await?;
    repo.repo.delete(db).await?;
    git::storage::remove(path).await
}
