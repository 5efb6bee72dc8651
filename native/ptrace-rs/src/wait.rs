//! Waiting for a tracee's next event and decoding what kind it is. Every
//! wait for a stop of a tracee goes through `next_event`, so that what the
//! crate keeps per thread (registers read, preemptions, notifications, CPU
//! time files) follows each stop it collects, whichever way it waited. (A
//! child that has not exec'd yet is no tracee of the run: spawn.rs
//! collects its stops itself, and says why.)

use napi_derive::napi;

use crate::errors::{errno_error, invalid, last_errno, Result};
use crate::{counters, fds, notify, preempt, ptrace, regs, uring};

/// What `waitStop` saw; `out[0]` is always the tid, the other slots per kind.
#[napi]
pub enum StopKind {
  /// out[1] = syscall number, out[2..7] = its six arguments.
  Seccomp = 1,
  /// After `resume(tid, 0, true)`: out[1] = result, out[2] = syscall number.
  SyscallExit = 2,
  /// out[1] = the new child's tid.
  Fork = 3,
  Vfork = 4,
  Clone = 5,
  /// out[1] = the tid that called execve (differs when a non-leader thread did).
  Exec = 6,
  /// PTRACE_EVENT_EXIT: out[1] = the wait status the thread will exit with.
  ExitEvent = 7,
  /// Signal-delivery-stop: out[1] = the signal; pass it to `resume` to deliver it.
  Signal = 8,
  /// Group-stop: out[1] = the stopping signal.
  GroupStop = 9,
  /// out[1] = exit code.
  Exited = 10,
  /// out[1] = signal, out[2] = 1 if it dumped core.
  Killed = 11,
  /// PTRACE_EVENT_STOP that is no group-stop: a new child's first stop, or after `interrupt`.
  EventStop = 12,
  /// The thread ran a whole quantum without stopping and was stopped (see `setPreemptQuantum`);
  /// resume it with no signal.
  Preempted = 13,
  /// A seccomp user notification (notify.rs), not a ptrace stop: out[1] =
  /// syscall number, out[2..7] = its six arguments. The thread waits in the
  /// kernel for `answerNotification` or `continueNotification`.
  Notified = 14,
  /// A notified call let through by `continueNotificationToReturn` has
  /// returned: out[1] = its result. The thread is at the signal-delivery-stop
  /// of the SIGSTOP that stopped it; resume it with no signal.
  NotifiedReturn = 15,
}

pub const OUT_LEN: usize = 8;

/// Blocks for the next event of `tid` (-1: any tracee) and writes it into
/// `out`; `None` when `nohang` and no stop is ready. With the `listener` of
/// the thread's process (and no `nohang`), a seccomp user notification of
/// it is an event too: both are waited for at once through io_uring.
pub fn next_event(tid: i32, out: &mut [f64], nohang: bool, listener: Option<i32>) -> Result<Option<StopKind>> {
  if out.len() < OUT_LEN {
    return Err(invalid("waitStop", "the out array needs at least 8 slots"));
  }
  match listener.filter(|_| !nohang) {
    Some(listener) => next_stop_or_notification(tid, out, listener).map(Some),
    None => collect_stop(tid, out, nohang),
  }
}

fn next_stop_or_notification(tid: i32, out: &mut [f64], listener: i32) -> Result<StopKind> {
  loop {
    // Either wake-up may be stale (a stop another wait collected, a
    // notification whose thread was killed): look, and wait again if so.
    match uring::wait(tid, listener)? {
      uring::Woken::Stop => {
        if let Some(kind) = collect_stop(tid, out, true)? {
          return Ok(kind);
        }
      }
      uring::Woken::Listener => {
        if notify::receive(listener, out)? {
          return Ok(StopKind::Notified);
        }
      }
    }
  }
}

