//! Looking at a tracee's descriptors from outside: pidfd_getfd hands us a
//! duplicate of the same open file, which we examine and close without
//! reading from it, so the tracee sees no difference.

use std::cell::RefCell;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use napi_derive::napi;

use crate::errors::{errno_error, last_errno, Result};
use crate::id_map::IdMap;

#[napi(object)]
pub struct FdInfo {
  #[napi(ts_type = "'file' | 'dir' | 'pipe' | 'socket' | 'tty' | 'char' | 'block' | 'mqueue' | 'signalfd' | 'other'")]
  pub kind: String,
  pub ino: f64,
  pub dev: f64,
  /// Ready for reading now (poll POLLIN, timeout 0).
  pub readable: bool,
  /// Ready for writing now (poll POLLOUT).
  pub writable: bool,
  /// POLLHUP or POLLERR: the other end is gone.
  pub hangup: bool,
  pub nonblocking: bool,
  /// FIONREAD for pipes and sockets, else 0.
  pub available: f64,
  /// F_GETPIPE_SZ for pipes, else 0.
  pub capacity: f64,
}

#[napi(object)]
pub struct TraceeFd {
  pub pid: i32,
  pub fd: i32,
}

thread_local! {
  static PIDFDS: RefCell<IdMap<i32, OwnedFd>> = RefCell::new(IdMap::default());
}

/// PIDFD_THREAD (Linux 6.9): a pidfd of one thread, not only of a thread-group leader.
const PIDFD_THREAD: libc::c_long = libc::O_EXCL as libc::c_long;

/// A pidfd of the tracee thread `tid`, kept until the thread is forgotten.
/// Any live thread of a process gives its descriptors: once the leader has
/// exited (pthread_exit in main), its zombie has none, and the others must
/// be asked. Kernels before 6.9 take leaders only.
fn pidfd(tid: i32) -> Result<i32> {
  if let Some(fd) = PIDFDS.with(|map| map.borrow().get(&tid).map(|fd| fd.as_raw_fd())) {
    return Ok(fd);
  }
  let mut ret = unsafe { libc::syscall(libc::SYS_pidfd_open, tid, PIDFD_THREAD) };
  if ret < 0 && last_errno() == libc::EINVAL {
    ret = unsafe { libc::syscall(libc::SYS_pidfd_open, tid, 0) };
  }
  if ret < 0 {
    return Err(errno_error(&format!("pidfd_open({tid})"), last_errno()));
  }
  let fd = unsafe { OwnedFd::from_raw_fd(ret as i32) };
  let raw = fd.as_raw_fd();
  PIDFDS.with(|map| map.borrow_mut().insert(tid, fd));
  Ok(raw)
}

/// Drops the pidfd kept for a process or thread that is gone.
pub fn forget_process(id: i32) {
  PIDFDS.with(|map| map.borrow_mut().remove(&id));
}

/// Our duplicate of the tracee's `fd`, or `None` if the tracee has no such descriptor.
pub fn duplicate(pid: i32, fd: i32) -> Result<Option<OwnedFd>> {
  let ret = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd(pid)?, fd, 0) };
  if ret >= 0 {
    return Ok(Some(unsafe { OwnedFd::from_raw_fd(ret as i32) }));
  }
  match last_errno() {
    libc::EBADF => Ok(None),
    errno => Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), errno)),
  }
}

/// Our duplicate of the tracee's `fd` and what fstat says of it; `None` when there is no such descriptor.
fn duplicate_with_stat(pid: i32, fd: i32) -> Result<Option<(OwnedFd, libc::stat)>> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Ok(None);
  };
  let mut stat: libc::stat = unsafe { mem::zeroed() };
  if unsafe { libc::fstat(copy.as_raw_fd(), &mut stat) } < 0 {
    return Err(errno_error(&format!("fstat(fd {fd} of {pid})"), last_errno()));
  }
  Ok(Some((copy, stat)))
}

