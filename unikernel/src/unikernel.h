/* The unikernel's parts: events and time (events.c), the console (console.c). */
#ifndef CHAOS_UNIKERNEL_H
#define CHAOS_UNIKERNEL_H

#include "xen-public.h"

/* Where the image is linked: the virtual base (unikernel.lds). */
extern char image_start[];

/* Maps the shared info page and registers the event and failsafe callbacks. */
void events_init(const start_info_t *start);

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

/* The PV console ring: the page and event channel of start_info's console.domU. */
void console_init(const start_info_t *start);
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
 * there is none (an unpatched Xen answers -ENOSYS).
 */
void noxs_init(void);

/*
 * The control device (NOXS_DEV_CONTROL): noxs_init connects it when the page announces one. Poll
 * after each wake-up: it answers a new request and returns it (NOXS_CONTROL_*), or returns
 * NOXS_CONTROL_NONE. A changed device page (a restarted back end) is reconnected to first.
 */
uint32_t noxs_control_poll(void);

/* The first device of a type in the device page as noxs_init found it, or NULL. */
const struct noxs_dev_entry *noxs_find(uint32_t type);

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
