/**
 * noxs: the per-VM device page that replaces XenStore for device set-up, written through a small
 * hypercall and read by the guest's frontends and Dom0's patched backends.
 */
package org.chaosvm.noxs;
