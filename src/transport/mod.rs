//! How GraphQL reaches the schema: HTTP (POST and GET), Server-Sent Events, and WebSocket with both
//! subscription protocols. Each transport resolves the caller's `Viewer` and hands the request over.
pub mod http;
pub mod ws;

use async_graphql::Variables;
use serde::Deserialize;

/// A GraphQL request as clients send it. Parsed leniently (`variables: null` is the same as none),
/// because every client library spells an empty request slightly differently.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct GraphQLBody {
    pub query: String,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<serde_json::Value>,
}

impl GraphQLBody {
    /// The request to execute for `viewer`, with this request's own DataLoaders attached.
    pub fn prepare(
        self,
        state: &crate::app::AppState,
        viewer: crate::auth::Viewer,
    ) -> async_graphql::Request {
        self.into_request()
            .data(viewer)
            .data(crate::loaders::Loaders::new(&state.db, &state.presence))
    }

    /// The `async_graphql::Request` for this body.
    pub fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name.filter(|n| !n.is_empty()) {
            request = request.operation_name(name);
        }
        if let Some(vars) = self.variables.filter(|v| !v.is_null()) {
            request = request.variables(Variables::from_json(vars));
        }
        request
    }
}
