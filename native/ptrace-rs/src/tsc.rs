//! The time-stamp counter, which simterpose's vDSO reads (rdtsc) to know how
//! long its thread has run since the mediator wrote its page: the mediator
//! writes there the reading past which a clock read must trap.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The shortest stretch the counter's rate is measured over, once per run.
const CALIBRATION: Duration = Duration::from_millis(2);

/// Where the stretch starts: the monotonic clock and the counter read together.
static START: OnceLock<(Instant, u64)> = OnceLock::new();

fn read() -> u64 {
  // SAFETY: rdtsc has no preconditions on x86_64; simterpose never disables it (PR_SET_TSC).
  unsafe { core::arch::x86_64::_rdtsc() }
}

/// Opens the stretch the counter's rate is measured over. Called as the
/// addon loads: the first deadline comes after SimGrid has booted and a
/// program has started, so the stretch is long over by then and nobody
/// waits for it (it used to cost each run a 2 ms sleep); a longer stretch
/// also measures the rate closer.
pub fn start_calibration() {
  START.get_or_init(|| (Instant::now(), read()));
}

/// Counter ticks per nanosecond, measured against the monotonic clock since `start_calibration`, sleeping if that is not long enough yet.
fn ticks_per_ns() -> f64 {
  static RATE: OnceLock<f64> = OnceLock::new();
  *RATE.get_or_init(|| {
    let &(start, ticks) = START.get_or_init(|| (Instant::now(), read()));
    std::thread::sleep(CALIBRATION.saturating_sub(start.elapsed()));
    let (elapsed, end) = (start.elapsed(), read());
    end.wrapping_sub(ticks) as f64 / elapsed.as_nanos() as f64
  })
}

/// The counter's reading `ns` nanoseconds from now.
pub fn after_ns(ns: f64) -> f64 {
  read() as f64 + ns.max(0.0) * ticks_per_ns()
}
