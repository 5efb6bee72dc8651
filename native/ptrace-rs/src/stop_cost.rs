//! Measures what ptrace stops cost a tracee in CPU time. A thread's CPU
//! time (schedstat) counts kernel time too, and each stop makes the tracee
//! run the seccomp filter, stop, switch out and back in: work the program
//! did not ask for. A tracee whose only work is one trapped syscall in a
//! loop (`stop_program`) is stopped at each call and the call emulated as
//! the mediator emulates one (registers read, a result written into its
//! memory, the call skipped, PTRACE_CONT); its CPU time over a batch of
//! stops is then nearly all stop cost (the loop itself is six instructions
//! per call).
//!
//! With `notified`, the syscall comes as a seccomp user notification
//! instead (as data syscalls do under --notify-data-calls), answered as
//! the mediator answers one: its cost differs (no ptrace stop, a lighter
//! wake-up), and a run charges each kind its own.

use crate::errors::{invalid, Result};
use crate::spawn::{self, SpawnOptions};
use crate::wait::{self, StopKind};
use crate::{counters, memory, notify, ptrace, regs, stop_program, uring};

/// What an emulated call writes back at each stop: a clock_gettime's
/// timespec, into the 16 bytes the program's second argument points at.
/// Writing into the tracee costs it CPU time too (about 1 µs a stop here).
const RESULT: [u8; 16] = [0; 16];

/// What `measure` needs to stop its tracee as a run's tracees are stopped.
pub struct Setup<'a> {
  /// The run's filter: the syscalls it traps (or every one), and the CPU its tracees are pinned to.
  pub trapped: &'a [u32],
  pub trap_all: bool,
  pub cpu: Option<u32>,
  /// The syscall the tracee makes again and again; it is added to the trapped ones.
  pub sysno: u32,
  /// Whether the syscall comes as a user notification rather than a ptrace stop.
  pub notified: bool,
}

/// The tracee's CPU time (ns) over each of `batches` batches of `stops_per_batch` stops.
pub fn measure(setup: &Setup, batches: u32, stops_per_batch: u32) -> Result<Vec<f64>> {
  if batches == 0 || stops_per_batch == 0 {
    return Err(invalid("measureStopCost", "at least one batch of one stop"));
  }
  // One more stop than measured: the first reading is taken at the first stop.
  let stops = batches
    .checked_mul(stops_per_batch)
    .and_then(|stops| stops.checked_add(1))
    .ok_or_else(|| invalid("measureStopCost", "at most 2^32 - 1 stops"))?;
  let program = stop_program::write(setup.sysno, stops)?;
  let mut trapped = setup.trapped.to_vec();
  trapped.push(setup.sysno);
  let pid = spawn::spawn(&SpawnOptions {
    path: format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&program)),
    argv: vec!["simterpose-stop-cost".to_string()],
    env: Vec::new(),
    cwd: None,
    trap_syscalls: trapped,
    notify_syscalls: setup.notified.then(|| vec![setup.sysno]),
    stop_notified_when: None,
    stop_only_when: None,
    trap_all: setup.trap_all,
    cpu: setup.cpu,
    stdin: None,
    stdout: None,
    stderr: None,
  })?;
  drop(program);
  let listener = spawn::take_listener(pid);
  let result = match listener {
    None if setup.notified => Err(invalid("measureStopCost", "the tracee got no seccomp listener")),
    _ => supervise(pid, listener, setup.sysno, stops_per_batch),
  };
  if let Some(listener) = listener {
    uring::close_listener(listener);
  }
  match result {
    Ok(costs) if costs.len() == batches as usize => Ok(costs),
    Ok(costs) => Err(invalid("measureStopCost", &format!("the stop-cost tracee ended after {} of its batches", costs.len()))),
    Err(err) => {
      // Not reaped yet: end it now rather than when we exit (PTRACE_O_EXITKILL).
      kill_and_reap(pid);
      Err(err)
    }
  }
}

/// Waits until the killed tracee is reported gone, resuming it from a stop
/// it may still make on the way out (its exit event).
fn kill_and_reap(pid: i32) {
  unsafe { libc::kill(pid, libc::SIGKILL) };
  let mut out = [0f64; wait::OUT_LEN];
  loop {
    match wait::next_event(pid, &mut out, false, None) {
      Ok(Some(StopKind::Exited | StopKind::Killed)) => return,
      // Dead before its registers could be read: its exit comes next.
      Err(err) if err.status == "ESRCH" => {}
      Err(_) => return,
      Ok(_) => {
        let _ = ptrace::cont(pid, 0);
      }
    }
  }
}

/// The tracee's CPU time over each batch of `stops_per_batch` calls, read
/// at every batch's first call, while the tracee waits for its answer.
struct Batches {
  per_batch: u32,
  seen: u32,
  last_reading: Option<u64>,
  costs: Vec<f64>,
}

impl Batches {
  fn new(per_batch: u32) -> Batches {
    Batches { per_batch, seen: 0, last_reading: None, costs: Vec::new() }
  }

  /// The tracee made its call again and is off the CPU: its reading is settled.
  fn call(&mut self, pid: i32) -> Result<()> {
    if self.seen.is_multiple_of(self.per_batch) {
      let reading = counters::thread_cpu_time_ns(pid)?;
      if let Some(previous) = self.last_reading {
        self.costs.push(reading.saturating_sub(previous) as f64);
      }
      self.last_reading = Some(reading);
    }
    self.seen += 1;
    Ok(())
  }
}

/// Runs the tracee from its exec stop until it has exited and is reaped,
/// through the wait a run's tracees go through, answering each of its calls
/// as an emulated one is: skipped at its seccomp stop with its result
/// written, or, with a `listener`, answered as a notification. Returns the
/// CPU time of each whole batch.
fn supervise(pid: i32, listener: Option<i32>, sysno: u32, calls_per_batch: u32) -> Result<Vec<f64>> {
  let mut out = [0f64; wait::OUT_LEN];
  let mut batches = Batches::new(calls_per_batch);
  ptrace::cont(pid, 0)?;
  loop {
    let kind = wait::next_event(pid, &mut out, false, listener)?;
    let measured = out[1] == f64::from(sysno);
    match kind {
      Some(StopKind::Seccomp) if measured => {
        batches.call(pid)?;
        // The emulated call's result, as the mediator writes it (a clock_gettime's timespec).
        memory::write(pid, out[3] as u64, &RESULT)?;
        regs::skip_syscall(pid, 0)?;
        regs::forget(pid);
        ptrace::cont(pid, 0)?;
      }
      Some(StopKind::Notified) if measured => {
        batches.call(pid)?;
        memory::write(pid, out[3] as u64, &RESULT)?;
        notify::answer(pid, 0, false)?;
      }
      Some(StopKind::Notified) => {
        notify::answer(pid, 0, true)?;
      }
      Some(StopKind::Exited | StopKind::Killed) => return Ok(batches.costs),
      // Its exit_group (which the run's filter may trap too) and exit event go on natively.
      _ => ptrace::cont(pid, 0)?,
    }
  }
}
