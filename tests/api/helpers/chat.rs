//! Users who share a conversation: the set-up most chat tests start from.
use serde_json::json;

use super::{TestApp, data};

/// A signed-up user, as a chat test acts (`token`) and names them (`id`).
#[derive(Debug)]
pub struct Member {
    pub token: String,
    pub id: String,
}

/// A conversation and its members, in the order they were named; the first one started it.
pub struct Conversation<const N: usize> {
    pub id: String,
    pub members: [Member; N],
}

impl TestApp {
    /// Signs up one user per name; the first starts a conversation with all the others (direct
    /// for two names, a group for more). Reads best destructured:
    /// `let Conversation { id, members: [ann, bob] } = app.conversation_between(["Ann", "Bob"]).await;`
    pub async fn conversation_between<const N: usize>(&self, names: [&str; N]) -> Conversation<N> {
        assert!(N >= 2, "a conversation needs two members or more");
        let mut members = Vec::with_capacity(N);
        for name in names {
            let (token, id, _) = self.sign_up(name).await;
            members.push(Member { token, id });
        }
        let others: Vec<&str> = members[1..].iter().map(|m| m.id.as_str()).collect();
        let id = self.start_conversation(&members[0].token, &others).await;
        Conversation {
            id,
            members: members.try_into().expect("one member per name"),
        }
    }

    /// Starts a conversation as `token` with the users `others`; returns its id. With one other
    /// user it is the pair's direct conversation, the same one every time.
    pub async fn start_conversation(&self, token: &str, others: &[&str]) -> String {
        let body = self
            .gql_as(
                Some(token),
                "mutation($m: [ID!]!) { createConversation(input: {memberIds: $m}) { id } }",
                json!({ "m": others }),
            )
            .await;
        data(&body, "createConversation")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
