//! `users`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_ids;
use crate::schema::context::state;
use crate::schema::guard::SignedInGuard;
use crate::schema::user::User;
use crate::services::accounts::user;

/// Most users one request may name.
const MAX_USERS: usize = 100;

/// Users by id.
#[derive(Default)]
pub(crate) struct UserQuery;

#[Object]
impl UserQuery {
    /// These users (1..100), in the order asked; ids of no user are left out. Signed-in users only.
    #[graphql(guard = "SignedInGuard")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users' ids.")] ids: Vec<ID>,
    ) -> Result<Vec<User>> {
        let wanted = parse_ids("userIds", &ids, MAX_USERS).extend()?;
        let found = user::users_by_ids(&state(ctx)?.db, &wanted)
            .await
            .extend()?;
        Ok(found.into_iter().map(User::from).collect())
    }
}
