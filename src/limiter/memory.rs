//! The limiter's store for one process: the cells in a map, on a monotonic clock.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::gcra::{self, Cell, Step, Verdict};

/// Cells by key. A std mutex: held only for the arithmetic, never across an await.
pub(crate) struct MemoryStore {
    started: Instant,
    cells: Mutex<HashMap<String, Cell>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            started: Instant::now(),
            cells: Mutex::default(),
        }
    }
}

/// Past this many keys, a check first forgets the ones that read as new again.
const SWEEP_ABOVE: usize = 10_000;

impl MemoryStore {
    /// Checks every step at once: all are applied if all pass; otherwise only lockouts are.
    pub(crate) fn check(&self, steps: &[(String, Step)]) -> Verdict {
        let now = self.started.elapsed().as_secs_f64() * 1000.0;
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if cells.len() > SWEEP_ABOVE {
            cells.retain(|_, cell| gcra::keep_for(*cell, now) > 0.0);
        }
        let evaluated: Vec<(Verdict, Cell)> = steps
            .iter()
            .map(|(key, step)| {
                let cell = cells
                    .get(key)
                    .copied()
                    .filter(|c| gcra::keep_for(*c, now) > 0.0)
                    .unwrap_or_default();
                gcra::evaluate(cell, *step, now)
            })
            .collect();
        let verdicts: Vec<Verdict> = evaluated.iter().map(|(v, _)| *v).collect();
        let verdict = gcra::combine(&verdicts);
        for ((key, step), (_, cell)) in steps.iter().zip(evaluated) {
            if verdict.allowed || step.lockout {
                cells.insert(key.clone(), cell);
            }
        }
        verdict
    }
}
