//! Measures how many instructions this machine retires per CPU second, for
//! the cputime model's reference speed. The loop is written in assembly so
//! that its instruction count is known exactly without a hardware counter.

use std::arch::asm;

/// Instructions in one iteration of `spin`: eight adds, a decrement and a branch.
pub const INSTRUCTIONS_PER_ITERATION: u64 = 10;
const ITERATIONS_PER_ROUND: u64 = 1_000_000;

/// Runs `iterations` iterations of a loop of dependent register adds: one
/// cycle of latency each, as ordinary code that waits on its previous result.
/// (Adds of an immediate would not do: recent cores fold chains of them at
/// renaming, several per cycle.)
fn spin(iterations: u64) {
  let remaining = iterations;
  let mut value: u64 = 0;
  // SAFETY: registers only, no memory or stack access.
  unsafe {
    asm!(
      "2:",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "add {value}, {step}",
      "dec {remaining}",
      "jnz 2b",
      remaining = inout(reg) remaining => _,
      value = inout(reg) value,
      step = in(reg) 3u64,
      options(nomem, nostack),
    );
  }
  std::hint::black_box(value);
}

fn thread_cpu_seconds() -> f64 {
  let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  // SAFETY: a valid clock id and a timespec to fill.
  unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
  now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

/// Runs the loop for about `seconds` of this thread's CPU time; returns the
/// instructions it retired and the CPU seconds it took.
pub fn instruction_rate(seconds: f64) -> (f64, f64) {
  let start = thread_cpu_seconds();
  let mut iterations = 0u64;
  while thread_cpu_seconds() - start < seconds {
    spin(ITERATIONS_PER_ROUND);
    iterations += ITERATIONS_PER_ROUND;
  }
  ((iterations * INSTRUCTIONS_PER_ITERATION) as f64, thread_cpu_seconds() - start)
}

/// Counts, with the hardware counter, the instructions `iterations` of the loop retire.
pub fn counted_instructions(iterations: u64) -> crate::errors::Result<f64> {
  let tid = unsafe { libc::gettid() };
  let counter = crate::counters::open_instruction_counter(tid)?;
  let before = crate::counters::read_counter(counter)?;
  spin(iterations);
  let after = crate::counters::read_counter(counter)?;
  crate::counters::close_counter(counter)?;
  Ok((after - before) as f64)
}
