//! The generic cell rate algorithm, as pure arithmetic on milliseconds, shared by the in-process
//! store and (line for line, in Lua) by the Redis script. A key keeps one number, its theoretical
//! arrival time (`tat`): when its bucket would be full again. A check of `cost` units moves it
//! `cost × interval` later, and is allowed while that stays within `burst × interval` of now. So
//! the bucket holds `burst` units and refills one per `interval`, continuously: Shopify's leaky
//! bucket, with nothing to sweep and nothing that resets all at once at a window's edge.
//!
//! A key may also lock out: when it is refused while not locked, it locks for `interval × 2^(n-1)`
//! on its n-th trip (at most a day), so that hammering a locked account buys ever longer waits.
//! The trips are forgotten once the key's bucket is full again and its lock over.

/// The longest lockout, in milliseconds.
pub(crate) const MAX_LOCK_MS: f64 = 86_400_000.0;

/// What is stored per key.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub(crate) struct Cell {
    /// Theoretical arrival time: when the bucket is full again (ms on the store's clock).
    pub(crate) tat: f64,
    /// Until when the key is locked out (ms), 0 when never.
    pub(crate) locked_until: f64,
    /// How many times the key has locked since it was last full.
    pub(crate) trips: u32,
}

/// One check against one key.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Step {
    /// Milliseconds to restore one unit.
    pub(crate) interval: f64,
    /// The bucket's size, in units.
    pub(crate) burst: f64,
    /// Units taken; negative gives them back (a refund never exceeds a full bucket).
    pub(crate) cost: f64,
    /// Whether a refusal locks the key out.
    pub(crate) lockout: bool,
}

/// The outcome of one step (or of all the steps of one check, combined).
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) allowed: bool,
    /// When refused: milliseconds until the same check would pass.
    pub(crate) retry_after: f64,
    /// Units left in the bucket after this check.
    pub(crate) remaining: f64,
    /// Milliseconds until the bucket is full again.
    pub(crate) reset_after: f64,
}

/// Evaluates `step` on `cell` at `now`, returning the verdict and the cell to store if it is
/// applied (a refusal changes nothing but a lockout).
pub(crate) fn evaluate(cell: Cell, step: Step, now: f64) -> (Verdict, Cell) {
    let capacity = step.burst * step.interval;
    let tat = cell.tat.max(now);
    let remaining_at = |tat: f64| ((capacity - (tat - now)) / step.interval).max(0.0);
    if cell.locked_until > now {
        let verdict = Verdict {
            allowed: false,
            retry_after: cell.locked_until - now,
            remaining: 0.0,
            reset_after: (tat - now).max(cell.locked_until - now),
        };
        return (verdict, cell);
    }
    let new_tat = (tat + step.cost * step.interval).max(now);
    let allow_at = new_tat - capacity;
    // A hair of slack, so that float rounding never refuses a check that exactly fits.
    if allow_at <= now + 1e-6 || step.cost <= 0.0 {
        let verdict = Verdict {
            allowed: true,
            retry_after: 0.0,
            remaining: remaining_at(new_tat),
            reset_after: new_tat - now,
        };
        let trips = if new_tat <= now { 0 } else { cell.trips };
        return (
            verdict,
            Cell {
                tat: new_tat,
                locked_until: cell.locked_until,
                trips,
            },
        );
    }
    let mut verdict = Verdict {
        allowed: false,
        retry_after: allow_at - now,
        remaining: remaining_at(tat),
        reset_after: tat - now,
    };
    let mut cell = cell;
    if step.lockout {
        cell.trips += 1;
        let lock = (step.interval * 2f64.powi(cell.trips as i32 - 1)).min(MAX_LOCK_MS);
        cell.locked_until = now + lock;
        verdict.retry_after = verdict.retry_after.max(lock);
    }
    (verdict, cell)
}

/// How long a key must be kept for `cell` to matter (ms): until its bucket is full and its lock
/// over; afterwards it reads the same as a missing key.
pub(crate) fn keep_for(cell: Cell, now: f64) -> f64 {
    (cell.tat - now).max(cell.locked_until - now).max(0.0)
}

