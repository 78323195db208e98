//! The named limits, each a check the resolver makes around its one service call. Attempts are
//! counted before the call and given back when they turn out not to count (a sign-in that
//! succeeds, a sign-up that creates nothing), so that parallel requests cannot slip past a limit
//! between a look and a count.
use super::{Check, Decision, Limiter, ip_key};
use crate::domain::client::ClientIp;
use crate::error::Result;

impl Limiter {
    /// The query-cost budget of the caller under `key` (`caller_key`): `cost` points, at most
    /// the whole bucket (so that anything the complexity limit lets through can run on a full one).
    pub(crate) async fn charge_cost(&self, key: &str, cost: u64) -> Decision {
        let rate = self.limits.cost_budget;
        let cost = cost.clamp(1, rate.count) as f64;
        self.check(&[Check::new(format!("cost:{key}"), rate, cost)])
            .await
    }

    fn sign_in_checks(&self, email: &str, ip: Option<ClientIp>, cost: f64) -> Vec<Check> {
        let account = email.trim().to_lowercase();
        let mut checks = vec![Check {
            lockout: true,
            ..Check::new(
                format!("signin:acct:{account}"),
                self.limits.signin_per_account,
                cost,
            )
        }];
        if let Some(ClientIp(ip)) = ip {
            let key = format!("signin:{}", ip_key(ip));
            checks.push(Check::new(key, self.limits.signin_per_ip, cost));
        }
        checks
    }

    /// Counts a sign-in attempt for the account and the address, before the password is checked:
    /// RATE_LIMITED once either has failed too often (the account then locks out, longer each
    /// time). Give it back with `sign_in_succeeded`: only failures count.
    pub(crate) async fn sign_in_attempt(&self, email: &str, ip: Option<ClientIp>) -> Result<()> {
        self.check(&self.sign_in_checks(email, ip, 1.0))
            .await
            .into_result()
    }

    /// The attempt succeeded: it does not count.
    pub(crate) async fn sign_in_succeeded(&self, email: &str, ip: Option<ClientIp>) {
        self.check(&self.sign_in_checks(email, ip, -1.0)).await;
    }

    fn sign_up_check(&self, ip: Option<ClientIp>, cost: f64) -> Vec<Check> {
        ip.map(|ClientIp(ip)| {
            let key = format!("signup:{}", ip_key(ip));
            Check::new(key, self.limits.signup_per_ip, cost)
        })
        .into_iter()
        .collect()
    }

    /// Counts an account about to be created from `ip`: RATE_LIMITED when it has created too many.
    /// Give it back with `sign_up_failed` when nothing was created.
    pub(crate) async fn sign_up_attempt(&self, ip: Option<ClientIp>) -> Result<()> {
        self.check(&self.sign_up_check(ip, 1.0)).await.into_result()
    }

    /// The sign-up created nothing: it does not count.
    pub(crate) async fn sign_up_failed(&self, ip: Option<ClientIp>) {
        self.check(&self.sign_up_check(ip, -1.0)).await;
    }

    /// Counts a message of `bytes` bytes sent by `user`, against both the message count and the
    /// bytes of message bodies: RATE_LIMITED when either is spent (and then neither is counted).
    pub(crate) async fn send_message(&self, user: i64, bytes: usize) -> Result<()> {
        let per_bytes = self.limits.message_bytes_per_user;
        let bytes = (bytes as u64).clamp(1, per_bytes.count) as f64;
        self.check(&[
            Check::new(
                format!("messages:u:{user}"),
                self.limits.messages_per_user,
                1.0,
            ),
            Check::new(format!("message-bytes:u:{user}"), per_bytes, bytes),
        ])
        .await
        .into_result()
    }
}
