//! Every failure reaches JavaScript as an Error whose message names the call and
//! its errno (`ptrace(PTRACE_GETREGS, 1234): ESRCH (No such process)`) and whose
//! `code` is the errno name, so TypeScript can branch on `err.code === 'ESRCH'`.

use std::ffi::CStr;

/// napi's error carries a free-form status string: it becomes the JS `code`.
pub type Error = napi::Error<String>;
pub type Result<T> = std::result::Result<T, Error>;

pub fn last_errno() -> i32 {
  std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `call` is the failed call as it should read in the message, e.g. `kill(12, 9)`.
pub fn errno_error(call: &str, errno: i32) -> Error {
  let name = errno_name(errno);
  napi::Error::new(name.clone(), format!("{call}: {name} ({})", describe(errno)))
}

pub fn last_error(call: &str) -> Error {
  errno_error(call, last_errno())
}

/// Turns a libc-style `-1 and errno` result into an error naming `call()`.
pub fn check<T: PartialOrd + Default>(ret: T, call: impl FnOnce() -> String) -> Result<T> {
  if ret < T::default() {
    Err(last_error(&call()))
  } else {
    Ok(ret)
  }
}

/// A caller mistake (bad argument), reported like a failed call with EINVAL.
pub fn invalid(call: &str, why: &str) -> Error {
  napi::Error::new("EINVAL".to_string(), format!("{call}: EINVAL ({why})"))
}

fn describe(errno: i32) -> String {
  let mut buf = [0 as libc::c_char; 128];
  // The XSI strerror_r: fills buf, returns 0 on success.
  if unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) } != 0 {
    return format!("errno {errno}");
  }
  unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

macro_rules! errno_names {
  ($errno:expr, $($name:ident),* $(,)?) => {
    match $errno {
      $(libc::$name => stringify!($name).to_string(),)*
      other => format!("E{other}"),
    }
  };
}

// The names stay packed as written: rustfmt would give each a line of its own.
#[rustfmt::skip::macros(errno_names)]
pub fn errno_name(errno: i32) -> String {
  errno_names!(errno,
    EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, ECHILD, EAGAIN,
    ENOMEM, EACCES, EFAULT, ENOTBLK, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR,
    EINVAL, ENFILE, EMFILE, ENOTTY, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK,
    EPIPE, EDOM, ERANGE, EDEADLK, ENAMETOOLONG, ENOLCK, ENOSYS, ENOTEMPTY, ELOOP,
    ENOMSG, EIDRM, ENOSTR, ENODATA, ETIME, ENOSR, ENOLINK, EPROTO, EBADMSG, EOVERFLOW,
    EILSEQ, EUSERS, ENOTSOCK, EDESTADDRREQ, EMSGSIZE, EPROTOTYPE, ENOPROTOOPT,
    EPROTONOSUPPORT, ESOCKTNOSUPPORT, EOPNOTSUPP, EPFNOSUPPORT, EAFNOSUPPORT,
    EADDRINUSE, EADDRNOTAVAIL, ENETDOWN, ENETUNREACH, ENETRESET, ECONNABORTED,
    ECONNRESET, ENOBUFS, EISCONN, ENOTCONN, ESHUTDOWN, ETOOMANYREFS, ETIMEDOUT,
    ECONNREFUSED, EHOSTDOWN, EHOSTUNREACH, EALREADY, EINPROGRESS, ESTALE, EDQUOT,
    ECANCELED, EOWNERDEAD, ENOTRECOVERABLE, ERFKILL, EHWPOISON, ENOMEDIUM,
    EMEDIUMTYPE, ENOKEY, EKEYEXPIRED, EKEYREVOKED, EKEYREJECTED,
  )
}
