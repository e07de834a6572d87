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

/* The builder's physical-to-machine list (start_info's mfn_list): one machine frame per frame. */
static const unsigned long *p2m;
static unsigned long p2m_size;
static unsigned long page_tables; /* the top page table's virtual address (start_info's pt_base) */
static evtchn_port_t timer_port;

unsigned long virt_to_mfn(const void *address) {
  return p2m[((unsigned long)address - (unsigned long)image_start) >> PAGE_SHIFT];
}

unsigned long mfn_to_pfn(unsigned long mfn) {
  return machine_to_phys_mapping[mfn];
}

unsigned long pfn_to_mfn(unsigned long pfn) {
  return p2m[pfn];
}

/*
 * Maps Xen's shared info page over ours and tells Xen, in it, where our physical-to-machine list
 * is (a virtual list reached through our page tables): what a save needs to find our memory.
 */
static void map_shared_info(const start_info_t *start) {
  unsigned long pte = (start->shared_info & ~(PAGE_SIZE - 1)) | PTE_FLAGS;
  if (hypercall_update_va_mapping((unsigned long)shared, pte, UVMF_INVLPG) != 0) {
    shutdown(SHUTDOWN_crash);
  }
  shared->vcpu_info[0].evtchn_upcall_mask = 1;
  shared->arch.max_pfn = p2m_size;
  shared->arch.pfn_to_mfn_frame_list_list = 0;
  shared->arch.p2m_vaddr = (unsigned long)p2m;
  shared->arch.p2m_generation = 0;
  wmb();
  shared->arch.p2m_cr3 = xen_pfn_to_cr3(virt_to_mfn((const void *)page_tables));
}

void events_init(const start_info_t *start) {
  p2m = (const unsigned long *)start->mfn_list;
  p2m_size = start->nr_pages;
  page_tables = start->pt_base;
  map_shared_info(start);
  register_callback(CALLBACKTYPE_event, event_callback);
  register_callback(CALLBACKTYPE_failsafe, failsafe_callback);
}

void events_suspend(void) {
  if (timer_port != 0) {
    struct evtchn_close close = {.port = timer_port};
    event_channel_op(EVTCHNOP_close, &close);
    timer_port = 0;
  }
  /* A save refuses page tables that map a page not the domain's own: put ours back. */
  unsigned long pte = (virt_to_mfn(&shared_page) << PAGE_SHIFT) | PTE_FLAGS;
  if (hypercall_update_va_mapping((unsigned long)shared, pte, UVMF_INVLPG) != 0) {
    shutdown(SHUTDOWN_crash);
  }
}

void events_resume(const start_info_t *start) {
  p2m_size = start->nr_pages;
  map_shared_info(start);
  /* A restore masks every event channel (and drops what was pending): unmask them. */
  for (size_t i = 0; i < sizeof(shared->evtchn_mask) / sizeof(shared->evtchn_mask[0]); i++) {
    shared->evtchn_mask[i] = 0;
  }
  register_callback(CALLBACKTYPE_event, event_callback);
  register_callback(CALLBACKTYPE_failsafe, failsafe_callback);
}

int timer_init(void) {
  struct evtchn_bind_virq bind = {.virq = VIRQ_TIMER, .vcpu = 0};
  long rc = event_channel_op(EVTCHNOP_bind_virq, &bind);
  if (rc != 0) {
    return (int)rc;
  }
  timer_port = bind.port;
  return 0;
}

void timer_set(uint64_t deadline_ns) {
  hypercall_set_timer_op(deadline_ns, 0, 0);
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

long suspend_domain(unsigned long start_info_mfn) {
  struct sched_shutdown request = {.reason = SHUTDOWN_suspend};
  return hypercall_sched_op(SCHEDOP_shutdown, (unsigned long)&request, start_info_mfn);
}

_Noreturn void shutdown(unsigned int reason) {
  struct sched_shutdown request = {.reason = reason};
  for (;;) {
    sched_op(SCHEDOP_shutdown, &request);
  }
}
