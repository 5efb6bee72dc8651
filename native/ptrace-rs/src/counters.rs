//! Per-thread counters: retired user-space instructions (perf_event_open) and
//! CPU time, which the emulator turns into simulated compute.

use std::cell::Cell;
use std::mem;

use crate::errors::{check, errno_error, last_errno, Result};

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
  let ret = unsafe {
    libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, tid, cpu_any, no_group, PERF_FLAG_FD_CLOEXEC)
  };
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

/// The kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED).
fn thread_cpu_clock(tid: i32) -> libc::clockid_t {
  const CPUCLOCK_PERTHREAD: libc::clockid_t = 4;
  const CPUCLOCK_SCHED: libc::clockid_t = 2;
  (!tid << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED
}

pub fn thread_cpu_time_ns(tid: i32) -> Result<u64> {
  let mut time: libc::timespec = unsafe { mem::zeroed() };
  if unsafe { libc::clock_gettime(thread_cpu_clock(tid), &mut time) } == 0 {
    return Ok(time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64);
  }
  let clock_errno = last_errno();
  // The first field of schedstat is the time spent on the CPU, in ns.
  std::fs::read_to_string(format!("/proc/{tid}/schedstat"))
    .ok()
    .and_then(|text| text.split_whitespace().next()?.parse().ok())
    .ok_or_else(|| errno_error(&format!("clock_gettime(thread CPU clock of {tid})"), clock_errno))
}
