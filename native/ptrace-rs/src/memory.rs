//! Tracee memory, copied with process_vm_readv/writev, which honour page
//! protections as the kernel's own copies for a syscall do: a program that
//! hands over a read-only buffer to be written, or a PROT_NONE one to be
//! read, gets EFAULT, as on Linux. /proc/<pid>/mem, which reads and writes
//! through protections as a debugger does, serves only where
//! process_vm_readv/writev cannot be used at all (a kernel without them, or
//! one that refuses them).

use std::cell::RefCell;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use crate::errors::{errno_error, last_errno, Result};

const PAGE_SIZE: u64 = 4096;

/// The kernel copies with `rep movsb` on CPUs that do it fast (FSRM). On
/// some (AMD EPYC here), it runs four to five times slower when the
/// destination lies 1 to 31 bytes after the source, counted within a page:
/// 64 KiB took 28-30 µs instead of 6-8. The distance between the tracee's
/// buffer and ours is chance (a stream's ring, a heap's layout), so a copy
/// that falls in that band goes through a bounce buffer placed at the
/// tracee's own offset in a page, plus a copy in user space (whose memcpy
/// avoids the slow case): a second, cheap copy, not a slow one. The band
/// checked is twice as wide as the one measured.
const SLOW_DISTANCES: u64 = 64;

/// Bounced copies go in pieces of this size at most, so that the buffer stays small.
const BOUNCE_PIECE: usize = 256 * 1024;

const BOUNCE_SHIFT: u64 = PAGE_SIZE / 2;

thread_local! {
  static BOUNCE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Whether a kernel copy to `destination` from `source` falls in the slow band.
fn slow_distance(destination: u64, source: u64) -> bool {
  let distance = destination.wrapping_sub(source) % PAGE_SIZE;
  distance != 0 && distance < SLOW_DISTANCES
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
  Read,
  Write,
}

/// Transfers as much as process_vm_readv/writev will; returns the byte count.
fn transfer_fast(pid: i32, addr: u64, local: *mut u8, len: usize, direction: Direction) -> Result<usize> {
  let (destination, source) = match direction {
    Direction::Read => (local as u64, addr),
    Direction::Write => (addr, local as u64),
  };
  if slow_distance(destination, source) {
    transfer_bounced(pid, addr, local, len, direction)
  } else {
    transfer_vm(pid, addr, local, len, direction)
  }
}

/// The same through the bounce buffer, at the tracee's offset in a page, a piece at a time.
fn transfer_bounced(pid: i32, addr: u64, local: *mut u8, len: usize, direction: Direction) -> Result<usize> {
  BOUNCE.with(|bounce| {
    let mut bounce = bounce.borrow_mut();
    let mut done = 0;
    while done < len {
      let at = addr + done as u64;
      let piece = (len - done).min(BOUNCE_PIECE);
      let needed = piece + PAGE_SIZE as usize;
      if bounce.len() < needed {
        bounce.resize(needed, 0);
      }
      let base = bounce.as_mut_ptr() as u64;
      let start = ((at % PAGE_SIZE + BOUNCE_SHIFT + PAGE_SIZE - base % PAGE_SIZE) % PAGE_SIZE) as usize;
      let staging = &mut bounce[start..start + piece];
      // SAFETY: `local` holds `len` bytes (the caller's slice), of which these are `piece` past `done`.
      let moved = match direction {
        Direction::Read => {
          let moved = transfer_vm(pid, at, staging.as_mut_ptr(), piece, direction)?;
          let ours = unsafe { std::slice::from_raw_parts_mut(local.add(done), moved) };
          ours.copy_from_slice(&staging[..moved]);
          moved
        }
        Direction::Write => {
          staging.copy_from_slice(unsafe { std::slice::from_raw_parts(local.add(done), piece) });
          transfer_vm(pid, at, staging.as_mut_ptr(), piece, direction)?
        }
      };
      done += moved;
      if moved < piece {
        break;
      }
    }
    Ok(done)
  })
}

/// One process_vm_readv/writev; returns the byte count.
fn transfer_vm(pid: i32, addr: u64, local: *mut u8, len: usize, direction: Direction) -> Result<usize> {
  let local_iov = libc::iovec { iov_base: local as *mut libc::c_void, iov_len: len };
  let remote_iov = libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len };
  let ret = unsafe {
    match direction {
      Direction::Read => libc::process_vm_readv(pid, &local_iov, 1, &remote_iov, 1, 0),
      Direction::Write => libc::process_vm_writev(pid, &local_iov, 1, &remote_iov, 1, 0),
    }
  };
  if ret >= 0 {
    return Ok(ret as usize);
  }
  match last_errno() {
    // Nothing transferred from the first page on: the program's bad address.
    libc::EFAULT => Ok(0),
    libc::EPERM | libc::ENOSYS => Err(unavailable()),
    errno => Err(errno_error(&format!("{}({pid}, {addr:#x})", direction.call()), errno)),
  }
}

