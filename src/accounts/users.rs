//! User accounts: registration with validation, look-up and password authentication.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::{
    auth::{password, throttle::LoginThrottle},
    db,
    entities::user,
    error::{Error, FieldErrors, Result},
    names,
};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// What it takes to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name, also the owner part of repository URLs.
    pub username: String,
    /// Contact address.
    pub email: String,
    /// Plain password, hashed before storing.
    pub password: String,
    /// Make the account an administrator (the first account always is one).
    pub is_admin: bool,
}

/// Checks the fields of a new account, naming each bad one.
fn validate(new: &NewUser) -> Result<()> {
    let mut fields = FieldErrors::new();
    if let Err(message) = names::check_username(&new.username) {
        fields.insert("username".to_owned(), message);
    }
    if let Err(message) = check_email(&new.email) {
        fields.insert("email".to_owned(), message);
    }
    if let Err(message) = check_password(&new.password) {
        fields.insert("password".to_owned(), message);
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(fields))
    }
}

/// Whether `password` is long enough and not absurdly long; else the sentence for the form.
fn check_password(password: &str) -> std::result::Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        Err(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        ))
    } else if password.len() > 1024 {
        Err("password must be at most 1024 bytes".to_owned())
    } else {
        Ok(())
    }
}

/// What the current password is called when the one given is not it.
pub const WRONG_PASSWORD: &str = "the current password is wrong";

/// Gives `user` the password `new` when `current` is their password now (a wrong one counted
/// and throttled as at login, from `client`); the account as it is now. `new` is checked as at
/// sign-up. Every session made with the old password is over from its next request (its stamp
/// no longer matches), and `known` forgets the user.
///
/// # Errors
/// A wrong current password ([`Error::Forbidden`], [`WRONG_PASSWORD`]), too many of them
/// (429), a new one too short or too long (422 naming `new_password`), or the database.
pub async fn change_password(
    db: &DatabaseConnection,
    (throttle, client): (&LoginThrottle, IpAddr),
    known: &super::known::KnownAccounts,
    user: user::Model,
    current: &str,
    new: &str,
) -> Result<user::Model> {
    if authenticate(db, throttle, client, &user.username, current)
        .await?
        .is_none()
    {
        return Err(Error::Forbidden(WRONG_PASSWORD.to_owned()));
    }
    check_password(new).map_err(|message| Error::field("new_password", message))?;
    let hash = password::permit().await?.hash(new).await?;
    let mut active = user.into_active_model();
    active.password_hash = Set(hash);
    let changed = active.update(db).await?;
    known.forget_user(changed.id);
    Ok(changed)
}

/// Refuses anyone but a site administrator.
///
/// # Errors
/// [`Error::Forbidden`] for anyone else.
pub fn require_admin(user: &user::Model) -> Result<()> {
    if user.is_admin {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only a site administrator may manage accounts".to_owned(),
        ))
    }
}

/// `email` trimmed, when it reads as an address (`local@domain.tld`, no spaces, 255 bytes at
/// most); else the sentence for the form.
fn check_email(email: &str) -> std::result::Result<&str, String> {
    let email = email.trim();
    let email_ok = email.len() <= 255
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !email.chars().any(char::is_whitespace);
    if email_ok {
        Ok(email)
    } else {
        Err("enter a valid email address".to_owned())
    }
}

/// Gives `user` the email address `email`; the account as it is now. What `known` remembers
/// of the user is forgotten, so the next request sees the change.
///
/// # Errors
/// Not an address (422 naming `email`), or the database.
pub async fn change_email(
    db: &DatabaseConnection,
    known: &super::known::KnownAccounts,
    user: user::Model,
    email: &str,
) -> Result<user::Model> {
    let email = check_email(email).map_err(|message| {
        let mut fields = FieldErrors::new();
        fields.insert("email".to_owned(), message);
        Error::Validation(fields)
    })?;
    let mut active = user.into_active_model();
    active.email = Set(email.to_owned());
    let changed = active.update(db).await?;
    known.forget_user(changed.id);
    Ok(changed)
}

/// Creates an account; the first account ever becomes an administrator.
///
/// Which account is first is decided by the database, not by counting: the first one is
/// inserted with `first_user = TRUE`, which a unique index admits once. Of simultaneous first
/// registrations one insert wins; the others fail on that index and are made plain accounts.
///
/// # Errors
/// Validation (422), a taken username (409), or the database.
pub async fn create(db: &DatabaseConnection, new: NewUser) -> Result<user::Model> {
    validate(&new)?;
    if find_by_name(db, &new.username).await?.is_some() {
        return Err(taken(&new.username));
    }
    let password_hash = password::hash(&new.password).await?;
    let any_user = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if any_user.is_none() {
        match insert(db, &new, &password_hash, true).await {
            Ok(user) => return Ok(user),
            // Someone else became the first meanwhile (unless it is the name that is taken).
            Err(e) if db::is_unique_violation(&e) => {
                if find_by_name(db, &new.username).await?.is_some() {
                    return Err(taken(&new.username));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    insert(db, &new, &password_hash, false).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            taken(&new.username)
        } else {
            Error::Database(e)
        }
    })
}

/// Inserts the account row; `first` makes it the first account (and so an administrator).
async fn insert(
    db: &DatabaseConnection,
    new: &NewUser,
    password_hash: &str,
    first: bool,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        username: Set(new.username.clone()),
        lower_name: Set(new.username.to_ascii_lowercase()),
        email: Set(new.email.trim().to_owned()),
        password_hash: Set(password_hash.to_owned()),
        is_admin: Set(new.is_admin || first),
        created_at: Set(Utc::now()),
        first_user: Set(first.then_some(true)),
        ..Default::default()
    }
    .insert(db)
    .await
}

