//! The limiter's store shared by every instance: one Lua script per check (sent once, then called
//! by its hash with EVALSHA), which reads, decides and writes every key of the check atomically on
//! Redis's own clock, so instances with skewed clocks still agree.
//!
//! A Redis that does not answer within `TIMEOUT` must not hold up requests: the check is made by
//! this instance's in-process store instead (the limits then hold per instance, looser by the
//! number of instances, rather than vanishing or refusing everyone), and Redis is left alone for
//! `BACK_OFF` before it is tried again, so that a dead Redis costs one timeout a second, not one per
//! request.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;

use super::gcra::{Step, Verdict};
use super::memory::MemoryStore;

/// How long a check waits for Redis.
pub(crate) const TIMEOUT: Duration = Duration::from_millis(150);
/// How long after a failure checks skip Redis.
const BACK_OFF: Duration = Duration::from_secs(1);

/// `gcra::evaluate` and `MemoryStore::check`, in Lua. KEYS: one hash per step (fields `tat`,
/// `lock`, `trips`). ARGV: per step `interval burst cost lockout`. Returns `allowed`, then the
/// combined `retry_after` (ms), the first step's `remaining` (thousandths) and `reset_after` (ms),
/// each rounded to integers, as Redis replies are.
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local allowed, retry = true, 0
local first_remaining, first_reset = 0, 0
local new = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[4 * i - 3])
  local burst = tonumber(ARGV[4 * i - 2])
  local cost = tonumber(ARGV[4 * i - 1])
  local lockout = ARGV[4 * i] == '1'
  local stored = redis.call('HMGET', key, 'tat', 'lock', 'trips')
  local tat = math.max(tonumber(stored[1]) or 0, now)
  local old_tat = tat
  local lock = tonumber(stored[2]) or 0
  local trips = tonumber(stored[3]) or 0
  local capacity = burst * interval
  local ok, wait, remaining, reset
  if lock > now then
    ok, wait, remaining, reset = false, lock - now, 0, math.max(tat - now, lock - now)
  else
    local new_tat = math.max(tat + cost * interval, now)
    local allow_at = new_tat - capacity
    if allow_at <= now + 1e-6 or cost <= 0 then
      ok, wait, remaining, reset = true, 0, math.max((capacity - (new_tat - now)) / interval, 0), new_tat - now
      if new_tat <= now then trips = 0 end
      tat = new_tat
    else
      ok, wait, remaining, reset = false, allow_at - now, math.max((capacity - (tat - now)) / interval, 0), tat - now
      if lockout then
        trips = trips + 1
        local span = math.min(interval * 2 ^ (trips - 1), 86400000)
        lock = now + span
        wait = math.max(wait, span)
      end
    end
  end
  if i == 1 then first_remaining, first_reset = remaining, reset end
  allowed = allowed and ok
  retry = math.max(retry, wait)
  new[i] = {tat, lock, trips, lockout, old_tat}
end
for i, key in ipairs(KEYS) do
  local cell = new[i]
  if allowed or cell[4] then
    -- Refused as a whole: keep a lockout this check tripped, but take nothing from the bucket.
    if not allowed then cell[1] = cell[5] end
    local keep = math.max(cell[1] - now, cell[2] - now)
    if keep > 0 then
      redis.call('HSET', key, 'tat', cell[1], 'lock', cell[2], 'trips', cell[3])
      redis.call('PEXPIRE', key, math.ceil(keep))
    else
      redis.call('DEL', key)
    end
  end
end
return {allowed and 1 or 0, math.ceil(retry), math.floor(first_remaining * 1000), math.ceil(first_reset)}
"#;

/// The shared store, with the in-process one to fall back on.
pub(crate) struct RedisStore {
    redis: redis::aio::ConnectionManager,
    prefix: String,
    script: Script,
    fallback: MemoryStore,
    started: Instant,
    /// Until when (ms since `started`) Redis is skipped after a failure.
    skip_until: AtomicU64,
}

impl RedisStore {
    pub(crate) async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        Ok(RedisStore {
            redis: redis::aio::ConnectionManager::new(client).await?,
            prefix: format!("{prefix}:limit:"),
            script: Script::new(SCRIPT),
            fallback: MemoryStore::default(),
            started: Instant::now(),
            skip_until: AtomicU64::new(0),
        })
    }

    pub(crate) async fn check(&self, steps: &[(String, Step)]) -> Verdict {
        let now = self.started.elapsed().as_millis() as u64;
        if self.skip_until.load(Ordering::Relaxed) > now {
            return self.fallback.check(steps);
        }
        let mut invocation = self.script.prepare_invoke();
        for (key, step) in steps {
            invocation.key(format!("{}{key}", self.prefix));
            invocation
                .arg(step.interval)
                .arg(step.burst)
                .arg(step.cost)
                .arg(u8::from(step.lockout));
        }
        let mut redis = self.redis.clone();
        let reply = tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut redis)).await;
        match reply {
            Ok(Ok((allowed, retry_after, remaining, reset_after))) => {
                let (allowed, retry_after, remaining, reset_after): (i64, i64, i64, i64) =
                    (allowed, retry_after, remaining, reset_after);
                Verdict {
                    allowed: allowed == 1,
                    retry_after: retry_after as f64,
                    remaining: remaining as f64 / 1000.0,
                    reset_after: reset_after as f64,
                }
            }
            failed => {
                let why = match failed {
                    Ok(Err(err)) => err.to_string(),
                    _ => format!("no answer within {TIMEOUT:?}"),
                };
                tracing::warn!(error = %why, "rate limits fall back to this instance's counts");
                metrics::counter!("folio_rate_limit_fallbacks_total").increment(1);
                let back_off = BACK_OFF.as_millis() as u64;
                self.skip_until.store(now + back_off, Ordering::Relaxed);
                self.fallback.check(steps)
            }
        }
    }
}
