//! The mediator's own hold on a tracee's loopback socket, for address
//! translation: a pidfd_getfd duplicate of the same open file, kept open, on
//! which the mediator binds, listens, connects, and moves bytes without
//! stopping the tracee. Every call is non-blocking (MSG_DONTWAIT) except the
//! short waits for loopback work the kernel finishes on its own.

use std::mem;
use std::os::fd::IntoRawFd;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::errors::{errno_error, last_errno, Result};
use crate::fds::duplicate;

/// How long the kernel may take to finish loopback work (a handshake, a
/// segment's way to its receiver) before it counts as a failure.
const LOOPBACK_PATIENCE: Duration = Duration::from_secs(5);

#[napi(object)]
pub struct ReceivedBytes {
  pub data: Buffer,
  /// The datagram's full length (MSG_TRUNC), or data.length for a stream.
  pub length: u32,
}

/// The loopback address of the held socket's own family, on `port`: 127.0.0.1
/// for an AF_INET socket, ::1 for an AF_INET6 one (which carries IPv6's larger
/// datagrams). Returns the address, its length, and how it reads in errors.
fn loopback(fd: i32, port: u16) -> (libc::sockaddr_storage, u32, String) {
  let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
  if domain(fd) == libc::AF_INET6 {
    let address = unsafe { &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in6) };
    address.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    address.sin6_port = port.to_be();
    address.sin6_addr.s6_addr[15] = 1;
    return (storage, mem::size_of::<libc::sockaddr_in6>() as u32, format!("[::1]:{port}"));
  }
  let address = unsafe { &mut *(&mut storage as *mut _ as *mut libc::sockaddr_in) };
  address.sin_family = libc::AF_INET as libc::sa_family_t;
  address.sin_port = port.to_be();
  address.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
  (storage, mem::size_of::<libc::sockaddr_in>() as u32, format!("127.0.0.1:{port}"))
}

/// The socket's address family (SO_DOMAIN).
fn domain(fd: i32) -> i32 {
  let mut value: i32 = 0;
  let mut length = mem::size_of::<i32>() as u32;
  unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_DOMAIN, &mut value as *mut i32 as *mut libc::c_void, &mut length) };
  value
}

fn set_int_option(fd: i32, level: i32, name: i32, value: i32) -> i32 {
  unsafe { libc::setsockopt(fd, level, name, &value as *const i32 as *const libc::c_void, mem::size_of::<i32>() as u32) }
}

/// A duplicate of the tracee's socket `fd`, kept by the caller until `closeHeld`,
/// bound to its family's loopback address on a port the kernel picks, with buffers of `bufferBytes`
/// each way (forced past the system maximum when allowed, so that the kernel
/// holds at least what the virtual connection lets be in flight). Returns the fd.
pub fn hold(pid: i32, fd: i32, buffer_bytes: i32) -> Result<i32> {
  let Some(copy) = duplicate(pid, fd)? else {
    return Err(errno_error(&format!("pidfd_getfd({pid}, {fd})"), libc::EBADF));
  };
  let raw = copy.into_raw_fd();
  for (forced, plain) in [(libc::SO_SNDBUFFORCE, libc::SO_SNDBUF), (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF)] {
    if set_int_option(raw, libc::SOL_SOCKET, forced, buffer_bytes) < 0 {
      set_int_option(raw, libc::SOL_SOCKET, plain, buffer_bytes);
    }
  }
  // The virtual connection decides when bytes go, Nagle's algorithm included: the kernel's own
  // Nagle and delayed ACKs on the loopback would only hold them back in wall time (a datagram
  // socket refuses the option, which changes nothing).
  set_int_option(raw, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
  Ok(raw)
}

/// Binds a held socket to its family's loopback address and a port the kernel picks; returns the port.
pub fn bind_loopback(fd: i32) -> Result<u32> {
  let (address, size, name) = loopback(fd, 0);
  if unsafe { libc::bind(fd, &address as *const _ as *const libc::sockaddr, size) } < 0 {
    return Err(errno_error(&format!("bind({name})"), last_errno()));
  }
  let mut bound: libc::sockaddr_storage = unsafe { mem::zeroed() };
  let mut length = mem::size_of::<libc::sockaddr_storage>() as u32;
  if unsafe { libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut length) } < 0 {
    return Err(errno_error("getsockname", last_errno()));
  }
  // sin_port and sin6_port sit at the same offset, after the family.
  let port = unsafe { (*(&bound as *const _ as *const libc::sockaddr_in)).sin_port };
  Ok(u16::from_be(port) as u32)
}

pub fn listen(fd: i32, backlog: i32) -> Result<()> {
  if unsafe { libc::listen(fd, backlog) } < 0 {
    return Err(errno_error("listen", last_errno()));
  }
  Ok(())
}

