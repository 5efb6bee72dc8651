/** Path of the native driver (driver.cpp + shim.cpp against libsimgrid-dev), compiling it first if needed. */
export function buildNativeDriver(): string;
