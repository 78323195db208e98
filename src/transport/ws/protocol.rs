//! The messages of the two subprotocols: what a client may send, the close codes, and where a
//! client puts its token.
use axum::extract::ws::{CloseFrame, Message};
use serde::Deserialize;
use serde_json::Value;

use crate::transport::GraphQLBody;

/// The two subprotocols spoken on `/graphql`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `graphql-transport-ws`, the current one.
    TransportWs,
    /// `graphql-ws`, the legacy subscriptions-transport-ws.
    LegacyWs,
}

impl Protocol {
    pub(super) fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        }
    }
}

/// Close codes of graphql-transport-ws (also used for the legacy protocol).
pub(super) mod close {
    pub(crate) const GOING_AWAY: u16 = 1001;
    pub(crate) const TRY_AGAIN_LATER: u16 = 1013;
    pub(crate) const BAD_REQUEST: u16 = 4400;
    pub(crate) const UNAUTHORIZED: u16 = 4401;
    pub(crate) const FORBIDDEN: u16 = 4403;
    pub(crate) const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub(crate) const INIT_TIMEOUT: u16 = 4408;
    pub(crate) const DUPLICATE_SUBSCRIBER: u16 = 4409;
    pub(crate) const TOO_MANY_INITS: u16 = 4429;
}

/// A close frame with `code` and `reason`.
pub(super) fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// What a client may send, in either protocol.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    /// graphql-transport-ws.
    Subscribe { id: String, payload: GraphQLBody },
    /// graphql-transport-ws.
    Complete { id: String },
    /// graphql-ws (legacy).
    Start { id: String, payload: GraphQLBody },
    /// graphql-ws (legacy).
    Stop { id: String },
    /// graphql-ws (legacy).
    ConnectionTerminate,
}

/// The `authorization` entry of a `connection_init` payload, whatever the case of its key.
pub(super) fn authorization_from_payload(payload: Option<&Value>) -> Option<String> {
    let object = payload?.as_object()?;
    let find = |obj: &serde_json::Map<String, Value>| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
    };
    // Some clients nest it under `headers`, as they would send it over HTTP.
    find(object).or_else(|| {
        object
            .get("headers")
            .and_then(Value::as_object)
            .and_then(find)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_token_is_found_whatever_the_case_of_its_key() {
        for key in ["authorization", "Authorization", "AUTHORIZATION"] {
            let payload = json!({ key: "Bearer abc" });
            assert_eq!(
                authorization_from_payload(Some(&payload)).as_deref(),
                Some("Bearer abc")
            );
        }
        let nested = json!({"headers": {"Authorization": "Bearer xyz"}});
        assert_eq!(
            authorization_from_payload(Some(&nested)).as_deref(),
            Some("Bearer xyz")
        );
        assert_eq!(authorization_from_payload(Some(&json!({}))), None);
        assert_eq!(authorization_from_payload(None), None);
    }
}
