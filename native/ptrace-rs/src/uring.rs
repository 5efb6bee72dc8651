//! A minimal io_uring, for one purpose: waiting at once for a thread's next
//! ptrace stop (IORING_OP_WAITID with WNOWAIT, Linux 6.7) and for its
//! process's seccomp listener to have a notification (IORING_OP_POLL_ADD),
//! without signals. Requests stay armed across waits (the poll is
//! multishot): a stream of notifications re-arms nothing. Completions are
//! made ready only in the waiting thread's io_uring_enter
//! (IORING_SETUP_DEFER_TASKRUN), so each event takes one, which also
//! re-arms the waitid after a stop, next to the waitpid collecting it.
//! WNOWAIT leaves every stop for waitpid to collect, so no other wait can
//! lose one to a request still armed. Main thread only.

use std::cell::RefCell;

use crate::errors::{errno_error, last_errno, Result};
use crate::id_map::{IdMap, IdSet};

const SYS_IO_URING_SETUP: libc::c_long = 425;
const SYS_IO_URING_ENTER: libc::c_long = 426;
const OFF_SQ_RING: libc::off_t = 0;
const OFF_CQ_RING: libc::off_t = 0x800_0000;
const OFF_SQES: libc::off_t = 0x1000_0000;
const FEAT_SINGLE_MMAP: u32 = 1;
const SETUP_SINGLE_ISSUER: u32 = 1 << 12;
const SETUP_DEFER_TASKRUN: u32 = 1 << 13;
const ENTER_GETEVENTS: u32 = 1;
const OP_POLL_ADD: u8 = 6;
const OP_POLL_REMOVE: u8 = 7;
const OP_WAITID: u8 = 50;
/// In a POLL_ADD's len: stay armed, one completion per wake-up (flagged MORE while armed).
const POLL_ADD_MULTI: u32 = 1;
const CQE_F_MORE: u32 = 1 << 1;
const ENTRIES: u32 = 64;

#[repr(C)]
#[derive(Default)]
struct SqRingOffsets {
  head: u32,
  tail: u32,
  ring_mask: u32,
  ring_entries: u32,
  flags: u32,
  dropped: u32,
  array: u32,
  resv1: u32,
  user_addr: u64,
}

#[repr(C)]
#[derive(Default)]
struct CqRingOffsets {
  head: u32,
  tail: u32,
  ring_mask: u32,
  ring_entries: u32,
  overflow: u32,
  cqes: u32,
  flags: u32,
  resv1: u32,
  user_addr: u64,
}

#[repr(C)]
#[derive(Default)]
struct Params {
  sq_entries: u32,
  cq_entries: u32,
  flags: u32,
  sq_thread_cpu: u32,
  sq_thread_idle: u32,
  features: u32,
  wq_fd: u32,
  resv: [u32; 3],
  sq_off: SqRingOffsets,
  cq_off: CqRingOffsets,
}

/// struct io_uring_sqe, with the fields these two requests use.
#[repr(C)]
#[derive(Default)]
struct Sqe {
  opcode: u8,
  flags: u8,
  ioprio: u16,
  fd: i32,
  addr2: u64,
  addr: u64,
  len: u32,
  op_flags: u32,
  user_data: u64,
  buf_index: u16,
  personality: u16,
  file_index: u32,
  addr3: u64,
  pad: u64,
}

#[repr(C)]
struct Cqe {
  user_data: u64,
  res: i32,
  flags: u32,
}

/// What a completion was for: a poll's in the top bit, with its arming's
/// number below (a listener's number names another file once it is
/// closed); a waitid's tid; a poll removal's, ignored.
const POLL_TAG: u64 = 1 << 63;
const REMOVAL_TAG: u64 = 1 << 62;

struct Ring {
  fd: i32,
  sq_tail: *mut u32,
  sq_mask: u32,
  sq_array: *mut u32,
  sqes: *mut Sqe,
  cq_head: *mut u32,
  cq_tail: *const u32,
  cq_mask: u32,
  cqes: *const Cqe,
  /// Submitted and not yet complete.
  armed_waits: IdSet<i32>,
  /// Per listener, the number its armed poll completes with; and the other way round.
  armed_polls: IdMap<i32, u32>,
  poll_listeners: IdMap<u32, i32>,
  next_poll: u32,
  /// Completed since last looked at: this tid may have a stop; this listener a notification.
  stopped: IdSet<i32>,
  readable: IdSet<i32>,
  /// Listeners no process uses any more: polling them would complete at once, forever.
  hung_up: IdSet<i32>,
  /// Where WAITID writes: never read (WNOWAIT; waitpid collects), but the kernel needs the room.
  info: Box<[libc::siginfo_t; ENTRIES as usize]>,
  to_submit: u32,
}

thread_local! {
  /// None once setting up failed: no io_uring, or one too old for WAITID.
  static RING: RefCell<Option<Option<Ring>>> = const { RefCell::new(None) };
}

