//! What a first start of the embedded mode loads so there is something to try: demo accounts.
use sea_orm::ConnectionTrait;

use crate::auth::Role;
use crate::services::account::{self, NewUser};

/// The demo admin's credentials, printed by the startup banner and the README.
pub const ADMIN: (&str, &str) = ("admin@folio.demo", "folio-admin");
/// The demo customer's credentials.
pub const CUSTOMER: (&str, &str) = ("reader@folio.demo", "folio-reader");

/// Loads the demo data into an empty database; does nothing once any account exists. Returns
/// whether it loaded anything.
pub async fn load_if_empty(db: &impl ConnectionTrait) -> crate::error::Result<bool> {
    if account::count_users(db).await? > 0 {
        return Ok(false);
    }
    for (email, password, name, role) in [
        (ADMIN.0, ADMIN.1, "Demo Admin", Role::Admin),
        (CUSTOMER.0, CUSTOMER.1, "Demo Reader", Role::Customer),
    ] {
        account::create_user(
            db,
            NewUser {
                email: email.into(),
                password: password.into(),
                name: name.into(),
                role,
            },
        )
        .await?;
    }
    Ok(true)
}
