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

/* Waits (at most timeout_ns) until the console's reader has taken everything written. */
void console_drain(uint64_t timeout_ns);

#endif
