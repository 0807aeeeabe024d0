//! sel4bench-style summary of one benchmark's samples.

use core::fmt;

pub struct Summary {
    pub min: u64,
    pub median: u64,
    pub mean: f64,
    pub max: u64,
    pub stddev: f64,
    pub runs: usize,
}

impl Summary {
    /// Sorts `samples` in place and summarises them.
    pub fn of(samples: &mut [u64]) -> Summary {
        samples.sort_unstable();
        let n = samples.len().max(1) as f64;
        let mean = samples.iter().map(|&s| s as f64).sum::<f64>() / n;
        let var = samples.iter().map(|&s| (s as f64 - mean) * (s as f64 - mean)).sum::<f64>() / n;
        Summary {
            min: samples.first().copied().unwrap_or(0),
            median: samples.get(samples.len() / 2).copied().unwrap_or(0),
            mean,
            max: samples.last().copied().unwrap_or(0),
            stddev: sqrt(var),
            runs: samples.len(),
        }
    }
}

/// Square root by Newton's method (no libm in `no_std`).
fn sqrt(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut r = x;
    for _ in 0..64 {
        r = 0.5 * (r + x / r);
    }
    r
}

impl fmt::Display for Summary {
    /// One JSON object; the host turns these lines into the table and results.json.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"min\":{},\"median\":{},\"mean\":{:.1},\"max\":{},\"stddev\":{:.1},\"runs\":{}",
            self.min, self.median, self.mean, self.max, self.stddev, self.runs
        )
    }
}
