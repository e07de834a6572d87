/**
 * Typed Java bindings to the C libraries of Xen 4.17 (libxenctrl, libxenguest, libxenstore,
 * libxenevtchn, libxengnttab, libxenforeignmemory) through jnr-ffi.
 *
 * <p>This module knows C and Xen, not chaos: handles are typed and {@code AutoCloseable}, and every
 * failure of a C call surfaces as one exception type naming the function, the errno and the domain.
 */
package org.chaosvm.libxc;
