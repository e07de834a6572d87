/* Xen's public interface, from the installed headers (libxen-dev), for a freestanding guest. */
#ifndef CHAOS_UNIKERNEL_XEN_PUBLIC_H
#define CHAOS_UNIKERNEL_XEN_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/io/console.h>
#include <xen/devctl.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

#define barrier() asm volatile("" ::: "memory")
#define mb() asm volatile("mfence" ::: "memory")
#define rmb() asm volatile("lfence" ::: "memory")
#define wmb() barrier() /* x86 keeps stores in order */

#endif
