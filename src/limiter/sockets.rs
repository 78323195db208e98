//! Open WebSocket and SSE connections per user and per IP, counted by this instance. A connection
//! holds a `SocketGuard` for as long as it lives; dropping it gives its places back.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Open connections by key (`u:<id>`, `ip:<addr>`). A std mutex: held only to count.
#[derive(Default)]
pub(crate) struct Sockets {
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// A connection's places under its limits, given back on drop.
pub struct SocketGuard {
    open: Arc<Mutex<HashMap<String, usize>>>,
    keys: Vec<String>,
}

impl Sockets {
    /// Takes one place under each `(key, limit)`, or none if any is full.
    pub(crate) fn open(&self, limits: &[(String, usize)]) -> Option<SocketGuard> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let full = limits
            .iter()
            .any(|(key, limit)| open.get(key).copied().unwrap_or(0) >= *limit);
        if full {
            return None;
        }
        for (key, _) in limits {
            *open.entry(key.clone()).or_default() += 1;
        }
        Some(SocketGuard {
            open: self.open.clone(),
            keys: limits.iter().map(|(key, _)| key.clone()).collect(),
        })
    }

    /// A guard that holds no place (limits off).
    pub(crate) fn unlimited(&self) -> SocketGuard {
        SocketGuard {
            open: self.open.clone(),
            keys: Vec::new(),
        }
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_back_when_a_connection_ends() {
        let sockets = Sockets::default();
        let limits = [("u:1".to_owned(), 2), ("ip:x".to_owned(), 3)];
        let a = sockets.open(&limits).unwrap();
        let _b = sockets.open(&limits).unwrap();
        assert!(sockets.open(&limits).is_none());
        drop(a);
        assert!(sockets.open(&limits).is_some());
    }
}
