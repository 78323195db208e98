//! The latencies of one run and the Markdown table row every load program prints from them.
use std::time::Duration;

/// Latencies of one run, in microseconds.
#[derive(Default)]
pub struct Samples {
    pub latencies_us: Vec<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Samples {
    /// Merges another client's samples into these.
    pub fn merge(&mut self, other: Samples) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// Records one request sent at `sent`: its latency, or its error.
    pub fn record<T, E: std::fmt::Display>(
        &mut self,
        sent: std::time::Instant,
        outcome: &Result<T, E>,
    ) {
        match outcome {
            Ok(_) => self.latencies_us.push(sent.elapsed().as_micros() as u64),
            Err(err) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| err.to_string());
            }
        }
    }

    /// The samples of every client task of a run that started at `started`.
    pub async fn gather(
        started: std::time::Instant,
        tasks: Vec<tokio::task::JoinHandle<Samples>>,
    ) -> Samples {
        let mut all = Samples::default();
        for task in tasks {
            if let Ok(samples) = task.await {
                all.merge(samples);
            }
        }
        all.elapsed = started.elapsed();
        all
    }

    fn percentile(sorted: &[u64], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    }

    /// One Markdown table row: name, clients, requests, errors, req/s, p50 ms, p99 ms.
    pub fn row(&mut self, name: &str, clients: usize) -> String {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        let rate = n as f64 / self.elapsed.as_secs_f64().max(1e-9);
        format!(
            "| {name} | {clients} | {n} | {} | {rate:.0} | {:.2} | {:.2} |",
            self.errors,
            Self::percentile(&self.latencies_us, 50.0),
            Self::percentile(&self.latencies_us, 99.0),
        )
    }
}

/// The header of the rows `Samples::row` prints.
pub const TABLE_HEADER: &str = "| scenario | clients | requests | errors | req/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- | --- |";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_read_from_the_sorted_samples() {
        let mut samples = Samples {
            latencies_us: (1..=100).map(|ms| ms * 1000).collect(),
            elapsed: Duration::from_secs(1),
            ..Default::default()
        };
        let row = samples.row("x", 1);
        assert_eq!(row, "| x | 1 | 100 | 0 | 100 | 50.00 | 99.00 |");
    }
}
