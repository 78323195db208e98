//! What a field reaches through its context: the process's state (attached to the schema), the
//! viewer and the loaders (attached to each request by the transport). A missing one is a bug of
//! Folio's, not the client's: its error carries no code, and `ErrorCodes` turns it into
//! INTERNAL_SERVER_ERROR.
use async_graphql::{Context, Result};

use crate::auth::{SocketIdentity, TokenSession};
use crate::domain::client::ClientIp;
use crate::domain::viewer::Viewer;
use crate::loaders::Loaders;
use crate::state::AppState;

/// The process-wide state the schema was built with.
pub(crate) fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>()
}

/// Who is asking (anonymous when the transport attached nobody).
pub(crate) fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().cloned().unwrap_or_default()
}

/// The session of the viewer's token, when signed in.
pub(crate) fn session(ctx: &Context<'_>) -> Option<TokenSession> {
    ctx.data_opt::<TokenSession>().copied()
}

/// The WebSocket connection the operation runs on, if it runs on one.
pub(crate) fn socket_identity<'a>(ctx: &Context<'a>) -> Option<&'a SocketIdentity> {
    ctx.data_opt::<SocketIdentity>()
}

/// This request's loaders.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// The caller's address (attached by the transport; none when a test executes the schema itself).
pub(crate) fn client_ip(ctx: &Context<'_>) -> Option<ClientIp> {
    ctx.data_opt::<ClientIp>().copied()
}