/// Combines the verdicts of several steps checked together: allowed when all are; the longest
/// wait; the first step's bucket (the one a caller reports).
pub(crate) fn combine(verdicts: &[Verdict]) -> Verdict {
    let mut all = verdicts.first().copied().unwrap_or(Verdict {
        allowed: true,
        retry_after: 0.0,
        remaining: 0.0,
        reset_after: 0.0,
    });
    for v in verdicts.iter().skip(1) {
        all.allowed &= v.allowed;
        all.retry_after = all.retry_after.max(v.retry_after);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(cost: f64) -> Step {
        // 10 units per second: one every 100 ms, a burst of 10.
        Step {
            interval: 100.0,
            burst: 10.0,
            cost,
            lockout: false,
        }
    }

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_refuses() {
        let mut cell = Cell::default();
        for n in 0..10 {
            let (v, next) = evaluate(cell, step(1.0), 1000.0);
            assert!(v.allowed, "check {n}");
            assert_eq!(v.remaining, 9.0 - n as f64);
            cell = next;
        }
        let (v, after) = evaluate(cell, step(1.0), 1000.0);
        assert!(!v.allowed);
        assert_eq!(v.retry_after, 100.0);
        assert_eq!(after, cell, "a refusal changes nothing");
    }

    #[test]
    fn the_bucket_refills_continuously() {
        let (_, cell) = evaluate(Cell::default(), step(10.0), 0.0);
        assert!(!evaluate(cell, step(1.0), 50.0).0.allowed);
        let (v, _) = evaluate(cell, step(3.0), 300.0);
        assert!(v.allowed);
        assert_eq!(v.remaining, 0.0);
        let (v, _) = evaluate(cell, step(1.0), 5000.0);
        assert_eq!(v.remaining, 9.0, "never more than the burst");
    }

    #[test]
    fn a_cost_larger_than_what_is_left_waits_for_exactly_the_difference() {
        let (_, cell) = evaluate(Cell::default(), step(8.0), 0.0);
        let (v, _) = evaluate(cell, step(5.0), 0.0);
        assert!(!v.allowed);
        assert_eq!(v.retry_after, 300.0);
        assert_eq!(v.remaining, 2.0);
    }

    #[test]
    fn a_refund_gives_units_back_but_never_beyond_full() {
        let (_, cell) = evaluate(Cell::default(), step(3.0), 0.0);
        let (v, cell) = evaluate(cell, step(-1.0), 0.0);
        assert!(v.allowed);
        assert_eq!(v.remaining, 8.0);
        let (v, _) = evaluate(cell, step(-50.0), 0.0);
        assert_eq!(v.remaining, 10.0);
    }

    #[test]
    fn a_lockout_doubles_each_time_it_trips_and_waits_are_not_doubled_while_locked() {
        let locking = Step {
            lockout: true,
            ..step(1.0)
        };
        let (_, mut cell) = evaluate(
            Cell::default(),
            Step {
                cost: 10.0,
                ..locking
            },
            0.0,
        );
        let (v, next) = evaluate(cell, locking, 0.0);
        assert!(!v.allowed);
        assert_eq!((next.trips, v.retry_after), (1, 100.0));
        cell = next;
        // Refused while locked: the lock stays as it was.
        let (v, same) = evaluate(cell, locking, 50.0);
        assert_eq!((v.retry_after, same), (50.0, cell));
        // After it: one unit came back, it goes, and the next refusal locks for twice as long.
        let (v, next) = evaluate(cell, locking, 100.0);
        assert!(v.allowed);
        let (v, next) = evaluate(next, locking, 100.0);
        assert_eq!((next.trips, v.retry_after), (2, 200.0));
        let (_, fourth) = evaluate(Cell { trips: 40, ..next }, locking, 300.0);
        assert!(fourth.locked_until - 300.0 <= MAX_LOCK_MS);
    }

    #[test]
    fn combined_checks_pass_only_together() {
        let ok = evaluate(Cell::default(), step(1.0), 0.0).0;
        let (_, full) = evaluate(Cell::default(), step(10.0), 0.0);
        let refused = evaluate(full, step(1.0), 0.0).0;
        let both = combine(&[ok, refused]);
        assert!(!both.allowed);
        assert_eq!(both.remaining, 9.0);
        assert_eq!(both.retry_after, 100.0);
    }
}
