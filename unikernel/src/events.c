/* Event channels, the shared info page, Xen's clock, and blocking. */
#include "hypercall.h"
#include "unikernel.h"

void event_callback(void);
void failsafe_callback(void);

/* A page of our own, all of it, whose mapping is replaced by the shared info page. */
static union {
  shared_info_t info;
  char page[PAGE_SIZE];
} shared_page __attribute__((aligned(PAGE_SIZE)));
static shared_info_t *const shared = &shared_page.info;

#define PTE_FLAGS 0x63UL /* present, writable, accessed, dirty */

static void register_callback(uint16_t type, void (*address)(void)) {
  struct callback_register callback = {
      .type = type,
      .flags = CALLBACKF_mask_events,
      .address = (unsigned long)address,
  };
  if (hypercall_callback_op(CALLBACKOP_register, (unsigned long)&callback, 0) != 0) {
    shutdown(SHUTDOWN_crash); /* no console yet to say why */
  }
}

void events_init(const start_info_t *start) {
  unsigned long pte = (start->shared_info & ~(PAGE_SIZE - 1)) | PTE_FLAGS;
  if (hypercall_update_va_mapping((unsigned long)shared, pte, UVMF_INVLPG) != 0) {
    shutdown(SHUTDOWN_crash);
  }
  shared->vcpu_info[0].evtchn_upcall_mask = 1;
  register_callback(CALLBACKTYPE_event, event_callback);
  register_callback(CALLBACKTYPE_failsafe, failsafe_callback);
}

/* Called by event_callback: nothing is dispatched, an event only ends a block. */
void handle_events(void) {
  vcpu_info_t *vcpu = &shared->vcpu_info[0];
  vcpu->evtchn_upcall_pending = 0;
  unsigned long words = __atomic_exchange_n(&vcpu->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
  while (words != 0) {
    int word = __builtin_ctzl(words);
    words &= words - 1;
    __atomic_store_n(&shared->evtchn_pending[word], 0, __ATOMIC_SEQ_CST);
  }
}

void failsafe(void) {
  print("chaos unikernel: failsafe callback (a bad segment on return to the guest)\r\n");
  shutdown(SHUTDOWN_crash);
}

uint64_t xen_time_ns(void) {
  volatile struct vcpu_time_info *time = &shared->vcpu_info[0].time;
  uint32_t version, mul;
  uint64_t system, stamp, tsc;
  int8_t shift;
  do {
    version = time->version;
    rmb();
    system = time->system_time;
    stamp = time->tsc_timestamp;
    mul = time->tsc_to_system_mul;
    shift = time->tsc_shift;
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    tsc = ((uint64_t)high << 32) | low;
    rmb();
  } while ((version & 1) != 0 || version != time->version);
  uint64_t delta = tsc - stamp;
  delta = shift < 0 ? delta >> -shift : delta << shift;
  return system + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

void notify(evtchn_port_t port) {
  struct evtchn_send send = {.port = port};
  event_channel_op(EVTCHNOP_send, &send);
}

void block(void) {
  sched_op(SCHEDOP_block, NULL);
}

long poll(evtchn_port_t port, uint64_t deadline_ns) {
  shared->vcpu_info[0].evtchn_upcall_mask = 1; /* SCHEDOP_poll refuses unmasked delivery */
  struct sched_poll request = {.nr_ports = 1, .timeout = deadline_ns};
  set_xen_guest_handle(request.ports, &port);
  return sched_op(SCHEDOP_poll, &request);
}

void clear_pending(evtchn_port_t port) {
  unsigned long bits = 8 * sizeof(shared->evtchn_pending[0]);
  __atomic_and_fetch(
      &shared->evtchn_pending[port / bits], ~(1UL << (port % bits)), __ATOMIC_SEQ_CST);
}

_Noreturn void shutdown(unsigned int reason) {
  struct sched_shutdown request = {.reason = reason};
  for (;;) {
    sched_op(SCHEDOP_shutdown, &request);
  }
}