fn map(fd: i32, length: usize, offset: libc::off_t) -> Result<*mut u8> {
  let at = unsafe { libc::mmap(std::ptr::null_mut(), length, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_POPULATE, fd, offset) };
  if at == libc::MAP_FAILED {
    return Err(errno_error("mmap(io_uring)", last_errno()));
  }
  Ok(at as *mut u8)
}

impl Ring {
  fn new() -> Result<Ring> {
    // Completions are made ready by the thread that waits, when it waits,
    // rather than by interrupting it: a ptrace stop waited for here then
    // costs 1.3-2.1 µs more than through waitpid instead of 3-3.5 µs (a
    // trapped getpid, 200000 calls), and a notification as much as before.
    let mut params = Params { flags: SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN, ..Params::default() };
    let fd = unsafe { libc::syscall(SYS_IO_URING_SETUP, ENTRIES, &mut params as *mut Params) } as i32;
    if fd < 0 {
      return Err(errno_error("io_uring_setup", last_errno()));
    }
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    let sq_size = params.sq_off.array as usize + params.sq_entries as usize * 4;
    let cq_size = params.cq_off.cqes as usize + params.cq_entries as usize * std::mem::size_of::<Cqe>();
    let single = params.features & FEAT_SINGLE_MMAP != 0;
    let sq = map(fd, if single { sq_size.max(cq_size) } else { sq_size }, OFF_SQ_RING)?;
    let cq = if single { sq } else { map(fd, cq_size, OFF_CQ_RING)? };
    let sqes = map(fd, params.sq_entries as usize * std::mem::size_of::<Sqe>(), OFF_SQES)? as *mut Sqe;
    let at = |base: *mut u8, offset: u32| unsafe { base.add(offset as usize) };
    Ok(Ring {
      fd,
      sq_tail: at(sq, params.sq_off.tail) as *mut u32,
      sq_mask: unsafe { *(at(sq, params.sq_off.ring_mask) as *const u32) },
      sq_array: at(sq, params.sq_off.array) as *mut u32,
      sqes,
      cq_head: at(cq, params.cq_off.head) as *mut u32,
      cq_tail: at(cq, params.cq_off.tail) as *const u32,
      cq_mask: unsafe { *(at(cq, params.cq_off.ring_mask) as *const u32) },
      cqes: at(cq, params.cq_off.cqes) as *const Cqe,
      armed_waits: IdSet::default(),
      armed_polls: IdMap::default(),
      poll_listeners: IdMap::default(),
      next_poll: 0,
      stopped: IdSet::default(),
      readable: IdSet::default(),
      hung_up: IdSet::default(),
      info: Box::new(unsafe { std::mem::zeroed() }),
      to_submit: 0,
    })
  }

  fn push(&mut self, sqe: Sqe) {
    let tail = unsafe { std::ptr::read_volatile(self.sq_tail) };
    let index = tail & self.sq_mask;
    unsafe {
      std::ptr::write(self.sqes.add(index as usize), sqe);
      std::ptr::write_volatile(self.sq_array.add(index as usize), index);
      std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
      std::ptr::write_volatile(self.sq_tail, tail.wrapping_add(1));
    }
    self.to_submit += 1;
  }

  fn blank(opcode: u8, fd: i32, user_data: u64) -> Sqe {
    Sqe { opcode, fd, user_data, ..Sqe::default() }
  }

  fn arm_wait(&mut self, tid: i32) {
    if !self.armed_waits.insert(tid) {
      return;
    }
    let slot = tid as usize % self.info.len();
    let mut sqe = Ring::blank(OP_WAITID, tid, tid as u32 as u64);
    sqe.len = libc::P_PID;
    sqe.file_index = (libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT | libc::__WALL) as u32;
    sqe.addr2 = &mut self.info[slot] as *mut libc::siginfo_t as u64;
    self.push(sqe);
  }

  fn arm_poll(&mut self, listener: i32) {
    if self.armed_polls.contains_key(&listener) {
      return;
    }
    self.next_poll = self.next_poll.wrapping_add(1);
    self.armed_polls.insert(listener, self.next_poll);
    self.poll_listeners.insert(self.next_poll, listener);
    let mut sqe = Ring::blank(OP_POLL_ADD, listener, POLL_TAG | u64::from(self.next_poll));
    sqe.op_flags = libc::POLLIN as u32;
    sqe.len = POLL_ADD_MULTI;
    self.push(sqe);
  }

  /// Submits what was armed and waits for at least one completion (or only reaps with `wait` false).
  fn enter(&mut self, wait: bool) -> Result<()> {
    let flags = if wait { ENTER_GETEVENTS } else { 0 };
    let ret = unsafe { libc::syscall(SYS_IO_URING_ENTER, self.fd, self.to_submit, u32::from(wait), flags, std::ptr::null::<u8>(), 0usize) };
    if ret < 0 {
      let errno = last_errno();
      if errno != libc::EINTR {
        return Err(errno_error("io_uring_enter", errno));
      }
    } else {
      self.to_submit -= ret as u32;
    }
    self.reap()
  }