pub fn inspect(pid: i32, fd: i32) -> Result<Option<FdInfo>> {
  let Some((copy, stat)) = duplicate_with_stat(pid, fd)? else {
    return Ok(None);
  };
  let raw = copy.as_raw_fd();
  let kind = match stat.st_mode & libc::S_IFMT {
    libc::S_IFREG if is_message_queue(raw) => "mqueue",
    libc::S_IFREG => "file",
    libc::S_IFDIR => "dir",
    libc::S_IFIFO => "pipe",
    libc::S_IFSOCK => "socket",
    libc::S_IFCHR if is_terminal(raw) => "tty",
    libc::S_IFCHR => "char",
    libc::S_IFBLK => "block",
    _ if is_signalfd(raw) => "signalfd",
    _ => "other",
  };
  let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
  let revents = poll_now(raw, libc::POLLIN | libc::POLLOUT);
  let available = if matches!(kind, "pipe" | "socket") { bytes_available(raw) } else { 0 };
  let capacity = if kind == "pipe" { unsafe { libc::fcntl(raw, libc::F_GETPIPE_SZ) }.max(0) } else { 0 };
  Ok(Some(FdInfo {
    kind: kind.to_string(),
    ino: stat.st_ino as f64,
    dev: stat.st_dev as f64,
    readable: revents & libc::POLLIN != 0,
    writable: revents & libc::POLLOUT != 0,
    hangup: revents & (libc::POLLHUP | libc::POLLERR) != 0,
    nonblocking: flags >= 0 && flags & libc::O_NONBLOCK != 0,
    available: available as f64,
    capacity: capacity as f64,
  }))
}

pub fn passes_credentials(pid: i32, fd: i32) -> Result<bool> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Ok(false);
  };
  let mut on: libc::c_int = 0;
  let mut length = mem::size_of::<libc::c_int>() as libc::socklen_t;
  let ret = unsafe { libc::getsockopt(copy.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PASSCRED, (&raw mut on).cast(), &mut length) };
  // ENOTSOCK: no socket, nothing it receives carries credentials.
  Ok(ret == 0 && on != 0)
}

/// The magic number of the mqueue file system (linux/magic.h).
const MQUEUE_MAGIC: libc::c_long = 0x1980_0202;

/// A POSIX message queue's descriptor looks like a regular file's, but it
/// polls like a pipe: readable while it holds a message, writable while it has room.
fn is_message_queue(fd: i32) -> bool {
  let mut fs: libc::statfs = unsafe { mem::zeroed() };
  unsafe { libc::fstatfs(fd, &mut fs) == 0 && fs.f_type as libc::c_long == MQUEUE_MAGIC }
}

/// Every anonymous descriptor (eventfd, timerfd, epoll, signalfd...) shares one
/// inode; only the name of its link tells a signalfd, whose readiness the
/// mediator must compute from the tracee's pending signals, not from ours.
fn is_signalfd(fd: i32) -> bool {
  std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok_and(|name| name.as_os_str() == "anon_inode:[signalfd]")
}

fn is_terminal(fd: i32) -> bool {
  let mut termios: libc::termios = unsafe { mem::zeroed() };
  let ret = unsafe { libc::ioctl(fd, libc::TCGETS, &mut termios) };
  ret == 0
}

fn bytes_available(fd: i32) -> i32 {
  let mut count: libc::c_int = 0;
  if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) } < 0 {
    return 0;
  }
  count
}

fn poll_now(fd: i32, events: libc::c_short) -> libc::c_short {
  let mut entry = libc::pollfd { fd, events, revents: 0 };
  if unsafe { libc::poll(&mut entry, 1, 0) } <= 0 {
    return 0;
  }
  entry.revents
}

