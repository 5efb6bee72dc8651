//! Signals and CPU placement of whole processes and threads.

use std::mem;

use crate::errors::{check, Result};
use crate::spawn::cpu_set_of;

pub fn signal_thread(tgid: i32, tid: i32, signal: i32) -> Result<()> {
  let ret = unsafe { libc::syscall(libc::SYS_tgkill, tgid, tid, signal) };
  check(ret, || format!("tgkill({tgid}, {tid}, {signal})")).map(drop)
}

pub fn signal_process(pid: i32, signal: i32) -> Result<()> {
  check(unsafe { libc::kill(pid, signal) }, || format!("kill({pid}, {signal})")).map(drop)
}

pub fn pin_calling_thread(cpu: u32) -> Result<()> {
  let call = || format!("sched_setaffinity(0, {{{cpu}}})");
  let set = cpu_set_of(cpu, &call())?;
  check(unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) }, call).map(drop)
}

pub fn online_cpus() -> u32 {
  let count = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
  count.max(1) as u32
}

/// A pipe for a tracee's output, close-on-exec in simterpose itself:
/// returns [read end, write end].
pub fn make_pipe() -> Result<Vec<i32>> {
  let mut ends = [0; 2];
  if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
    return Err(crate::errors::last_error("pipe2(O_CLOEXEC)"));
  }
  Ok(ends.to_vec())
}
