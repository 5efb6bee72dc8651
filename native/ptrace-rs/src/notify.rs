//! Seccomp user notifications: the syscalls that move a socket's bytes reach
//! the mediator as notifications on the filter's listener, not as ptrace
//! stops. Answering one costs two ioctls, where a seccomp stop costs a
//! waitpid, GETREGS, SETREGS and PTRACE_CONT, and the tracee's side is
//! lighter too; the call's result is sent back, or the call is let through
//! to the kernel unchanged.
//!
//! The thread that runs may then report either kind of event, so waiting
//! (wait.rs) multiplexes them through io_uring (uring.rs): a WNOWAIT waitid
//! for its stops next to a poll of the listener.
//!
//! Filters carry SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once a notification
//! is received, only SIGKILL takes its thread away, so no signal can make the
//! kernel drop a call whose effects (bytes taken off a connection) are done.
//! Its other signals stay pending until the call is answered, as they do for
//! a thread held at a seccomp stop.
//!
//! That is also how a notified call can stop as it returns, where its
//! results can be rewritten: a SIGSTOP sent before the answer waits while
//! the call runs, and its signal-delivery-stop comes on the way back to user
//! space, before the program runs one instruction (wait.rs reports it as
//! the call's return, and the mediator resumes it without the signal).

use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::errors::{errno_error, last_errno, Result};
use crate::id_map::{IdMap, IdSet};
use crate::{preempt, uring};

thread_local! {
  /// Received and not answered yet, per tid: (listener, notification id).
  static PENDING: RefCell<IdMap<i32, (i32, u64)>> = RefCell::new(IdMap::default());
  /// Let through with a SIGSTOP pending (`continue_to_return`) and not stopped since.
  static RETURN_STOPS: RefCell<IdSet<i32>> = RefCell::new(IdSet::default());
}

/// Whether this kernel can deliver notifications and wait for them next to ptrace stops.
pub fn available() -> bool {
  uring::available()
}

/// Receives one notification into `out` (out[0] its thread, out[1] the
/// syscall number, out[2..8] its arguments); false if its thread was killed
/// meanwhile.
pub fn receive(listener: i32, out: &mut [f64]) -> Result<bool> {
  let mut request: libc::seccomp_notif = unsafe { std::mem::zeroed() };
  if unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut request) } < 0 {
    return match last_errno() {
      libc::ENOENT | libc::EINTR => Ok(false),
      errno => Err(errno_error("ioctl(SECCOMP_IOCTL_NOTIF_RECV)", errno)),
    };
  }
  preempt::stopped();
  let tid = request.pid as i32;
  PENDING.with(|pending| pending.borrow_mut().insert(tid, (listener, request.id)));
  out[..crate::wait::OUT_LEN].fill(0.0);
  out[0] = tid as f64;
  out[1] = request.data.nr as f64;
  for (slot, arg) in out[2..8].iter_mut().zip(request.data.args) {
    *slot = arg as i64 as f64;
  }
  Ok(true)
}

/// Answers `tid`'s notification: the call returns `result` (a negative errno
/// for a failure), or with `run_it` the kernel runs the call as it was made.
/// False when the thread was killed before the answer.
pub fn answer(tid: i32, result: i64, run_it: bool) -> Result<bool> {
  let Some((listener, id)) = PENDING.with(|pending| pending.borrow_mut().remove(&tid)) else {
    return Err(errno_error(&format!("answer({tid}): no notification of this thread is pending"), libc::EINVAL));
  };
  let mut response: libc::seccomp_notif_resp = unsafe { std::mem::zeroed() };
  response.id = id;
  if run_it {
    response.flags = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32;
  } else if result < 0 {
    response.error = result as i32;
  } else {
    response.val = result;
  }
  if unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_SEND, &response) } < 0 {
    return match last_errno() {
      libc::ENOENT => Ok(false),
      errno => Err(errno_error(&format!("ioctl(SECCOMP_IOCTL_NOTIF_SEND, {tid})"), errno)),
    };
  }
  preempt::running(tid);
  Ok(true)
}

/// Lets the kernel run `tid`'s notified call, and stops the thread as the
/// call returns (see the top of this file). False when the thread was killed
/// before the answer.
pub fn continue_to_return(tid: i32) -> Result<bool> {
  RETURN_STOPS.with(|stops| stops.borrow_mut().insert(tid));
  // A thread killed meanwhile is no longer there to signal: the answer says so.
  unsafe { libc::syscall(libc::SYS_tkill, tid, libc::SIGSTOP) };
  let answered = answer(tid, 0, true)?;
  if !answered {
    RETURN_STOPS.with(|stops| stops.borrow_mut().remove(&tid));
  }
  Ok(answered)
}

/// Whether a SIGSTOP signal-delivery-stop of `tid` is the return of a call
/// `continue_to_return` let through.
pub fn claim_return(tid: i32) -> bool {
  RETURN_STOPS.with(|stops| stops.borrow_mut().remove(&tid))
}

/// Answers `tid`'s notification with a new descriptor of its process, a
/// copy of the mediator's `fd` (which this closes): the kernel installs it
/// as the lowest free descriptor, close-on-exec if `cloexec`, and the call
/// returns its number, as an open would. When it cannot be installed
/// (EMFILE), the call fails with that errno instead. The call's result, or
/// None when the thread was killed before the answer.
pub fn answer_with_fd(tid: i32, fd: i32, cloexec: bool) -> Result<Option<i64>> {
  let source = unsafe { OwnedFd::from_raw_fd(fd) };
  let Some((listener, id)) = PENDING.with(|pending| pending.borrow_mut().remove(&tid)) else {
    return Err(errno_error(&format!("answerWithFd({tid}): no notification of this thread is pending"), libc::EINVAL));
  };
  let mut request: libc::seccomp_notif_addfd = unsafe { std::mem::zeroed() };
  request.id = id;
  request.flags = libc::SECCOMP_ADDFD_FLAG_SEND as u32;
  request.srcfd = source.as_raw_fd() as u32;
  request.newfd_flags = if cloexec { libc::O_CLOEXEC as u32 } else { 0 };
  loop {
    let installed = unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_ADDFD, &request) };
    if installed >= 0 {
      preempt::running(tid);
      return Ok(Some(installed as i64));
    }
    match last_errno() {
      libc::EINTR => continue,
      libc::ENOENT => return Ok(None),
      errno => {
        // The notification is still pending: it gets the errno the open would have.
        PENDING.with(|pending| pending.borrow_mut().insert(tid, (listener, id)));
        return Ok(answer(tid, -(errno as i64), false)?.then_some(-(errno as i64)));
      }
    }
  }
}

/// Forgets a notification whose thread is gone (killed while it waited for its answer).
pub fn forget(tid: i32) {
  PENDING.with(|pending| pending.borrow_mut().remove(&tid));
  RETURN_STOPS.with(|stops| stops.borrow_mut().remove(&tid));
}
