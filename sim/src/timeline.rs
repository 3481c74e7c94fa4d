//! When generated records were last changed: stamps spread over the history, with the
//! bulk-import clusters (runs of records sharing one `UpdatedDateUTC` second) a sync must cope
//! with. Every generator of the data set draws its stamps here.

use rand::Rng;
use rand::rngs::SmallRng;

/// Size of the guaranteed bulk-import cluster for entities of at least this many records.
const BIG_CLUSTER_FROM: usize = 3_000;

/// `n` non-decreasing stamps in `[start, end)`, with bulk-import clusters (runs sharing one
/// second). Stamps spread evenly on average so the data covers the whole history. `bulk`
/// overrides the size of the largest cluster (0: about 1,050 + n / 40 from 3,000 records on).
pub fn timeline(rng: &mut SmallRng, n: usize, start: i64, end: i64, bulk: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    let big = if bulk > 0 {
        Some((n / 10, bulk.min(n)))
    } else {
        (n >= BIG_CLUSTER_FROM).then(|| (n / 10, (1_050 + n / 40).min(n / 2)))
    };
    let avg = ((end - start) as f64 * 0.9 / n.max(1) as f64).max(1.0);
    let mut t = start as f64;
    while out.len() < n {
        let i = out.len();
        let size = match big {
            Some((at, size)) if i == at => size,
            _ if rng.random_ratio(1, 250) => rng.random_range(5..=60),
            _ => 1,
        }
        .min(n - i);
        if size == 1 {
            t += rng.random::<f64>() * 2.0 * avg;
            out.push(t as i64);
            continue;
        }
        let second = (t as i64).div_euclid(1000) * 1000 + 1000;
        let mut parts: Vec<i64> = (0..size).map(|_| rng.random_range(0..1000)).collect();
        parts.sort_unstable();
        out.extend(parts.iter().map(|ms| second + ms));
        t = ((second + 1000) as f64).max(t + avg * size as f64);
    }
    out
}

/// One stamp drawn uniformly from `[start, end)`; `start` itself when the period is empty
/// (one draw either way, so the stream moves on the same).
pub fn moment(rng: &mut SmallRng, start: i64, end: i64) -> i64 {
    start + rng.random_range(0..(end - start).max(1))
}
