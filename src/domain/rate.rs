//! A rate as the configuration spells it, `<count>/<seconds>`: at most `count` units (requests,
//! attempts, cost points, bytes) per `seconds`, with a burst of `count`. The limiter turns it into
//! a bucket of `count` that refills at `count / seconds` units a second.
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// `count` units per `per`, in a burst of up to `count`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Rate {
    /// The bucket's size: the most units that may go at once.
    pub count: u64,
    /// The time the bucket takes to refill from empty.
    pub per: Duration,
}

impl Rate {
    /// `count` units per `seconds`.
    pub const fn per_seconds(count: u64, seconds: u64) -> Self {
        Rate {
            count,
            per: Duration::from_secs(seconds),
        }
    }

    /// Units restored per second.
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.per.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not <count>/<seconds> (e.g. 20/1)");
        let (count, seconds) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        let seconds: f64 = seconds.trim().parse().map_err(|_| bad())?;
        if count == 0 || !(seconds > 0.0 && seconds.is_finite()) {
            return Err(bad());
        }
        Ok(Rate {
            count,
            per: Duration::from_secs_f64(seconds),
        })
    }
}

/// The query-cost budget as the configuration spells it, `<size>/<points restored per second>`
/// (the contract's `FOLIO_COST_BUDGET=2000/100`, Shopify's leaky bucket): unlike the other rates,
/// its second number is a refill speed, not a window.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct CostBudget(pub Rate);

impl CostBudget {
    /// A bucket of `size` points that restores `per_second` points a second.
    pub fn new(size: u64, per_second: u64) -> Self {
        CostBudget(Rate {
            count: size,
            per: Duration::from_secs_f64(size as f64 / per_second.max(1) as f64),
        })
    }
}

impl FromStr for CostBudget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not <size>/<points per second> (e.g. 2000/100)");
        let (size, restore) = s.trim().split_once('/').ok_or_else(bad)?;
        let size: u64 = size.trim().parse().map_err(|_| bad())?;
        let restore: u64 = restore.trim().parse().map_err(|_| bad())?;
        if size == 0 || restore == 0 {
            return Err(bad());
        }
        Ok(CostBudget::new(size, restore))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.per.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_reads_as_count_over_seconds() {
        let rate: Rate = "2000/100".parse().unwrap();
        assert_eq!(rate, Rate::per_seconds(2000, 100));
        assert_eq!(rate.per_second(), 20.0);
        let short: Rate = "3/0.5".parse().unwrap();
        assert_eq!(short.per, Duration::from_millis(500));
        for bad in ["", "20", "0/1", "20/0", "a/1", "20/-1"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }
}
