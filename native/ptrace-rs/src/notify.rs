//! Seccomp user notifications: the syscalls that move a socket's bytes reach
//! the mediator as notifications on the filter's listener, not as ptrace
//! stops. Answering one costs two ioctls, where a seccomp stop costs a
//! waitpid, GETREGS, SETREGS and PTRACE_CONT, and the tracee's side is
//! lighter too; the call's result is sent back, or the call is let through
//! to the kernel unchanged.
//!
//! The thread that runs may then report either kind of event, so waiting
//! multiplexes them: a ptrace stop sends us SIGCHLD, whose handler writes a
//! byte into a pipe polled next to the listener.
//!
//! Filters carry SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once a notification
//! is received, only SIGKILL takes its thread away, so no signal can make the
//! kernel drop a call whose effects (bytes taken off a connection) are done.
//! Its other signals stay pending until the call is answered, as they do for
//! a thread held at a seccomp stop.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::errors::{errno_error, last_errno, last_error, Result};
use crate::preempt;

/// How long a wait trusts the SIGCHLD handler alone: Node may install its own
/// (for child_process) over ours, which the next timeout notices and undoes.
const SAFETY_NET_MS: i32 = 50;

static WAKE_READ: AtomicI32 = AtomicI32::new(-1);
static WAKE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The SIGCHLD action ours replaced (a `libc::sigaction` boxed and leaked), called after ours.
static PREVIOUS_ACTION: AtomicUsize = AtomicUsize::new(0);

/// Whether any tracee (not only the one waited for) has a stop or exit to report, left reportable.
fn any_stop_waiting() -> bool {
  let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
  let flags = libc::WEXITED | libc::WSTOPPED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL;
  let found = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) };
  // With WNOHANG, si_pid stays 0 when nothing is waiting; an error (no children) means nothing either.
  found == 0 && unsafe { info.si_pid() } != 0
}

thread_local! {
  /// A wake-up byte was drained whose stop may not be collected yet (true until a check says otherwise).
  static STOPS_MAY_WAIT: Cell<bool> = const { Cell::new(true) };
  /// Received and not answered yet, per tid: (listener, notification id).
  static PENDING: RefCell<HashMap<i32, (i32, u64)>> = RefCell::new(HashMap::new());
}

extern "C" fn on_sigchld(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
  let saved_errno = unsafe { *libc::__errno_location() };
  let byte = 1u8;
  unsafe { libc::write(WAKE_WRITE.load(Ordering::Relaxed), &byte as *const u8 as *const libc::c_void, 1) };
  let previous = PREVIOUS_ACTION.load(Ordering::Acquire) as *const libc::sigaction;
  if let Some(previous) = unsafe { previous.as_ref() } {
    let handler = previous.sa_sigaction;
    if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
      if previous.sa_flags & libc::SA_SIGINFO != 0 {
        let call: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = unsafe { std::mem::transmute(handler) };
        call(signal, info, context);
      } else {
        let call: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        call(signal);
      }
    }
  }
  unsafe { *libc::__errno_location() = saved_errno };
}

/// Makes the wake-up pipe once, and (re)installs our SIGCHLD handler if it is not the current one.
fn ensure_wakeups() -> Result<()> {
  if WAKE_READ.load(Ordering::Relaxed) < 0 {
    let mut fds = [-1; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
      return Err(last_error("pipe2(SIGCHLD wake-ups)"));
    }
    WAKE_WRITE.store(fds[1], Ordering::Relaxed);
    WAKE_READ.store(fds[0], Ordering::Relaxed);
  }
  let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
  if unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut current) } < 0 {
    return Err(last_error("sigaction(SIGCHLD)"));
  }
  if current.sa_sigaction == on_sigchld as *const () as usize {
    return Ok(());
  }
  let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
  ours.sa_sigaction = on_sigchld as *const () as usize;
  // No SA_NOCLDSTOP: stops are what we wait for.
  ours.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
  unsafe { libc::sigfillset(&mut ours.sa_mask) };
  // Leaked on purpose: the handler may run at any time after this, on any thread.
  PREVIOUS_ACTION.store(Box::into_raw(Box::new(current)) as usize, Ordering::Release);
  if unsafe { libc::sigaction(libc::SIGCHLD, &ours, std::ptr::null_mut()) } < 0 {
    return Err(last_error("sigaction(SIGCHLD)"));
  }
  Ok(())
}

fn drain_wakeups() {
  let mut bytes = [0u8; 64];
  // A read that does not fill the buffer emptied the pipe: no second read to learn it.
  while unsafe { libc::read(WAKE_READ.load(Ordering::Relaxed), bytes.as_mut_ptr() as *mut libc::c_void, bytes.len()) } == bytes.len() as isize {}
}

pub enum Event {
  Stop(crate::wait::StopKind),
  Notified,
}

/// The next event of `tid`: a ptrace stop (written into `out` as
/// `wait::wait_stop` does) or a notification from `listener` (out[0] its
/// thread, out[1] the syscall number, out[2..8] its arguments).
pub fn wait_event(tid: i32, out: &mut [f64], listener: i32) -> Result<Event> {
  if WAKE_READ.load(Ordering::Relaxed) < 0 {
    ensure_wakeups()?;
  }
  let wake_read = WAKE_READ.load(Ordering::Relaxed);
  let mut listening = true;
  loop {
    // A stop that comes after this check leaves a byte in the pipe, which wakes the poll. While
    // no byte was drained without its stop being collected, no stop can be waiting: the check,
    // a syscall, is skipped on the hot path (notification after notification).
    if STOPS_MAY_WAIT.get() {
      if let Some(kind) = crate::wait::wait_stop(tid, out, true)? {
        return Ok(Event::Stop(kind));
      }
      STOPS_MAY_WAIT.set(any_stop_waiting());
    }
    let mut fds = [
      libc::pollfd { fd: if listening { listener } else { -1 }, events: libc::POLLIN, revents: 0 },
      libc::pollfd { fd: wake_read, events: libc::POLLIN, revents: 0 },
    ];
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, SAFETY_NET_MS) };
    if ready == 0 {
      ensure_wakeups()?;
    } else if ready < 0 {
      let errno = last_errno();
      if errno != libc::EINTR {
        return Err(errno_error("poll(seccomp listener)", errno));
      }
      // Most likely our SIGCHLD handler, whose byte is in the pipe: drain it and check at once.
      fds[1].revents = libc::POLLIN;
    }
    let listener_events = fds[0].revents;
    if listener_events & libc::POLLIN != 0 {
      if receive(listener, out)? {
        return Ok(Event::Notified);
      }
    } else if listener_events != 0 {
      // Hung up: no process uses the filter any more; what is left to come is a stop.
      listening = false;
    }
    // Bytes are only drained right before the stop check above.
    if fds[1].revents != 0 {
      drain_wakeups();
      STOPS_MAY_WAIT.set(true);
    }
  }
}

/// Receives one notification into `out`; false if its thread was killed meanwhile.
fn receive(listener: i32, out: &mut [f64]) -> Result<bool> {
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

/// Forgets a notification whose thread is gone (killed while it waited for its answer).
pub fn forget(tid: i32) {
  PENDING.with(|pending| pending.borrow_mut().remove(&tid));
}
