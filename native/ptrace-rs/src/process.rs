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

/// rt_sigqueueinfo(2) to a process, or rt_tgsigqueueinfo(2) to one of its threads: the signal carries `info` as given.
pub fn queue_signal(tgid: i32, tid: Option<i32>, signal: i32, info: &[u8]) -> Result<()> {
  let ret = unsafe {
    match tid {
      Some(tid) => libc::syscall(libc::SYS_rt_tgsigqueueinfo, tgid, tid, signal, info.as_ptr()),
      None => libc::syscall(libc::SYS_rt_sigqueueinfo, tgid, signal, info.as_ptr()),
    }
  };
  check(ret, || format!("rt_sigqueueinfo({tgid}, {tid:?}, {signal})")).map(drop)
}

/// The CPUs this process may run on: its affinity, which taskset or a
/// cgroup may have narrowed.
pub fn allowed_cpus() -> Result<Vec<u32>> {
  let set = affinity()?;
  Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).map(|cpu| cpu as u32).collect())
}

fn affinity() -> Result<libc::cpu_set_t> {
  let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
  check(unsafe { libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut set) }, || "sched_getaffinity(0)".to_string())?;
  Ok(set)
}

/// Pins the calling thread to `cpu`, and moves the process's other threads
/// (V8's compiler and garbage-collector workers, libuv's pool, the
/// preemption watchdog) to the other CPUs it may use, if it has any. The
/// mediator and its tracees take turns on `cpu`; a helper landing there,
/// as V8's tier-up compiler does for the first second of a run, stalls them
/// all, while the other CPUs sit idle.
pub fn pin_calling_thread(cpu: u32) -> Result<()> {
  let mut others = affinity()?;
  let call = || format!("sched_setaffinity(0, {{{cpu}}})");
  let set = cpu_set_of(cpu, &call())?;
  check(unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) }, call)?;
  unsafe { libc::CPU_CLR(cpu as usize, &mut others) };
  if unsafe { libc::CPU_COUNT(&others) } > 0 {
    move_other_threads(&others);
  }
  Ok(())
}

/// Best effort: a helper thread that exits meanwhile, or that may not move,
/// only keeps its place.
fn move_other_threads(cpus: &libc::cpu_set_t) {
  let me = unsafe { libc::gettid() };
  let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return };
  for tid in tasks.flatten().filter_map(|task| task.file_name().to_str()?.parse::<i32>().ok()) {
    if tid != me {
      unsafe { libc::sched_setaffinity(tid, mem::size_of::<libc::cpu_set_t>(), cpus) };
    }
  }
}

/// Takes an exclusive lock on the file at `path` (created if need be) and
/// keeps it until this process ends, when the kernel lets it go: false if
/// another process holds it. A run claims its CPU this way, so that runs
/// started side by side spread over the CPUs; a crashed run leaves no claim.
pub fn hold_file_lock(path: &str) -> Result<bool> {
  let c_path = std::ffi::CString::new(path).map_err(|_| crate::errors::invalid(&format!("open({path})"), "a path holds no NUL byte"))?;
  let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC, 0o600) };
  check(fd, || format!("open({path})"))?;
  if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } == 0 {
    return Ok(true);
  }
  let errno = crate::errors::last_errno();
  unsafe { libc::close(fd) };
  if errno == libc::EWOULDBLOCK {
    return Ok(false);
  }
  Err(crate::errors::errno_error(&format!("flock({path}, LOCK_EX|LOCK_NB)"), errno))
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
