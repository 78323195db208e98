//! Users: creating one (every field checked), checking a password, and the users behind ids.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::auth::{hash_password, verify_password};
use crate::domain::viewer::Role;
use crate::entities::user;
use crate::error::{Error, Result, is_unique_violation};

/// Shortest password accepted.
pub(crate) const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (argon2 hashes anything, but nobody types more; this bounds the work).
pub(crate) const MAX_PASSWORD_LEN: usize = 256;
/// Longest display name accepted.
pub(crate) const MAX_NAME_LEN: usize = 100;

/// What it takes to create an account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

/// Creates a user after validating every field; a taken email (in any letter case) is BAD_USER_INPUT.
pub async fn create_user(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model> {
    let email = normalize_email(&new.email)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::bad_input("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(Error::bad_input(
            "name",
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    let password_len = new.password.chars().count();
    if password_len < MIN_PASSWORD_LEN {
        return Err(Error::bad_input(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password_len > MAX_PASSWORD_LEN {
        return Err(Error::bad_input(
            "password",
            format!("must be at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    let password = new.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(Error::internal)??;
    let row = user::ActiveModel {
        email: Set(email),
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        role: Set(new.role),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    row.insert(db).await.map_err(|err| {
        if is_unique_violation(&err) {
            Error::bad_input("email", "an account with this email already exists")
        } else {
            err.into()
        }
    })
}

/// The user with this email and password. A wrong password and an unknown email fail alike, so the
/// answer does not tell which emails have accounts.
pub(crate) async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<user::Model> {
    let wrong = || Error::bad_input("password", "the email or password is wrong");
    let email = normalize_email(email).map_err(|_| wrong())?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?;
    // Verify against a real hash even for an unknown email, so both cases take the same time.
    let (hash, user) = match found {
        Some(u) => (u.password_hash.clone(), Some(u)),
        None => (DUMMY_HASH.to_owned(), None),
    };
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(Error::internal)?;
    match user {
        Some(u) if ok => Ok(u),
        _ => Err(wrong()),
    }
}

/// An argon2id hash of a random password, used to spend the same time on unknown emails.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4cwhjXf1g3V1b8Q9Cqf8GJ7b7a4D0yZc0r8o0lH9m4Y";

/// The user with this id.
pub(crate) async fn find_user(db: &impl ConnectionTrait, id: i64) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// These users, in the order asked; ids of no user are left out.
pub(crate) async fn users_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<user::Model>> {
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|u| u.id == *id).cloned())
        .collect())
}

/// How many accounts exist.
pub(crate) async fn count_users(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(user::Entity::find().count(db).await?)
}

/// Trims and lower-cases an email and checks that it looks like one.
pub(crate) fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(Error::bad_input("email", "is not a valid email address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
    }

    #[test]
    fn things_that_are_not_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash_that_matches_nothing_typed() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("password", DUMMY_HASH));
    }
}
