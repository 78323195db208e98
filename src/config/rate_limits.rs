//! The rate limits' settings: their defaults, and the flags and variables that change them.
use clap::Args;

use crate::domain::client::{Cidr, parse_cidrs};
use crate::domain::rate::{CostBudget, Rate};

/// The rate limits (README, "Rate limits and cost"). Rates are `<count>/<seconds>`: a bucket of
/// `count` refilled over `seconds`. Defaults a person using the playground or the demo never meets.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// `false` (`FOLIO_RATE_LIMITS=off`) lets everything through, for load tests.
    pub enabled: bool,
    /// Query-cost points per caller: a bucket of `count` refilled in `per` (Shopify's leaky bucket;
    /// configured as size / points restored per second).
    pub cost_budget: Rate,
    /// Failed sign-ins per account, then a lockout that doubles each time it trips again.
    pub signin_per_account: Rate,
    /// Failed sign-ins per client IP.
    pub signin_per_ip: Rate,
    /// Accounts created per client IP.
    pub signup_per_ip: Rate,
    /// Messages sent per user.
    pub messages_per_user: Rate,
    /// Bytes of message bodies sent per user.
    pub message_bytes_per_user: Rate,
    /// Open WebSocket + SSE connections per user, on one instance.
    pub sockets_per_user: usize,
    /// Open WebSocket + SSE connections per client IP, on one instance.
    pub sockets_per_ip: usize,
    /// Operations running at once on one WebSocket.
    pub subscriptions_per_socket: usize,
    /// Stored messages one `messageAdded(afterSeq:)` replays before going live.
    pub replay_per_subscription: u64,
    /// Peers whose `X-Forwarded-For` names the client (addresses or CIDR blocks).
    pub trusted_proxies: Vec<Cidr>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            cost_budget: CostBudget::new(2000, 100).0,
            signin_per_account: Rate::per_seconds(10, 900),
            signin_per_ip: Rate::per_seconds(100, 900),
            signup_per_ip: Rate::per_seconds(20, 3600),
            messages_per_user: Rate::per_seconds(20, 1),
            message_bytes_per_user: Rate::per_seconds(200_000, 60),
            sockets_per_user: 50,
            sockets_per_ip: 500,
            subscriptions_per_socket: 100,
            replay_per_subscription: 1000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Flags (and variables) of the rate limits; unset ones keep the defaults of `RateLimits`.
#[derive(Args, Clone, Debug, Default)]
pub struct RateLimitArgs {
    /// `off` turns every rate limit off (for load tests).
    #[arg(long, env = "FOLIO_RATE_LIMITS")]
    pub rate_limits: Option<String>,
    /// Query-cost bucket size / points restored per second, e.g. 2000/100.
    #[arg(long, env = "FOLIO_COST_BUDGET")]
    pub cost_budget: Option<CostBudget>,
    /// Failed sign-ins per account, <count>/<seconds>.
    #[arg(long, env = "FOLIO_LIMIT_SIGNIN_PER_ACCOUNT")]
    pub limit_signin_per_account: Option<Rate>,
    /// Failed sign-ins per client IP, <count>/<seconds>.
    #[arg(long, env = "FOLIO_LIMIT_SIGNIN_PER_IP")]
    pub limit_signin_per_ip: Option<Rate>,
    /// Accounts created per client IP, <count>/<seconds>.
    #[arg(long, env = "FOLIO_LIMIT_SIGNUP_PER_IP")]
    pub limit_signup_per_ip: Option<Rate>,
    /// Messages per user, <count>/<seconds>.
    #[arg(long, env = "FOLIO_LIMIT_MESSAGES_PER_USER")]
    pub limit_messages_per_user: Option<Rate>,
    /// Bytes of message bodies per user, <count>/<seconds>.
    #[arg(long, env = "FOLIO_LIMIT_MESSAGE_BYTES_PER_USER")]
    pub limit_message_bytes_per_user: Option<Rate>,
    /// Open WebSocket + SSE connections per user.
    #[arg(long, env = "FOLIO_LIMIT_SOCKETS_PER_USER")]
    pub limit_sockets_per_user: Option<usize>,
    /// Open WebSocket + SSE connections per client IP.
    #[arg(long, env = "FOLIO_LIMIT_SOCKETS_PER_IP")]
    pub limit_sockets_per_ip: Option<usize>,
    /// Operations running at once on one WebSocket.
    #[arg(long, env = "FOLIO_LIMIT_SUBSCRIPTIONS_PER_SOCKET")]
    pub limit_subscriptions_per_socket: Option<usize>,
    /// Stored messages one `messageAdded(afterSeq:)` may replay.
    #[arg(long, env = "FOLIO_LIMIT_REPLAY_PER_SUBSCRIPTION")]
    pub limit_replay_per_subscription: Option<u64>,
    /// Proxies whose X-Forwarded-For is believed: addresses or CIDR blocks, comma-separated.
    #[arg(long, env = "FOLIO_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
}

impl RateLimitArgs {
    pub(super) fn apply(self, limits: &mut RateLimits) -> anyhow::Result<()> {
        if let Some(switch) = self.rate_limits {
            limits.enabled = !matches!(
                switch.trim().to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            );
        }
        let rates = [
            (self.cost_budget.map(|b| b.0), &mut limits.cost_budget),
            (
                self.limit_signin_per_account,
                &mut limits.signin_per_account,
            ),
            (self.limit_signin_per_ip, &mut limits.signin_per_ip),
            (self.limit_signup_per_ip, &mut limits.signup_per_ip),
            (self.limit_messages_per_user, &mut limits.messages_per_user),
            (
                self.limit_message_bytes_per_user,
                &mut limits.message_bytes_per_user,
            ),
        ];
        for (given, slot) in rates {
            if let Some(rate) = given {
                *slot = rate;
            }
        }
        let counts = [
            (self.limit_sockets_per_user, &mut limits.sockets_per_user),
            (self.limit_sockets_per_ip, &mut limits.sockets_per_ip),
            (
                self.limit_subscriptions_per_socket,
                &mut limits.subscriptions_per_socket,
            ),
        ];
        for (given, slot) in counts {
            if let Some(n) = given {
                *slot = n;
            }
        }
        if let Some(n) = self.limit_replay_per_subscription {
            limits.replay_per_subscription = n;
        }
        if let Some(list) = self.trusted_proxies {
            limits.trusted_proxies = parse_cidrs(&list).map_err(|e| anyhow::anyhow!(e))?;
        }
        Ok(())
    }
}
