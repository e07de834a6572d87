/* The PV console: a ring in a page shared with the console back end (xenconsoled), and its port. */
#include "unikernel.h"

static struct xencons_interface *ring;
static evtchn_port_t port;

void console_init(const start_info_t *start) {
  /* start_info gives a machine frame; Xen's machine-to-physical table turns it into our frame,
     and the domain builder mapped our frames from image_start (XEN_ELFNOTE_VIRT_BASE) on. */
  unsigned long pfn = machine_to_phys_mapping[start->console.domU.mfn];
  ring = (struct xencons_interface *)((unsigned long)image_start + (pfn << PAGE_SHIFT));
  port = start->console.domU.evtchn;
}

/*
 * How long a write waits for room in a full ring before it drops what it has left: a back end that
 * stopped reading must not stop the guest (a suspend it was asked for, its control device's next
 * answer). Once a write gave up, later ones wait no more until the ring has room again.
 */
#define STALL_NS 1000000000ULL

static int stalled;

void console_resume(const start_info_t *start) {
  port = start->console.domU.evtchn; /* the ring is the same page of ours, at a new machine frame */
  stalled = 0;                       /* a new back end, maybe: it gets its second again */
}

void console_write(const char *data, size_t length) {
  uint64_t deadline = 0;
  while (length > 0) {
    XENCONS_RING_IDX cons = ring->out_cons;
    XENCONS_RING_IDX prod = ring->out_prod;
    mb();
    if (prod - cons >= sizeof(ring->out)) {
      uint64_t now = xen_time_ns();
      if (deadline == 0) {
        deadline = now + STALL_NS;
      }
      if (stalled || now >= deadline) {
        stalled = 1;
        return;
      }
      notify(port);
      clear_pending(port);
      uint64_t wake = now + 100000000ULL; /* the reader signals when it has read */
      poll(port, wake < deadline ? wake : deadline);
      continue;
    }
    stalled = 0;
    while (length > 0 && prod - cons < sizeof(ring->out)) {
      ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = *data++;
      length--;
    }
    wmb();
    ring->out_prod = prod;
    notify(port);
  }
}

void print(const char *text) {
  size_t length = 0;
  while (text[length] != '\0') {
    length++;
  }
  console_write(text, length);
}

void print_dec(uint64_t value) {
  char digits[21];
  size_t at = sizeof(digits);
  digits[--at] = '\0';
  do {
    digits[--at] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  print(&digits[at]);
}

void print_signed(int64_t value) {
  if (value < 0) {
    print("-");
    print_dec(-(uint64_t)value);
  } else {
    print_dec((uint64_t)value);
  }
}

void console_drain(uint64_t timeout_ns) {
  uint64_t deadline = xen_time_ns() + timeout_ns;
  for (;;) {
    clear_pending(port);
    mb();
    if (ring->out_cons == ring->out_prod || xen_time_ns() >= deadline) {
      return;
    }
    if (poll(port, deadline) != 0) {
      return;
    }
  }
}

/* Input is gathered into a line; a line longer than this is cut. */
static char line[80];
static size_t line_length;

void console_echo_input(void) {
  XENCONS_RING_IDX cons = ring->in_cons;
  XENCONS_RING_IDX prod = ring->in_prod;
  rmb();
  if (cons == prod) {
    return; /* nothing came: no signal back (the back end signals after each read of ours) */
  }
  if (prod - cons > sizeof(ring->in)) {
    cons = prod; /* indexes no back end of ours writes: drop what they claim */
  }
  while (cons != prod) {
    char c = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    if (c == '\r' || c == '\n') {
      if (line_length > 0) {
        print("chaos unikernel: console input: ");
        console_write(line, line_length);
        print("\r\n");
        line_length = 0;
      }
    } else if (line_length < sizeof(line)) {
      line[line_length++] = c;
    }
  }
  mb();
  ring->in_cons = cons;
  notify(port);
}
