/*
 * Hypercalls through the hypercall page Xen filled in: one 32-byte stub per hypercall number.
 * x86_64 PV convention: arguments in rdi, rsi, rdx, result in rax; a stub clobbers rcx and r11.
 */
#ifndef CHAOS_UNIKERNEL_HYPERCALL_H
#define CHAOS_UNIKERNEL_HYPERCALL_H

#include "xen-public.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#define DEFINE_HYPERCALL3(name, nr)                                               \
  static inline long name(unsigned long a1, unsigned long a2, unsigned long a3) { \
    long ret;                                                                     \
    register unsigned long rdi asm("rdi") = a1;                                   \
    register unsigned long rsi asm("rsi") = a2;                                   \
    register unsigned long rdx asm("rdx") = a3;                                   \
    asm volatile("call hypercall_page + " STRINGIFY(nr) " * 32"                   \
                 : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)                     \
                 :                                                                \
                 : "memory", "rcx", "r11", "r8", "r10");                          \
    return ret;                                                                   \
  }

DEFINE_HYPERCALL3(hypercall_update_va_mapping, __HYPERVISOR_update_va_mapping)
DEFINE_HYPERCALL3(hypercall_sched_op, __HYPERVISOR_sched_op)
DEFINE_HYPERCALL3(hypercall_callback_op, __HYPERVISOR_callback_op)
DEFINE_HYPERCALL3(hypercall_event_channel_op, __HYPERVISOR_event_channel_op)
DEFINE_HYPERCALL3(hypercall_devctl, __HYPERVISOR_devctl)
DEFINE_HYPERCALL3(hypercall_grant_table_op, __HYPERVISOR_grant_table_op)
DEFINE_HYPERCALL3(hypercall_set_timer_op, __HYPERVISOR_set_timer_op)

static inline long sched_op(int cmd, void *arg) {
  return hypercall_sched_op((unsigned long)cmd, (unsigned long)arg, 0);
}

static inline long event_channel_op(int cmd, void *arg) {
  return hypercall_event_channel_op((unsigned long)cmd, (unsigned long)arg, 0);
}

static inline long devctl(struct xen_devctl *op) {
  return hypercall_devctl((unsigned long)op, 0, 0);
}

#endif
