/* The unikernel's parts: events and time (events.c), the console (console.c). */
#ifndef CHAOS_UNIKERNEL_H
#define CHAOS_UNIKERNEL_H

#include "xen-public.h"

/* Where the image is linked: the virtual base (unikernel.lds). */
extern char image_start[];

/*
 * Maps the shared info page, tells Xen where the physical-to-machine list is (for a save), and
 * registers the event and failsafe callbacks.
 */
void events_init(const start_info_t *start);

/* Before a suspend: closes the timer's event channel and unmaps the shared info page. */
void events_suspend(void);

/* After a suspend: as events_init, with start_info as the restore (or the cancel) left it. */
void events_resume(const start_info_t *start);

/* Binds the timer's VIRQ so that timer_set's deadline ends a block. 0, or Xen's error. */
int timer_init(void);

/* One timer event at Xen's time deadline_ns. */
void timer_set(uint64_t deadline_ns);

/* Frames: a virtual address of the image's, or a frame of ours, to its machine frame and back. */
unsigned long virt_to_mfn(const void *address);
unsigned long pfn_to_mfn(unsigned long pfn);
unsigned long mfn_to_pfn(unsigned long mfn);

/* Xen's system time in nanoseconds (the same clock for every domain). */
uint64_t xen_time_ns(void);

void notify(evtchn_port_t port);

/* Blocks the vCPU until an event arrives (SCHEDOP_block, which unmasks event delivery). */
void block(void);

/*
 * Waits, with event delivery masked, until port is signalled or Xen's time reaches deadline_ns
 * (SCHEDOP_poll). Returns 0, or Xen's error.
 */
long poll(evtchn_port_t port, uint64_t deadline_ns);

/* Clears port's pending bit, so that a later poll waits for a new signal. */
void clear_pending(evtchn_port_t port);

_Noreturn void shutdown(unsigned int reason);

/*
 * SCHEDOP_shutdown(suspend), start_info's machine frame in rdx for the save to find: 0 when it
 * returns in a restored domain, 1 when the toolstack cancelled it (the same domain goes on).
 */
long suspend_domain(unsigned long start_info_mfn);

/* The PV console ring: the page and event channel of start_info's console.domU. */
void console_init(const start_info_t *start);
/* After a suspend: the console's new event channel. */
void console_resume(const start_info_t *start);
void console_write(const char *data, size_t length);
void print(const char *text);
void print_dec(uint64_t value);
void print_signed(int64_t value);

/* Takes the console's input; prints each whole line it holds ("console input: LINE"). */
void console_echo_input(void);

/* Waits (at most timeout_ns) until the console's reader has taken everything written. */
void console_drain(uint64_t timeout_ns);

/*
 * noxs: maps this domain's device page read-only (devctl get) and prints what it holds, or that
 * there is none (an unpatched Xen answers -ENOSYS). The control device offers suspend if
 * can_suspend.
 */
void noxs_init(int can_suspend);

/* Before a suspend: disconnects the control device and unmaps the device page. */
void noxs_suspend(void);

/* After a suspend: reads the device page again (a restored domain's is new) and reconnects. */
void noxs_resume(void);

/*
 * The control device (NOXS_DEV_CONTROL): noxs_init connects it when the page announces one. Poll
 * after each wake-up: it answers a new request and returns it (NOXS_CONTROL_*), or returns
 * NOXS_CONTROL_NONE. A changed device page (a restarted back end) is reconnected to first.
 */
uint32_t noxs_control_poll(void);

/* The first device of a type in the device page as noxs_init found it, or NULL. */
const struct noxs_dev_entry *noxs_find(uint32_t type);

/*
 * XenStore (xs.c), for a guest that has it (start_info's store_evtchn): watches control/shutdown
 * and says control/feature-suspend.
 */
void xs_init(const start_info_t *start);

/* A new request written to control/shutdown (NOXS_CONTROL_*, taken and cleared), or NONE. */
uint32_t xs_control_poll(void);

/* After a suspend: the new event channel; in a new domain, the watch registered again. */
void xs_resume(const start_info_t *start, int cancelled);

/*
 * The noxs netfront (net.c): connects the device page's first vif, its address the dotted quad at
 * the start of address. 0 when connected; otherwise it has said why.
 */
int net_init(const start_info_t *start, const char *address);

/* Answers what arrived on the vif: ARP and ICMP echo requests for its address. */
void net_poll(void);

/* Scribbles on the vif's control page and rings and floods its event channels, forever. */
_Noreturn void net_hostile(void);

/* Tries to add an entry to its own device page (only the control domain may); prints the answer. */
void noxs_try_add(void);

/* Tries to map its device page writable (Xen shares it read-only); prints the answer. */
void noxs_try_map_writable(void);

#endif