impl Direction {
  fn call(self) -> &'static str {
    match self {
      Direction::Read => "process_vm_readv",
      Direction::Write => "process_vm_writev",
    }
  }
}

/// Transfers through /proc/<pid>/mem; returns the byte count done before a fault.
fn transfer_proc_mem(pid: i32, addr: u64, buf: &mut [u8], direction: Direction) -> Result<usize> {
  let path = format!("/proc/{pid}/mem");
  let file = OpenOptions::new()
    .read(direction == Direction::Read)
    .write(direction == Direction::Write)
    .open(&path)
    .map_err(|err| errno_error(&format!("open({path})"), err.raw_os_error().unwrap_or(libc::EIO)))?;
  let mut done = 0;
  while done < buf.len() {
    let at = addr + done as u64;
    let ret = match direction {
      Direction::Read => file.read_at(&mut buf[done..], at),
      Direction::Write => file.write_at(&buf[done..], at),
    };
    match ret {
      Ok(0) => break,
      Ok(n) => done += n,
      Err(err) if err.raw_os_error() == Some(libc::EINTR) => {}
      Err(_) => break,
    }
  }
  Ok(done)
}

/// The marker of a copy process_vm_readv/writev cannot make at all (not a fault).
const UNAVAILABLE: &str = "UNAVAILABLE";

fn unavailable() -> crate::errors::Error {
  napi::Error::new(UNAVAILABLE.to_string(), String::new())
}

fn is_unavailable(error: &crate::errors::Error) -> bool {
  error.status == UNAVAILABLE
}

fn fault(pid: i32, addr: u64, direction: Direction) -> crate::errors::Error {
  errno_error(&format!("{}({pid}, {addr:#x})", direction.call()), libc::EFAULT)
}

/// Fills `buf` from the tracee's memory at `addr`.
/// Throws EFAULT naming the first address that could not be read.
pub fn read_into(pid: i32, addr: u64, buf: &mut [u8]) -> Result<()> {
  let len = buf.len();
  let done = match transfer_fast(pid, addr, buf.as_mut_ptr(), len, Direction::Read) {
    Err(error) if is_unavailable(&error) => transfer_proc_mem(pid, addr, buf, Direction::Read)?,
    other => other?,
  };
  if done < len {
    return Err(fault(pid, addr + done as u64, Direction::Read));
  }
  Ok(())
}

/// Throws EFAULT naming the first address that could not be written (those before it were).
pub fn write(pid: i32, addr: u64, data: &[u8]) -> Result<()> {
  let len = data.len();
  let done = match transfer_fast(pid, addr, data.as_ptr() as *mut u8, len, Direction::Write) {
    Err(error) if is_unavailable(&error) => transfer_proc_mem(pid, addr, &mut data.to_vec(), Direction::Write)?,
    other => other?,
  };
  if done < len {
    return Err(fault(pid, addr + done as u64, Direction::Write));
  }
  Ok(())
}

/// Reads the C string at `addr` into `buf`, one page at a time, so that a
/// string ending just before an unmapped page reads fine; returns its length
/// (up to the NUL, excluded), or `buf`'s length when no NUL came first.
pub fn read_c_string_into(pid: i32, addr: u64, buf: &mut [u8]) -> Result<usize> {
  let mut filled = 0;
  while filled < buf.len() {
    let at = addr + filled as u64;
    let to_page_end = (PAGE_SIZE - at % PAGE_SIZE) as usize;
    let end = filled + to_page_end.min(buf.len() - filled);
    let chunk = &mut buf[filled..end];
    read_into(pid, at, chunk)?;
    if let Some(nul) = chunk.iter().position(|&b| b == 0) {
      return Ok(filled + nul);
    }
    filled += chunk.len();
  }
  Ok(filled)
}