fn taken(username: &str) -> Error {
    Error::Conflict(format!("username '{username}' is already taken"))
}

/// Finds a user by name, ignoring case.
///
/// # Errors
/// The database failed.
pub async fn find_by_name(db: &DatabaseConnection, username: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::LowerName.eq(username.to_ascii_lowercase()))
        .one(db)
        .await?)
}

/// Finds a person (not an organisation) by name, ignoring case.
///
/// # Errors
/// The database failed.
pub async fn find_person(db: &DatabaseConnection, username: &str) -> Result<Option<user::Model>> {
    Ok(find_by_name(db, username)
        .await?
        .filter(|u| !u.is_organization))
}

/// Every account (not organisations), oldest first.
///
/// # Errors
/// The database failed.
pub async fn list_people(db: &DatabaseConnection) -> Result<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::IsOrganization.eq(false))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// What an administrator changes of an account; `None` leaves it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminChange {
    /// Make or unmake an administrator.
    pub is_admin: Option<bool>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
}

/// Applies `change` to `target`; the account as it is now. The site always keeps an
/// administrator who can sign in: a change that would leave none is refused (409). The admin
/// rows are locked while they are counted, so two such changes at once cannot both pass.
/// `known` forgets the account, so a disabled one is refused from its next request.
///
/// # Errors
/// The last administrator demoted or disabled (409), or the database.
pub async fn change_as_admin(
    db: &DatabaseConnection,
    known: &super::known::KnownAccounts,
    target: user::Model,
    change: AdminChange,
) -> Result<user::Model> {
    let txn = db.begin().await?;
    let _admins: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::IsAdmin.eq(true))
        .lock_exclusive()
        .into_tuple()
        .all(&txn)
        .await?;
    let id = target.id;
    let mut active = target.into_active_model();
    if let Some(is_admin) = change.is_admin {
        active.is_admin = Set(is_admin);
    }
    if let Some(disabled) = change.disabled {
        active.disabled = Set(disabled);
    }
    let changed = active.update(&txn).await?;
    let able_admins = user::Entity::find()
        .filter(user::Column::IsAdmin.eq(true))
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::IsOrganization.eq(false))
        .count(&txn)
        .await?;
    if able_admins == 0 {
        return Err(Error::Conflict(
            "this would leave no administrator who can sign in; make another account an administrator first"
                .to_owned(),
        ));
    }
    txn.commit().await?;
    known.forget_user(id);
    Ok(changed)
}

/// Finds a user by id.
///
/// # Errors
/// The database failed.
pub async fn find_by_id(db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user whose name and password match, if any; wrong passwords are counted per account
/// and client address, and an attempt over the limit is refused before any check. Each
/// attempt takes its place in the count before its password is hashed, so parallel guesses
/// check no more passwords than the limit.
///
/// # Errors
/// [`Error::TooManyRequests`] when throttled, or the database failed.
pub async fn authenticate(
    db: &DatabaseConnection,
    throttle: &LoginThrottle,
    client: IpAddr,
    username: &str,
    password: &str,
) -> Result<Option<user::Model>> {
    let attempt = throttle.reserve(username, client)?;
    // An organisation is no one to sign in as.
    let user = find_by_name(db, username)
        .await?
        .filter(|u| !u.is_organization);
    let stored = match &user {
        Some(user) => user.password_hash.as_str(),
        // Spend the same time as a real check so timing does not reveal which names exist.
        None => DUMMY_HASH
            .get_or_try_init(|| password::hash("dummy password for timing"))
            .await?
            .as_str(),
    };
    let permit = password::permit().await?;
    let matches = permit.verify(password, stored).await && user.is_some();
    if matches {
        throttle.succeeded(attempt);
    }
    match user.filter(|_| matches) {
        Some(user) if user.disabled => Err(Error::Forbidden(DISABLED.to_owned())),
        found => Ok(found),
    }
}

/// Why a disabled account is refused (said only to whoever gave its password).
pub const DISABLED: &str = "this account is disabled; ask an administrator";

/// Authenticates Basic credentials as git and the API see them: a token as the password
/// (or as the username with an empty password), else username and password (throttled as in
/// [`authenticate`]; tokens are 256-bit random and are not). A password gives every right.
///
/// # Errors
/// [`Error::TooManyRequests`] when throttled, [`Error::Forbidden`] for a disabled account's
/// right password, or the database failed.
pub async fn authenticate_basic(
    db: &DatabaseConnection,
    throttle: &LoginThrottle,
    client: IpAddr,
    username: &str,
    password: &str,
) -> Result<Option<(user::Model, super::tokens::TokenTerms)>> {
    use crate::auth::token::TOKEN_PREFIX;
    if password.starts_with(TOKEN_PREFIX) {
        return super::tokens::authenticate(db, password).await;
    }
    if password.is_empty() && username.starts_with(TOKEN_PREFIX) {
        return super::tokens::authenticate(db, username).await;
    }
    Ok(authenticate(db, throttle, client, username, password)
        .await?
        .map(|user| (user, super::tokens::TokenTerms::default())))
}

/// A hash verified against when the user does not exist, made once.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_every_bad_field() {
        let err = validate(&NewUser {
            username: "api".into(),
            email: "nope".into(),
            password: "short".into(),
            is_admin: false,
        })
        .unwrap_err();
        let Error::Validation(fields) = err else {
            panic!("not a validation error")
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["email", "password", "username"]
        );
    }
}
