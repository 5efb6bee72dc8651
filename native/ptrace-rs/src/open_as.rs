//! Opening a file on a tracee's behalf. A notified open cannot have its path
//! argument rewritten, so the mediator opens the file meant for the program
//! itself and installs it in the tracee (notify.rs). The kernel must then
//! grant or refuse the open as it would the tracee: when the tracee's
//! credentials differ from the mediator's (a root mediator, a tracee that
//! dropped its privileges), the open is made on a thread of its own that
//! takes the tracee's filesystem ids, groups and effective capabilities
//! first. Credentials are per thread in the kernel; the raw syscalls below
//! change only the calling thread (glibc's setgroups would change them all).

use std::ffi::CString;
use std::io::Read;
use std::sync::OnceLock;

use crate::errors::{invalid, last_errno, Result};

/// capget/capset's header and data (linux/capability.h, version 3: two 32-bit words per set).
#[repr(C)]
struct CapHeader {
  version: u32,
  pid: i32,
}
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
  effective: u32,
  permitted: u32,
  inheritable: u32,
}
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// The lines of /proc/TID/status that decide what an open may reach.
const CREDENTIAL_LINES: [&str; 4] = ["Uid:", "Gid:", "Groups:", "CapEff:"];
/// More than a /proc/TID/status holds (1.5 KiB on Linux 6).
const STATUS_ROOM: usize = 4096;

/// Opens `path` as thread `tid` would with open(2)'s `flags` and `mode`
/// (close-on-exec on the mediator's side): the new descriptor, or a negative errno.
pub fn open_as(tid: i32, path: &str, flags: i32, mode: u32) -> Result<i64> {
  let path = CString::new(path).map_err(|_| invalid("openAs", "the path holds a NUL byte"))?;
  let theirs = credentials(&tid.to_string());
  match (own_credentials(), theirs) {
    (Some(ours), Some(theirs)) if *ours != theirs => Ok(std::thread::scope(|scope| {
      scope
        .spawn(|| {
          take_credentials(&theirs);
          open(&path, flags, mode)
        })
        .join()
        .unwrap_or(-(libc::EIO as i64))
    })),
    // Gone meanwhile: the open is as good as any, its thread never sees it.
    _ => Ok(open(&path, flags, mode)),
  }
}

/// O_NOCTTY: a terminal the program opens must not become the mediator's.
/// A FIFO (reached through /proc/PID/fd/N) is opened without waiting for
/// its other end, then made blocking as asked: the mediator must never wait
/// on a program's behalf, or every tracee would wait with it. A blocking
/// open reaches here only once the other end is open (fifo-opens.ts waits
/// for it in virtual time), where the kernel gives the same descriptor
/// either way; this keeps the mediator from waiting even if it is not.
fn open(path: &CString, flags: i32, mode: u32) -> i64 {
  let waits_for_peer = flags & libc::O_NONBLOCK == 0 && is_fifo(path);
  let opening = if waits_for_peer { flags | libc::O_NONBLOCK } else { flags };
  let fd = unsafe { libc::open(path.as_ptr(), opening | libc::O_CLOEXEC | libc::O_NOCTTY, mode) };
  if fd < 0 {
    return -(last_errno() as i64);
  }
  if waits_for_peer {
    unsafe {
      let status = libc::fcntl(fd, libc::F_GETFL);
      libc::fcntl(fd, libc::F_SETFL, status & !libc::O_NONBLOCK);
    }
  }
  fd as i64
}

/// Whether `path`, links followed, names a FIFO (false if it names nothing).
fn is_fifo(path: &CString) -> bool {
  let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
  let found = unsafe { libc::stat(path.as_ptr(), stat.as_mut_ptr()) } == 0;
  found && unsafe { stat.assume_init() }.st_mode & libc::S_IFMT == libc::S_IFIFO
}

/// The mediator's own credential lines: its thread's, read once, as nothing
/// in the mediator changes them (a thread of `open_as` takes a tracee's,
/// and ends).
fn own_credentials() -> Option<&'static Vec<String>> {
  static OURS: OnceLock<Option<Vec<String>>> = OnceLock::new();
  OURS.get_or_init(|| credentials("thread-self")).as_ref()
}

/// The credential lines of /proc/`task`/status, in order; None if it is gone.
fn credentials(task: &str) -> Option<Vec<String>> {
  // Room for the whole file at once: grown from nothing, the buffer would take it in a dozen reads.
  let mut status = String::with_capacity(STATUS_ROOM);
  std::fs::File::open(format!("/proc/{task}/status")).ok()?.read_to_string(&mut status).ok()?;
  let lines = status.lines().filter(|line| CREDENTIAL_LINES.iter().any(|name| line.starts_with(name)));
  Some(lines.map(str::to_owned).collect())
}

/// The fourth id of a Uid: or Gid: line (the filesystem one).
fn fs_id(lines: &[String], name: &str) -> Option<u32> {
  lines.iter().find(|line| line.starts_with(name))?.split_whitespace().nth(4)?.parse().ok()
}

/// This thread takes the tracee's filesystem ids, groups and effective
/// capabilities (those it holds itself: a mediator cannot lend what it lacks,
/// and a traced exec gains none). A step refused leaves the thread's own.
fn take_credentials(lines: &[String]) {
  let groups: Vec<libc::gid_t> = lines
    .iter()
    .find(|line| line.starts_with("Groups:"))
    .map(|line| line.split_whitespace().skip(1).filter_map(|group| group.parse().ok()).collect())
    .unwrap_or_default();
  let effective =
    lines.iter().find(|line| line.starts_with("CapEff:")).and_then(|line| u64::from_str_radix(line.split_whitespace().nth(1)?, 16).ok()).unwrap_or(0);
  unsafe {
    libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr());
    if let Some(gid) = fs_id(lines, "Gid:") {
      libc::syscall(libc::SYS_setfsgid, gid);
    }
    if let Some(uid) = fs_id(lines, "Uid:") {
      libc::syscall(libc::SYS_setfsuid, uid);
    }
    let mut header = CapHeader { version: CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) == 0 {
      for (index, word) in data.iter_mut().enumerate() {
        word.effective = (effective >> (32 * index)) as u32 & word.permitted;
      }
      libc::syscall(libc::SYS_capset, &header, data.as_ptr());
    }
  }
}