/// Blocks until one of the descriptors is readable (or hung up), or the timeout
/// passes; returns the indexes of the ready ones. A descriptor the tracee no
/// longer has counts as ready, so the caller looks at it again.
pub fn wait_for_input(fds: &[TraceeFd], timeout_ms: i32) -> Result<Vec<u32>> {
  let mut copies = Vec::with_capacity(fds.len());
  let mut gone = Vec::new();
  for (index, entry) in fds.iter().enumerate() {
    match duplicate(entry.pid, entry.fd)? {
      Some(copy) => copies.push((index as u32, copy)),
      None => gone.push(index as u32),
    }
  }
  if !gone.is_empty() {
    return Ok(gone);
  }
  let mut polled: Vec<libc::pollfd> =
    copies.iter().map(|(_, copy)| libc::pollfd { fd: copy.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
  let deadline = (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
  loop {
    let wait_ms = match deadline {
      None => -1,
      Some(deadline) => {
        let left = deadline.saturating_duration_since(Instant::now());
        left.as_millis().min(i32::MAX as u128) as i32
      }
    };
    let ret = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, wait_ms) };
    if ret >= 0 {
      break;
    }
    let errno = last_errno();
    if errno != libc::EINTR {
      return Err(errno_error("poll(tracee descriptors)", errno));
    }
  }
  let ready_mask = libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
  Ok(copies.iter().zip(&polled).filter(|(_, entry)| entry.revents & ready_mask != 0).map(|((index, _), _)| *index).collect())
}

/// `_IOW('T', 0, u64)`: sets a timerfd's expiration count (CONFIG_CHECKPOINT_RESTORE).
const TFD_IOC_SET_TICKS: libc::Ioctl = 0x4008_5400;

/// Makes a tracee's timerfd report `ticks` expirations (readable when > 0), or,
/// with 0, disarms it and clears its count. The kernel timer itself never runs:
/// expirations happen in virtual time and are set from outside.
pub fn set_timer_ticks(pid: i32, fd: i32, ticks: f64, tag: f64) -> Result<()> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let raw = copy.as_raw_fd();
  if ticks <= 0.0 {
    let mut disarmed: libc::itimerspec = unsafe { mem::zeroed() };
    disarmed.it_interval.tv_sec = tag as _;
    if unsafe { libc::timerfd_settime(raw, 0, &disarmed, std::ptr::null_mut()) } < 0 {
      return Err(errno_error(&format!("timerfd_settime(fd {fd} of {pid})"), last_errno()));
    }
    return Ok(());
  }
  let count: u64 = ticks as u64;
  if unsafe { libc::ioctl(raw, TFD_IOC_SET_TICKS, &count) } < 0 {
    return Err(errno_error(&format!("ioctl(fd {fd} of {pid}, TFD_IOC_SET_TICKS)"), last_errno()));
  }
  Ok(())
}

/// Sets or clears O_NONBLOCK on the open file behind a tracee's descriptor
/// (shared with every descriptor duplicated from it); returns the previous
/// setting. Used around one syscall while every other tracee is stopped.
pub fn set_nonblocking(pid: i32, fd: i32, nonblocking: bool) -> Result<bool> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let raw = copy.as_raw_fd();
  let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
  if flags < 0 {
    return Err(errno_error(&format!("fcntl(fd {fd} of {pid}, F_GETFL)"), last_errno()));
  }
  let wanted = if nonblocking { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
  if wanted != flags && unsafe { libc::fcntl(raw, libc::F_SETFL, wanted) } < 0 {
    return Err(errno_error(&format!("fcntl(fd {fd} of {pid}, F_SETFL)"), last_errno()));
  }
  Ok(flags & libc::O_NONBLOCK != 0)
}

/// What sendfile and splice need to know of a descriptor before moving its bytes.
#[napi(object)]
pub struct FileSource {
  /// Opened for reading (not O_WRONLY).
  pub readable: bool,
  /// Opened for writing (not O_RDONLY): splice checks both ends' modes.
  pub writable: bool,
  /// A regular file: its bytes can be read at any offset, as a page cache's are.
  pub regular: bool,
  pub size: f64,
  /// The open file's offset; -1 where it has none (a pipe, a socket).
  pub position: f64,
}

/// How sendfile would see the tracee's `fd`; `None` when there is no such descriptor.
pub fn file_source(pid: i32, fd: i32) -> Result<Option<FileSource>> {
  let Some((copy, stat)) = duplicate_with_stat(pid, fd)? else {
    return Ok(None);
  };
  let raw = copy.as_raw_fd();
  let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
  let position = unsafe { libc::lseek(raw, 0, libc::SEEK_CUR) };
  Ok(Some(FileSource {
    readable: flags >= 0 && flags & libc::O_ACCMODE != libc::O_WRONLY,
    writable: flags >= 0 && flags & libc::O_ACCMODE != libc::O_RDONLY,
    regular: stat.st_mode & libc::S_IFMT == libc::S_IFREG,
    size: stat.st_size as f64,
    position: if position < 0 { -1.0 } else { position as f64 },
  }))
}

