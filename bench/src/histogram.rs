//! A small log-linear latency histogram (in microseconds), in the spirit of HdrHistogram.
//!
//! Every socket task keeps its own histogram so that a million deliveries a second do not
//! contend on shared counters; the histograms are merged once at the end. Values below 128 µs
//! are exact; above, each power of two is split into 64 buckets, so a percentile is off by at
//! most ~1.6%. That is finer than the noise of a loopback benchmark and keeps one histogram
//! at a few KiB, which matters with a thousand of them.

/// Exact buckets below this value; also the first log-linear bucket's lower bound.
const LINEAR: u64 = 128;
/// Buckets per power of two above [`LINEAR`].
const SUB: u64 = 64;
/// Values at or above 2^MAX_BITS µs (~2.3 min) land in the last bucket; the exact max is
/// kept separately.
const MAX_BITS: u32 = 27;
const BUCKETS: usize = (LINEAR + (MAX_BITS as u64 - 7) * SUB) as usize;

/// Counts of values by bucket, plus the exact maximum.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u32>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

fn index(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let top_bit = 63 - value.leading_zeros();
    let shift = top_bit - 6;
    // The top seven bits, 64..=127: the position inside this power of two.
    let mantissa = value >> shift;
    let index = LINEAR + u64::from(shift - 1) * SUB + (mantissa - SUB);
    (index as usize).min(BUCKETS - 1)
}

fn lower_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index;
    }
    let shift = (index - LINEAR) / SUB + 1;
    let mantissa = (index - LINEAR) % SUB + SUB;
    mantissa << shift
}

impl Histogram {
    /// Records one value (µs).
    pub fn record(&mut self, value: u64) {
        let slot = &mut self.counts[index(value)];
        *slot = slot.saturating_add(1);
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds another histogram's counts to this one.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The largest value recorded (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1): the upper end of the bucket holding it, capped at
    /// the exact maximum, so the estimate errs on the slow side.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, count) in self.counts.iter().enumerate() {
            seen += u64::from(*count);
            if seen >= rank {
                let upper = lower_bound(i + 1).saturating_sub(1);
                return upper.min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        for i in 0..BUCKETS - 1 {
            assert_eq!(index(lower_bound(i)), i);
            assert_eq!(index(lower_bound(i + 1) - 1), i);
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for v in 1..=1000 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), 503); // 500 is in bucket [500, 503]
        assert_eq!(h.quantile(1.0), 1000);
        assert_eq!(h.max(), 1000);
        let mut other = Histogram::default();
        other.record(5000);
        h.merge(&other);
        assert_eq!(h.total, 1001);
        assert_eq!(h.max(), 5000);
    }
}