fn wait_for(fd: i32, events: libc::c_short, what: &str) -> Result<()> {
  let deadline = Instant::now() + LOOPBACK_PATIENCE;
  loop {
    let mut entry = libc::pollfd { fd, events, revents: 0 };
    let left = deadline.saturating_duration_since(Instant::now()).as_millis() as i32;
    let ret = unsafe { libc::poll(&mut entry, 1, left) };
    if ret > 0 {
      return Ok(());
    }
    if ret == 0 {
      return Err(errno_error(what, libc::ETIMEDOUT));
    }
    if last_errno() != libc::EINTR {
      return Err(errno_error(what, last_errno()));
    }
  }
}

/// Connects a held socket to its loopback address, port `port`, and returns once the connection
/// is established, which on loopback takes the kernel microseconds.
pub fn connect_loopback(fd: i32, port: u32) -> Result<()> {
  let (address, size, name) = loopback(fd, port as u16);
  let call = format!("connect({name})");
  if unsafe { libc::connect(fd, &address as *const _ as *const libc::sockaddr, size) } < 0 {
    let errno = last_errno();
    if errno != libc::EINPROGRESS && errno != libc::EINTR {
      return Err(errno_error(&call, errno));
    }
    wait_for(fd, libc::POLLOUT, &call)?;
    let mut error: i32 = 0;
    let mut length = mem::size_of::<i32>() as u32;
    unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut error as *mut i32 as *mut libc::c_void, &mut length) };
    if error != 0 {
      return Err(errno_error(&call, error));
    }
  }
  Ok(())
}

/// connect(AF_UNSPEC) on a held socket: the kernel drops its connection, or
/// stops it listening, and it keeps its port, free to connect or listen again.
pub fn disconnect(fd: i32) -> Result<()> {
  let address = libc::sockaddr { sa_family: libc::AF_UNSPEC as libc::sa_family_t, sa_data: [0; 14] };
  let size = mem::size_of::<libc::sockaddr>() as u32;
  if unsafe { libc::connect(fd, &address, size) } < 0 {
    return Err(errno_error("connect(AF_UNSPEC)", last_errno()));
  }
  Ok(())
}

/// Waits until a held listening socket has a connection to accept.
pub fn wait_acceptable(fd: i32) -> Result<()> {
  wait_for(fd, libc::POLLIN, "poll(listening socket)")
}

/// Sends what the kernel takes of `data` at once; returns how many bytes.
pub fn send(fd: i32, data: &[u8]) -> Result<u32> {
  let ret = unsafe { libc::send(fd, data.as_ptr() as *const libc::c_void, data.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
  if ret < 0 {
    let errno = last_errno();
    if errno == libc::EAGAIN {
      return Ok(0);
    }
    return Err(errno_error("send", errno));
  }
  Ok(ret as u32)
}

/// Sends one datagram to the socket's loopback address, port `port`.
pub fn send_to_loopback(fd: i32, data: &[u8], port: u32) -> Result<()> {
  let (address, size, name) = loopback(fd, port as u16);
  let ret = unsafe {
    libc::sendto(fd, data.as_ptr() as *const libc::c_void, data.len(), libc::MSG_DONTWAIT, &address as *const _ as *const libc::sockaddr, size)
  };
  if ret < 0 {
    return Err(errno_error(&format!("sendto({name})"), last_errno()));
  }
  Ok(())
}

fn queued_bytes(fd: i32) -> usize {
  let mut count: libc::c_int = 0;
  if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) } < 0 {
    return 0;
  }
  count.max(0) as usize
}

/// Receives `max` bytes of a stream that the caller knows were sent (waiting
/// for the kernel to finish carrying them), or the next datagram cut to `max`.
pub fn receive(fd: i32, max: u32, peek: bool, datagram: bool) -> Result<ReceivedBytes> {
  let deadline = Instant::now() + LOOPBACK_PATIENCE;
  let wanted = if datagram { 1 } else { max as usize };
  while queued_bytes(fd) < wanted && !(datagram && readable_now(fd)) {
    if Instant::now() > deadline {
      return Err(errno_error(&format!("recv({max} bytes sent over loopback)"), libc::ETIMEDOUT));
    }
    std::thread::yield_now();
  }
  let mut data = vec![0u8; max as usize];
  let mut flags = libc::MSG_DONTWAIT;
  if peek {
    flags |= libc::MSG_PEEK;
  }
  if datagram {
    flags |= libc::MSG_TRUNC;
  }
  let ret = unsafe { libc::recv(fd, data.as_mut_ptr() as *mut libc::c_void, data.len(), flags) };
  if ret < 0 {
    return Err(errno_error("recv", last_errno()));
  }
  let length = ret as usize;
  data.truncate(length.min(max as usize));
  Ok(ReceivedBytes { data: data.into(), length: length as u32 })
}

fn readable_now(fd: i32) -> bool {
  let mut entry = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
  unsafe { libc::poll(&mut entry, 1, 0) > 0 }
}

/// Throws away whatever the kernel holds for a held socket to read.
pub fn discard_input(fd: i32) {
  let mut sink = [0u8; 65536];
  while unsafe { libc::recv(fd, sink.as_mut_ptr() as *mut libc::c_void, sink.len(), libc::MSG_DONTWAIT) } > 0 {}
}

pub fn close(fd: i32) {
  unsafe { libc::close(fd) };
}
