//! Field guards. Row-level checks ("is this my order") are service functions, not guards.
use async_graphql::{Context, ErrorExtensions, Guard, Result};

use crate::error::Error;
use crate::schema::context::viewer;

/// Lets the field run only for a signed-in user.
pub(crate) struct SignedInGuard;

impl Guard for SignedInGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        viewer(ctx).user_id().map(|_| ()).map_err(|e| e.extend())
    }
}

/// Lets the field run only for a signed-in admin: UNAUTHENTICATED without a user, FORBIDDEN for others.
pub(crate) struct AdminGuard;

impl Guard for AdminGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = viewer(ctx);
        viewer.user_id().map_err(|e| e.extend())?;
        if viewer.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden.extend())
        }
    }
}