  fn reap(&mut self) -> Result<()> {
    let mut head = unsafe { std::ptr::read_volatile(self.cq_head) };
    let tail = unsafe { std::ptr::read_volatile(self.cq_tail) };
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    let mut unsupported = false;
    while head != tail {
      let cqe = unsafe { &*self.cqes.add((head & self.cq_mask) as usize) };
      let id = (cqe.user_data & 0xffff_ffff) as u32 as i32;
      if cqe.user_data & REMOVAL_TAG != 0 {
        // A forgotten listener's poll was removed.
      } else if cqe.user_data & POLL_TAG != 0 {
        // None for the poll of a forgotten listener, completing late.
        if let Some(&listener) = self.poll_listeners.get(&(id as u32)) {
          if cqe.flags & CQE_F_MORE == 0 {
            self.armed_polls.remove(&listener);
            self.poll_listeners.remove(&(id as u32));
          }
          if cqe.res > 0 && cqe.res & libc::POLLIN as i32 != 0 {
            self.readable.insert(listener);
          } else {
            self.hung_up.insert(listener);
          }
        }
      } else {
        // A stop to collect, or an error (ECHILD...) that waitpid will report: look either way.
        self.armed_waits.remove(&id);
        self.stopped.insert(id);
        unsupported |= cqe.res == -libc::EINVAL;
      }
      head = head.wrapping_add(1);
    }
    // Every completion read is consumed, even when one says WAITID is unknown here.
    unsafe { std::ptr::write_volatile(self.cq_head, head) };
    if unsupported {
      return Err(errno_error("io_uring WAITID (Linux 6.7 or later)", libc::EINVAL));
    }
    Ok(())
  }
}

/// Runs `body` with the ring, set up on first use; Err if this kernel has none able to wait for stops.
fn with_ring<T>(body: impl FnOnce(&mut Ring) -> Result<T>) -> Result<T> {
  RING.with(|cell| {
    let mut slot = cell.borrow_mut();
    if slot.is_none() {
      *slot = Some(Ring::new().ok());
    }
    match slot.as_mut().and_then(Option::as_mut) {
      Some(ring) => body(ring),
      None => Err(errno_error("io_uring_setup", libc::ENOSYS)),
    }
  })
}

/// Whether this kernel can multiplex stops and notifications (io_uring with WAITID): tried once.
pub fn available() -> bool {
  with_ring(|ring| {
    // A waitid on a tid that is no child of ours completes at once: ECHILD where WAITID exists, EINVAL where not.
    ring.arm_wait(i32::MAX);
    ring.enter(true)?;
    ring.stopped.remove(&i32::MAX);
    Ok(())
  })
  .is_ok()
}

/// What woke a wait: `tid` may have a stop to collect, or `listener` may have a notification.
pub enum Woken {
  Stop,
  Listener,
}

/// Blocks until `tid` may have a stop or `listener` may have a notification.
pub fn wait(tid: i32, listener: i32) -> Result<Woken> {
  with_ring(|ring| loop {
    // Completions the last enter made ready and not looked at yet (a stop and a notification at once): no syscall then.
    ring.reap()?;
    if ring.stopped.remove(&tid) {
      return Ok(Woken::Stop);
    }
    if ring.readable.remove(&listener) {
      return Ok(Woken::Listener);
    }
    if !ring.hung_up.contains(&listener) {
      ring.arm_poll(listener);
    }
    ring.arm_wait(tid);
    ring.enter(true)?;
  })
}

/// A thread is gone: drops the note that it may have a stop, which would
/// wake a wait for a later thread given its tid. A waitid still armed for
/// it stays: the kernel completes it (ECHILD once the thread is reaped),
/// which at worst wakes such a wait once for a stop that is not there.
/// Does not set the ring up.
pub fn forget(tid: i32) {
  RING.with(|cell| {
    if let Some(Some(ring)) = cell.borrow_mut().as_mut() {
      ring.stopped.remove(&tid);
    }
  });
}

/// Closes a listener, forgetting what was learnt of it and removing its poll
/// (submitted with the next wait): its number will name another file, which
/// must get a poll of its own.
pub fn close_listener(listener: i32) {
  let _ = with_ring(|ring| {
    ring.readable.remove(&listener);
    ring.hung_up.remove(&listener);
    if let Some(poll) = ring.armed_polls.remove(&listener) {
      ring.poll_listeners.remove(&poll);
      let mut sqe = Ring::blank(OP_POLL_REMOVE, -1, REMOVAL_TAG);
      sqe.addr = POLL_TAG | u64::from(poll);
      ring.push(sqe);
    }
    Ok(())
  });
  unsafe { libc::close(listener) };
}
