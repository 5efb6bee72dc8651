//! The time-stamp counter, which simterpose's vDSO reads (rdtsc) to know how
//! long its thread has run since the mediator wrote its page: the mediator
//! writes there the reading past which a clock read must trap.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the counter's rate is measured over, once per run.
const CALIBRATION: Duration = Duration::from_millis(2);

fn read() -> u64 {
  // SAFETY: rdtsc has no preconditions on x86_64; simterpose never disables it (PR_SET_TSC).
  unsafe { core::arch::x86_64::_rdtsc() }
}

/// Counter ticks per nanosecond, measured against the monotonic clock while this thread sleeps.
fn ticks_per_ns() -> f64 {
  static RATE: OnceLock<f64> = OnceLock::new();
  *RATE.get_or_init(|| {
    let (start, ticks) = (Instant::now(), read());
    std::thread::sleep(CALIBRATION);
    let (elapsed, end) = (start.elapsed(), read());
    end.wrapping_sub(ticks) as f64 / elapsed.as_nanos() as f64
  })
}

/// The counter's reading `ns` nanoseconds from now.
pub fn after_ns(ns: f64) -> f64 {
  read() as f64 + ns.max(0.0) * ticks_per_ns()
}
