//! The state of System V message queues and semaphore sets, and of a
//! tracee's POSIX message queue, looked at from outside without consuming
//! anything: simterpose shares its tracees' IPC namespace, so the ids they
//! use name the same objects here. A tracee whose call would sleep in the
//! kernel waits in virtual time instead, until this state says it can go on.

use std::mem;
use std::os::fd::AsRawFd;

use napi_derive::napi;

use crate::errors::Result;
use crate::fds::duplicate;

/// `msgrcv` flag (Linux): read the message at an index without removing it; needs IPC_NOWAIT.
const MSG_COPY: libc::c_int = 0o40000;

#[napi(object)]
pub struct MessageQueue {
  /// Bytes of message text in the queue (msg_cbytes).
  pub bytes: f64,
  /// Messages in the queue (msg_qnum).
  pub messages: f64,
  /// The queue's limit in bytes, which also bounds its count of messages (msg_qbytes).
  pub capacity: f64,
  /// The largest message text the system takes (msgmax).
  pub largest: f64,
  /// The type of each message, first to last; empty unless asked for.
  pub types: Vec<f64>,
}

#[napi(object)]
pub struct SemaphoreSet {
  /// semval of each semaphore of the set.
  pub values: Vec<u32>,
  /// The most operations one semop takes (semopm).
  pub max_operations: u32,
}

#[napi(object)]
pub struct PosixMessageQueue {
  /// Opened for reading (mq_receive may use it).
  pub readable: bool,
  /// Opened for writing (mq_send may use it).
  pub writable: bool,
  pub nonblocking: bool,
  /// mq_maxmsg: the messages it holds at most.
  pub capacity: f64,
  /// mq_msgsize: the largest message it takes.
  pub message_size: f64,
  /// mq_curmsgs: the messages in it now.
  pub messages: f64,
}

/// `struct msginfo` of msgctl(IPC_INFO) (the libc crate does not declare it).
#[repr(C)]
#[derive(Default)]
struct MsgInfo {
  msgpool: libc::c_int,
  msgmap: libc::c_int,
  msgmax: libc::c_int,
  msgmnb: libc::c_int,
  msgmni: libc::c_int,
  msgssz: libc::c_int,
  msgtql: libc::c_int,
  msgseg: libc::c_ushort,
}

/// `struct seminfo` of semctl(IPC_INFO).
#[repr(C)]
#[derive(Default)]
struct SemInfo {
  semmap: libc::c_int,
  semmni: libc::c_int,
  semmns: libc::c_int,
  semmnu: libc::c_int,
  semmsl: libc::c_int,
  semopm: libc::c_int,
  semume: libc::c_int,
  semusz: libc::c_int,
  semvmx: libc::c_int,
  semaem: libc::c_int,
}

/// `struct semid_ds` as Linux fills it on x86_64 for semctl(IPC_STAT): the
/// libc crate declares it for glibc but not for musl, whose own header
/// narrows `sem_nsems` to an unsigned short over the same bytes.
#[repr(C)]
struct SemidDs {
  sem_perm: libc::ipc_perm,
  sem_otime: i64,
  unused1: u64,
  sem_ctime: i64,
  unused2: u64,
  sem_nsems: u64,
  unused3: u64,
  unused4: u64,
}

/// The queue `msqid`, or `None` when this id names none we may look at (the tracee's call then fails in the kernel).
pub fn message_queue(msqid: i32, with_types: bool) -> Result<Option<MessageQueue>> {
  let mut stat: libc::msqid_ds = unsafe { mem::zeroed() };
  if unsafe { libc::msgctl(msqid, libc::IPC_STAT, &mut stat) } < 0 {
    return Ok(None);
  }
  let mut info = MsgInfo::default();
  unsafe { libc::msgctl(0, libc::IPC_INFO, &mut info as *mut MsgInfo as *mut libc::msqid_ds) };
  let largest = info.msgmax.max(0) as usize;
  let mut types = Vec::new();
  if with_types {
    // Each message copied by index, with a buffer as large as any message may be (MSG_COPY refuses to cut one).
    let mut buffer = vec![0u8; mem::size_of::<libc::c_long>() + largest];
    for index in 0..stat.msg_qnum as libc::c_long {
      let flags = libc::IPC_NOWAIT | MSG_COPY | libc::MSG_NOERROR;
      let got = unsafe { libc::msgrcv(msqid, buffer.as_mut_ptr() as *mut libc::c_void, largest, index, flags) };
      if got < 0 {
        break;
      }
      let mtype = libc::c_long::from_ne_bytes(buffer[..mem::size_of::<libc::c_long>()].try_into().unwrap());
      types.push(mtype as f64);
    }
  }
  Ok(Some(MessageQueue {
    bytes: stat.__msg_cbytes as f64,
    messages: stat.msg_qnum as f64,
    capacity: stat.msg_qbytes as f64,
    largest: largest as f64,
    types,
  }))
}

/// The semaphore set `semid`, or `None` when this id names none we may look at.
pub fn semaphore_set(semid: i32) -> Result<Option<SemaphoreSet>> {
  let mut stat: SemidDs = unsafe { mem::zeroed() };
  if unsafe { libc::semctl(semid, 0, libc::IPC_STAT, &mut stat as *mut SemidDs) } < 0 {
    return Ok(None);
  }
  let mut values = vec![0u16; stat.sem_nsems as usize];
  if unsafe { libc::semctl(semid, 0, libc::GETALL, values.as_mut_ptr()) } < 0 {
    return Ok(None);
  }
  let mut info = SemInfo::default();
  unsafe { libc::semctl(0, 0, libc::IPC_INFO, &mut info as *mut SemInfo) };
  Ok(Some(SemaphoreSet { values: values.into_iter().map(u32::from).collect(), max_operations: info.semopm.max(0) as u32 }))
}

/// What the POSIX message queue behind a tracee's `fd` holds and allows, or
/// `None` when `fd` is no message queue descriptor of it.
pub fn posix_message_queue(pid: i32, fd: i32) -> Result<Option<PosixMessageQueue>> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Ok(None);
  };
  let raw = copy.as_raw_fd();
  let mut attributes: libc::mq_attr = unsafe { mem::zeroed() };
  if unsafe { libc::syscall(libc::SYS_mq_getsetattr, raw, std::ptr::null::<libc::mq_attr>(), &mut attributes) } < 0 {
    return Ok(None);
  }
  let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
  let access = flags & libc::O_ACCMODE;
  Ok(Some(PosixMessageQueue {
    readable: access == libc::O_RDONLY || access == libc::O_RDWR,
    writable: access == libc::O_WRONLY || access == libc::O_RDWR,
    nonblocking: flags & libc::O_NONBLOCK != 0,
    capacity: attributes.mq_maxmsg as f64,
    message_size: attributes.mq_msgsize as f64,
    messages: attributes.mq_curmsgs as f64,
  }))
}
