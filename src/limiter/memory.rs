//! The limiter's store for one process: the cells in a map, on a monotonic clock.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::gcra::{self, Cell, Step, Verdict};

/// Cells by key. A std mutex: held only for the arithmetic, never across an await.
pub(crate) struct MemoryStore {
    started: Instant,
    cells: Mutex<HashMap<String, Cell>>,
    /// The map's size that triggers the next sweep.
    sweep_above: Mutex<usize>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            started: Instant::now(),
            cells: Mutex::default(),
            sweep_above: Mutex::new(SWEEP_ABOVE),
        }
    }
}

/// Past this many keys (at least), a check first forgets the ones that read as new again.
const SWEEP_ABOVE: usize = 10_000;

impl MemoryStore {
    /// Checks every step at once: all are applied if all pass; otherwise only lockouts are.
    pub(crate) fn check(&self, steps: &[(String, Step)]) -> Verdict {
        let now = self.started.elapsed().as_secs_f64() * 1000.0;
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        // Swept when the map has doubled since the last sweep, so that a server with many live
        // keys does not scan them all on every check.
        let mut sweep_above = self.sweep_above.lock().unwrap_or_else(|e| e.into_inner());
        if cells.len() > *sweep_above {
            cells.retain(|_, cell| gcra::keep_for(*cell, now) > 0.0);
            *sweep_above = (cells.len() * 2).max(SWEEP_ABOVE);
        }
        drop(sweep_above);
        let evaluated: Vec<(Verdict, Cell, Cell)> = steps
            .iter()
            .map(|(key, step)| {
                let before = cells
                    .get(key)
                    .copied()
                    .filter(|c| gcra::keep_for(*c, now) > 0.0)
                    .unwrap_or_default();
                let (verdict, after) = gcra::evaluate(before, *step, now);
                (verdict, before, after)
            })
            .collect();
        let verdicts: Vec<Verdict> = evaluated.iter().map(|(v, ..)| *v).collect();
        let verdict = gcra::combine(&verdicts);
        for ((key, step), (_, before, after)) in steps.iter().zip(evaluated) {
            if verdict.allowed {
                cells.insert(key.clone(), after);
            } else if step.lockout {
                // Refused as a whole: a lockout this check tripped is kept, but nothing is taken
                // from the key's bucket (another key's refusal must not spend this one's units).
                cells.insert(
                    key.clone(),
                    Cell {
                        tat: before.tat,
                        ..after
                    },
                );
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(key: &str, burst: f64, lockout: bool) -> (String, Step) {
        let step = Step {
            interval: 60_000.0,
            burst,
            cost: 1.0,
            lockout,
        };
        (key.to_owned(), step)
    }

    #[test]
    fn a_refusal_by_one_key_takes_nothing_from_the_others() {
        let store = MemoryStore::default();
        let (ip, account) = (step("ip", 1.0, false), step("account", 2.0, true));
        assert!(store.check(&[ip.clone(), account.clone()]).allowed);
        // The address is spent: its attempts at this account are refused, and cost it nothing.
        for _ in 0..5 {
            assert!(!store.check(&[ip.clone(), account.clone()]).allowed);
        }
        assert!(store.check(std::slice::from_ref(&account)).allowed);
    }
}
