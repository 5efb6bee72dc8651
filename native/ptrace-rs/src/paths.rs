//! The two looks at the file system the mediator takes for most opens a
//! tracee makes (whether a path leads into /proc or to a FIFO, whether a
//! component is a symbolic link), without what Node's fs costs for them: a Stats object
//! with its four Dates made for one device number, several µs a call.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// What `path` leads to (following links): its st_dev, and "dev:ino" when it
/// is a FIFO (a blocking open of one waits for its other end); None when it
/// leads nowhere (or cannot be looked at: ENOTDIR, EACCES, ELOOP...).
pub fn look_at(path: &str) -> Option<(u64, Option<String>)> {
  let path = CString::new(path).ok()?;
  let mut stats: libc::stat = unsafe { std::mem::zeroed() };
  if unsafe { libc::stat(path.as_ptr(), &mut stats) } != 0 {
    return None;
  }
  let fifo = (stats.st_mode & libc::S_IFMT == libc::S_IFIFO).then(|| format!("{}:{}", stats.st_dev, stats.st_ino));
  Some((stats.st_dev, fifo))
}

/// The target of the symbolic link `path`; "" when it is something else;
/// None when nothing is there (or it cannot be looked at).
pub fn link_at(path: &str) -> Option<String> {
  match std::fs::read_link(OsStr::from_bytes(path.as_bytes())) {
    Ok(target) => Some(target.to_string_lossy().into_owned()),
    Err(error) if error.raw_os_error() == Some(libc::EINVAL) => Some(String::new()),
    Err(_) => None,
  }
}
