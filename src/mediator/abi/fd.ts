export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const FD_CLOEXEC = 1;
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const CLOSE_RANGE_CLOEXEC = 4;
export const AT_FDCWD = -100;

/** getrandom's flags. */
export const GRND_NONBLOCK = 0x1;
export const GRND_RANDOM = 0x2;
export const GRND_INSECURE = 0x4;
