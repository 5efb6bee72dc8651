//! Preemption of a tracee that runs too long without stopping (a spin-wait on
//! a flag another thread sets would otherwise hold the one CPU forever). A
//! watchdog thread notices when the same resume has used a whole quantum of
//! CPU time and sends the thread a SIGSTOP; its signal-delivery-stop is then
//! reported as `StopKind.Preempted` and the signal is never delivered. CPU
//! time, not wall time: a tracee that Linux leaves waiting for the CPU (a
//! busy machine) has not spun, and preempting it would make the run depend
//! on the machine's load. The watchdog only sends a signal: every ptrace
//! request stays on the main thread.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use crate::id_map::IdMap;

static RUNNING_TID: AtomicI32 = AtomicI32::new(0);
static RUN_GENERATION: AtomicU64 = AtomicU64::new(0);
static QUANTUM_MS: AtomicU64 = AtomicU64::new(0);
static START: Once = Once::new();
/// SIGSTOPs sent per tid and not yet seen as stops.
static SENT: Mutex<Option<IdMap<i32, u32>>> = Mutex::new(None);

/// Sets the quantum (0 turns preemption off) and starts the watchdog once.
pub fn set_quantum(ms: u32) {
  QUANTUM_MS.store(u64::from(ms), Ordering::SeqCst);
  if ms > 0 {
    START.call_once(|| {
      std::thread::Builder::new().name("simterpose-preempt".into()).spawn(watch).expect("spawning the preemption watchdog");
    });
  }
}

/// The main thread resumed `tid`: a new run starts.
pub fn running(tid: i32) {
  RUN_GENERATION.fetch_add(1, Ordering::SeqCst);
  RUNNING_TID.store(tid, Ordering::SeqCst);
}

/// A stop was collected: nothing is being watched until the next resume.
pub fn stopped() {
  RUNNING_TID.store(0, Ordering::SeqCst);
}

/// Whether a SIGSTOP signal-delivery-stop of `tid` is one the watchdog caused.
pub fn claim(tid: i32) -> bool {
  let mut sent = SENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
  let Some(map) = sent.as_mut() else { return false };
  match map.get_mut(&tid) {
    Some(count) if *count > 0 => {
      *count -= 1;
      if *count == 0 {
        map.remove(&tid);
      }
      true
    }
    _ => false,
  }
}

/// Forgets signals sent to a thread that is gone.
pub fn forget(tid: i32) {
  let mut sent = SENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
  if let Some(map) = sent.as_mut() {
    map.remove(&tid);
  }
}

/// CPU time the thread has used, from the first field of /proc/TID/schedstat
/// (nanoseconds on the CPU); wall time where that file is missing.
fn cpu_time(tid: i32, wall_origin: Instant) -> Duration {
  std::fs::read_to_string(format!("/proc/{tid}/schedstat"))
    .ok()
    .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
    .map(Duration::from_nanos)
    .unwrap_or_else(|| wall_origin.elapsed())
}

fn watch() {
  let mut watched_generation = u64::MAX;
  let wall_origin = Instant::now();
  let mut since = Duration::ZERO;
  loop {
    let quantum = QUANTUM_MS.load(Ordering::SeqCst);
    if quantum == 0 {
      std::thread::sleep(Duration::from_millis(100));
      continue;
    }
    std::thread::sleep(Duration::from_millis((quantum / 4).max(1)));
    let tid = RUNNING_TID.load(Ordering::SeqCst);
    let generation = RUN_GENERATION.load(Ordering::SeqCst);
    if tid == 0 || generation != watched_generation {
      watched_generation = generation;
      since = cpu_time(tid, wall_origin);
      continue;
    }
    if cpu_time(tid, wall_origin).saturating_sub(since) >= Duration::from_millis(quantum) {
      let mut sent = SENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
      *sent.get_or_insert_with(IdMap::default).entry(tid).or_insert(0) += 1;
      drop(sent);
      unsafe { libc::syscall(libc::SYS_tkill, tid, libc::SIGSTOP) };
      // One signal per run is enough: wait for the next resume.
      watched_generation = u64::MAX - 1;
    }
  }
}
