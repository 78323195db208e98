//! Field guards. Row-level checks ("is this my order") are service functions, not guards.
use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::Viewer;
use crate::error::Error;

/// Lets the field run only for a signed-in user.
pub struct SignedInGuard;

impl Guard for SignedInGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
        viewer.user_id().map(|_| ()).map_err(|e| e.extend())
    }
}

/// Lets the field run only for a signed-in admin: UNAUTHENTICATED without a user, FORBIDDEN for others.
pub struct AdminGuard;

impl Guard for AdminGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
        viewer.user_id().map_err(|e| e.extend())?;
        if viewer.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden.extend())
        }
    }
}