/// Fills `target` from the tracee's file `fd` at `position` (pread: the
/// file's offset stays); how many bytes there were before the end.
pub fn read_file_at(pid: i32, fd: i32, position: f64, target: &mut [u8]) -> Result<usize> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let mut filled = 0;
  while filled < target.len() {
    let rest = &mut target[filled..];
    let n = unsafe { libc::pread(copy.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len(), position as libc::off_t + filled as libc::off_t) };
    if n < 0 {
      let errno = last_errno();
      if errno == libc::EINTR {
        continue;
      }
      return Err(errno_error(&format!("pread(fd {fd} of {pid})"), errno));
    }
    if n == 0 {
      break;
    }
    filled += n as usize;
  }
  Ok(filled)
}

/// Moves the offset of the open file behind the tracee's `fd` (shared with its duplicates) to `position`.
pub fn set_file_offset(pid: i32, fd: i32, position: f64) -> Result<()> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  if unsafe { libc::lseek(copy.as_raw_fd(), position as libc::off_t, libc::SEEK_SET) } < 0 {
    return Err(errno_error(&format!("lseek(fd {fd} of {pid})"), last_errno()));
  }
  Ok(())
}

/// Up to `max` bytes of the directory entries (struct linux_dirent64) that
/// getdents64 on the tracee's `fd` would give now, moving its position past
/// them as that call would.
pub fn read_directory(pid: i32, fd: i32, max: u32) -> Result<Vec<u8>> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let mut entries = vec![0u8; max as usize];
  let n = unsafe { libc::syscall(libc::SYS_getdents64, copy.as_raw_fd(), entries.as_mut_ptr(), entries.len()) };
  if n < 0 {
    return Err(errno_error(&format!("getdents64(fd {fd} of {pid})"), last_errno()));
  }
  entries.truncate(n as usize);
  Ok(entries)
}

/// Takes up to `target.len()` bytes from the tracee's pipe `fd` (a read on
/// our duplicate, as the tracee's own read would take them); how many came.
/// The caller asks for no more than the pipe holds, so this never waits.
pub fn read_pipe(pid: i32, fd: i32, target: &mut [u8]) -> Result<usize> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let mut filled = 0;
  while filled < target.len() {
    let rest = &mut target[filled..];
    let n = unsafe { libc::read(copy.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
    if n < 0 {
      match last_errno() {
        libc::EINTR => continue,
        libc::EAGAIN => break,
        errno => return Err(errno_error(&format!("read(fd {fd} of {pid})"), errno)),
      }
    }
    if n == 0 {
      break;
    }
    filled += n as usize;
  }
  Ok(filled)
}

/// Puts what fits of `data` into the tracee's pipe `fd` without waiting (its
/// open file is non-blocking for the write only); how many bytes went.
pub fn write_pipe(pid: i32, fd: i32, data: &[u8]) -> Result<usize> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let raw = copy.as_raw_fd();
  let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
  if flags < 0 || unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
    return Err(errno_error(&format!("fcntl(fd {fd} of {pid})"), last_errno()));
  }
  let mut written = 0;
  let mut failure = None;
  while written < data.len() {
    let rest = &data[written..];
    let n = unsafe { libc::write(raw, rest.as_ptr().cast(), rest.len()) };
    if n < 0 {
      match last_errno() {
        libc::EINTR => continue,
        libc::EAGAIN => {}
        errno => failure = Some(errno),
      }
      break;
    }
    written += n as usize;
  }
  unsafe { libc::fcntl(raw, libc::F_SETFL, flags) };
  match failure {
    Some(errno) => Err(errno_error(&format!("write(fd {fd} of {pid})"), errno)),
    None => Ok(written),
  }
}
