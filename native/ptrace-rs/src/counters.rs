//! Per-thread counters: retired user-space instructions (perf_event_open) and
//! CPU time, which the emulator turns into simulated compute.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry;
use std::fs::File;
use std::mem;
use std::os::unix::fs::FileExt;

use crate::errors::{check, errno_error, last_errno, Result};
use crate::id_map::IdMap;

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_COUNT_HW_INSTRUCTIONS: u64 = 1;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
// Bits of perf_event_attr's flag word.
const EXCLUDE_KERNEL: u64 = 1 << 5;
const EXCLUDE_HV: u64 = 1 << 6;

/// struct perf_event_attr up to PERF_ATTR_SIZE_VER5; the fields we leave zero
/// are spelled out only so the layout is the kernel's.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
  kind: u32,
  size: u32,
  config: u64,
  sample_period: u64,
  sample_type: u64,
  read_format: u64,
  flags: u64,
  wakeup_events: u32,
  bp_type: u32,
  config1: u64,
  config2: u64,
  branch_sample_type: u64,
  sample_regs_user: u64,
  sample_stack_user: u32,
  clockid: i32,
  sample_regs_intr: u64,
  aux_watermark: u32,
  sample_max_stack: u16,
  reserved: u16,
}

/// pid 0 means the calling thread.
fn open_instructions(tid: i32) -> std::result::Result<i32, i32> {
  let attr = PerfEventAttr {
    kind: PERF_TYPE_HARDWARE,
    size: mem::size_of::<PerfEventAttr>() as u32,
    config: PERF_COUNT_HW_INSTRUCTIONS,
    flags: EXCLUDE_KERNEL | EXCLUDE_HV,
    ..Default::default()
  };
  let cpu_any = -1;
  let no_group = -1;
  let ret = unsafe { libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, tid, cpu_any, no_group, PERF_FLAG_FD_CLOEXEC) };
  if ret < 0 {
    Err(last_errno())
  } else {
    Ok(ret as i32)
  }
}

thread_local! {
  static AVAILABLE: Cell<Option<bool>> = const { Cell::new(None) };
}

pub fn instructions_available() -> bool {
  AVAILABLE.with(|cached| {
    if let Some(answer) = cached.get() {
      return answer;
    }
    let answer = match open_instructions(0) {
      Ok(fd) => {
        unsafe { libc::close(fd) };
        true
      }
      Err(_) => false,
    };
    cached.set(Some(answer));
    answer
  })
}

pub fn open_instruction_counter(tid: i32) -> Result<i32> {
  open_instructions(tid).map_err(|errno| errno_error(&format!("perf_event_open(instructions, {tid})"), errno))
}

pub fn read_counter(fd: i32) -> Result<u64> {
  let mut value: u64 = 0;
  let ret = unsafe { libc::read(fd, &mut value as *mut u64 as *mut libc::c_void, mem::size_of::<u64>()) };
  check(ret, || format!("read(perf counter {fd})"))?;
  Ok(value)
}

pub fn close_counter(fd: i32) -> Result<()> {
  check(unsafe { libc::close(fd) }, || format!("close(perf counter {fd})")).map(drop)
}

thread_local! {
  /// /proc/<tid>/schedstat of each measured thread, kept open: re-reading it
  /// with pread costs one syscall instead of open, read and close.
  static SCHEDSTATS: RefCell<IdMap<i32, File>> = RefCell::new(IdMap::default());
}

fn open_schedstat(tid: i32) -> Result<File> {
  File::open(format!("/proc/{tid}/schedstat"))
    .map_err(|error| errno_error(&format!("open(/proc/{tid}/schedstat)"), error.raw_os_error().unwrap_or(libc::EIO)))
}

/// CPU time of any thread, in ns: the first field of its schedstat (time on
/// a CPU). The kernel refuses another process's per-thread CPU clock, so
/// clock_gettime cannot serve here.
pub fn thread_cpu_time_ns(tid: i32) -> Result<u64> {
  SCHEDSTATS.with(|files| {
    let mut files = files.borrow_mut();
    for attempt in 0..2 {
      let file = match files.entry(tid) {
        Entry::Occupied(kept) => kept.into_mut(),
        Entry::Vacant(slot) => slot.insert(open_schedstat(tid)?),
      };
      let mut text = [0u8; 128];
      let read = file.read_at(&mut text, 0);
      let parsed = read.ok().and_then(|length| std::str::from_utf8(&text[..length]).ok()?.split_whitespace().next()?.parse::<u64>().ok());
      match parsed {
        Some(nanoseconds) => return Ok(nanoseconds),
        // The file belonged to a thread that is gone (its tid may have been reused): open it anew once.
        None => {
          files.remove(&tid);
          if attempt == 1 {
            break;
          }
        }
      }
    }
    Err(errno_error(&format!("read(/proc/{tid}/schedstat)"), libc::ESRCH))
  })
}

/// Closes the schedstat file kept for a thread that is gone.
pub fn forget(tid: i32) {
  SCHEDSTATS.with(|files| files.borrow_mut().remove(&tid));
}