/// waitpid for the next stop of `tid`, decoded into `out`.
fn collect_stop(tid: i32, out: &mut [f64], nohang: bool) -> Result<Option<StopKind>> {
  let flags = libc::__WALL | if nohang { libc::WNOHANG } else { 0 };
  let mut status = 0;
  let stopped = loop {
    let ret = unsafe { libc::waitpid(tid, &mut status, flags) };
    if ret >= 0 {
      break ret;
    }
    let errno = last_errno();
    if errno != libc::EINTR {
      return Err(errno_error(&format!("waitpid({tid})"), errno));
    }
  };
  if stopped == 0 {
    return Ok(None);
  }
  preempt::stopped();
  out[..OUT_LEN].fill(0.0);
  out[0] = stopped as f64;
  decode(stopped, status, out).map(Some)
}

/// Forgets a thread that is gone in every table the crate keeps per tid, so
/// that a thread given its tid later starts afresh and nothing is held for
/// it (its CPU time file stays open otherwise). Collecting its exit calls
/// this; the caller calls it for a thread gone some other way (reaped with
/// its group, ECHILD). Not for a live thread: a notification it waits with
/// would be lost.
pub fn forget_thread(tid: i32) {
  regs::forget(tid);
  preempt::forget(tid);
  notify::forget(tid);
  counters::forget(tid);
  uring::forget(tid);
  fds::forget_process(tid);
}

fn decode(tid: i32, status: i32, out: &mut [f64]) -> Result<StopKind> {
  if libc::WIFEXITED(status) {
    forget_thread(tid);
    out[1] = libc::WEXITSTATUS(status) as f64;
    return Ok(StopKind::Exited);
  }
  if libc::WIFSIGNALED(status) {
    forget_thread(tid);
    out[1] = libc::WTERMSIG(status) as f64;
    out[2] = if libc::WCOREDUMP(status) { 1.0 } else { 0.0 };
    return Ok(StopKind::Killed);
  }
  let signal = libc::WSTOPSIG(status);
  let event = (status >> 16) & 0xff;
  if signal == libc::SIGTRAP | 0x80 {
    let regs = regs::fetch(tid)?;
    out[1] = regs::syscall_result(&regs) as f64;
    out[2] = regs::syscall_number(&regs) as f64;
    return Ok(StopKind::SyscallExit);
  }
  if event == libc::PTRACE_EVENT_SECCOMP {
    let regs = regs::fetch(tid)?;
    out[1] = regs::syscall_number(&regs) as f64;
    for (slot, arg) in out[2..8].iter_mut().zip(regs::syscall_args(&regs)) {
      *slot = arg as f64;
    }
    return Ok(StopKind::Seccomp);
  }
  regs::forget(tid);
  let kind = match event {
    0 => {
      out[1] = signal as f64;
      if signal == libc::SIGSTOP && notify::claim_return(tid) {
        out[1] = regs::syscall_result(&regs::fetch(tid)?) as f64;
        return Ok(StopKind::NotifiedReturn);
      }
      if signal == libc::SIGSTOP && preempt::claim(tid) {
        return Ok(StopKind::Preempted);
      }
      return Ok(StopKind::Signal);
    }
    libc::PTRACE_EVENT_STOP => {
      out[1] = signal as f64;
      return Ok(if is_stopping_signal(signal) { StopKind::GroupStop } else { StopKind::EventStop });
    }
    libc::PTRACE_EVENT_FORK => StopKind::Fork,
    libc::PTRACE_EVENT_VFORK => StopKind::Vfork,
    libc::PTRACE_EVENT_CLONE => StopKind::Clone,
    libc::PTRACE_EVENT_EXEC => StopKind::Exec,
    libc::PTRACE_EVENT_EXIT => StopKind::ExitEvent,
    other => {
      return Err(invalid(&format!("waitStop({tid})"), &format!("unexpected ptrace event {other}")));
    }
  };
  out[1] = ptrace::event_message(tid)? as f64;
  Ok(kind)
}

fn is_stopping_signal(signal: i32) -> bool {
  matches!(signal, libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU)
}
