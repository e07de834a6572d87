/*
 * A XenStore client for the one thing the unikernel reads there: its control node,
 * control/shutdown, where a toolstack asks a XenStore guest to power off, reboot or suspend
 * (xen/io/xs_wire.h's messages on the ring of start_info's store_mfn). One request at a time,
 * waited for; watch events that arrive meanwhile are remembered.
 */
#include "unikernel.h"

#define REQUEST_TIMEOUT_NS 5000000000ULL
#define TOKEN "chaos-control"

static struct xenstore_domain_interface *ring; /* NULL: no XenStore (a noxs guest) */
static evtchn_port_t port;
static uint32_t next_id;
static int fired; /* a watch event came for control/shutdown */

/* Writes all of data into the request ring, waiting while it is full. */
static void ring_write(const void *data, size_t length) {
  const char *bytes = data;
  while (length > 0) {
    XENSTORE_RING_IDX cons = ring->req_cons;
    XENSTORE_RING_IDX prod = ring->req_prod;
    mb();
    if (prod - cons >= XENSTORE_RING_SIZE) {
      notify(port);
      clear_pending(port);
      poll(port, xen_time_ns() + 100000000ULL);
      continue;
    }
    while (length > 0 && prod - cons < XENSTORE_RING_SIZE) {
      ring->req[MASK_XENSTORE_IDX(prod++)] = *bytes++;
      length--;
    }
    wmb();
    ring->req_prod = prod;
    notify(port);
  }
}

static uint32_t available(void) {
  XENSTORE_RING_IDX prod = ring->rsp_prod;
  rmb();
  return prod - ring->rsp_cons;
}

/* Reads length bytes of the response ring into data (NULL: drops them); -1 past the deadline. */
static int ring_read(void *data, size_t length, uint64_t deadline) {
  char *bytes = data;
  while (length > 0) {
    if (available() == 0) {
      clear_pending(port);
      if (available() != 0) {
        continue;
      }
      if (xen_time_ns() >= deadline) {
        return -1;
      }
      poll(port, deadline);
      continue;
    }
    XENSTORE_RING_IDX cons = ring->rsp_cons;
    XENSTORE_RING_IDX prod = ring->rsp_prod;
    rmb();
    while (length > 0 && cons != prod) {
      char c = ring->rsp[MASK_XENSTORE_IDX(cons++)];
      if (bytes != NULL) {
        *bytes++ = c;
      }
      length--;
    }
    mb();
    ring->rsp_cons = cons;
    notify(port);
  }
  return 0;
}

/*
 * Reads the next message: its header, and as much of its body as fits in body (the rest is
 * dropped). A watch event for our token is remembered in fired. -1 past the deadline.
 */
static int read_message(struct xsd_sockmsg *header, char *body, size_t size, uint64_t deadline) {
  if (ring_read(header, sizeof(*header), deadline) != 0) {
    return -1;
  }
  size_t kept = header->len < size ? header->len : size;
  if (ring_read(body, kept, deadline) != 0 || ring_read(NULL, header->len - kept, deadline) != 0) {
    return -1;
  }
  if (header->type == XS_WATCH_EVENT) {
    fired = 1;
  }
  return (int)kept;
}

/*
 * Sends a request of two strings (the second may be NULL), each with its NUL unless it is the
 * last of a write, and waits for its answer into reply. The answer's length, or -1 (an error
 * answer, or none in time).
 */
static int request(uint32_t type, const char *first, const char *second, char *reply, size_t size) {
  size_t first_length = 0, second_length = 0;
  while (first[first_length] != '\0') {
    first_length++;
  }
  first_length++;
  if (second != NULL) {
    while (second[second_length] != '\0') {
      second_length++;
    }
    if (type != XS_WRITE) {
      second_length++;
    }
  }
  struct xsd_sockmsg header = {
      .type = type, .req_id = ++next_id, .tx_id = 0, .len = (uint32_t)(first_length + second_length)};
  ring_write(&header, sizeof(header));
  ring_write(first, first_length);
  if (second != NULL) {
    ring_write(second, second_length);
  }
  uint64_t deadline = xen_time_ns() + REQUEST_TIMEOUT_NS;
  for (;;) {
    struct xsd_sockmsg answer;
    int length = read_message(&answer, reply, size, deadline);
    if (length < 0) {
      print("chaos unikernel: XenStore did not answer in time\r\n");
      return -1;
    }
    if (answer.type != XS_WATCH_EVENT && answer.req_id == header.req_id) {
      return answer.type == XS_ERROR ? -1 : length;
    }
  }
}

/* Registers the watch (which fires once at once) and says the guest can be suspended. */
static void connect(void) {
  char reply[16];
  request(XS_WRITE, "control/feature-suspend", "1", reply, sizeof(reply));
  if (request(XS_WATCH, "control/shutdown", TOKEN, reply, sizeof(reply)) < 0) {
    print("chaos unikernel: cannot watch control/shutdown\r\n");
  }
}

void xs_init(const start_info_t *start) {
  if (start->store_evtchn == 0) {
    ring = NULL;
    return;
  }
  unsigned long pfn = mfn_to_pfn(start->store_mfn);
  ring = (struct xenstore_domain_interface *)((unsigned long)image_start + (pfn << PAGE_SHIFT));
  port = start->store_evtchn;
  connect();
  print("chaos unikernel: XenStore connected, watching control/shutdown\r\n");
}

void xs_resume(const start_info_t *start, int cancelled) {
  if (ring == NULL) {
    return;
  }
  port = start->store_evtchn;
  if (!cancelled) {
    /* A new domain: xenstored knows nothing of our watch, and answered all we sent before. */
    ring->rsp_cons = ring->rsp_prod;
    connect();
  }
}

uint32_t xs_control_poll(void) {
  if (ring == NULL) {
    return NOXS_CONTROL_NONE;
  }
  static char ignored[64];
  while (available() >= sizeof(struct xsd_sockmsg)) {
    struct xsd_sockmsg header;
    read_message(&header, ignored, sizeof(ignored), xen_time_ns() + REQUEST_TIMEOUT_NS);
  }
  if (!fired) {
    return NOXS_CONTROL_NONE;
  }
  fired = 0;
  char word[16];
  int length = request(XS_READ, "control/shutdown", NULL, word, sizeof(word) - 1);
  if (length <= 0) {
    return NOXS_CONTROL_NONE;
  }
  word[length] = '\0';
  char reply[16];
  request(XS_WRITE, "control/shutdown", "", reply, sizeof(reply)); /* taken, as Linux says it */
  static const char *const words[] = {"", "poweroff", "reboot", "suspend", "crash"};
  for (uint32_t request_code = NOXS_CONTROL_POWEROFF; request_code <= NOXS_CONTROL_CRASH;
       request_code++) {
    const char *expected = words[request_code];
    int i = 0;
    while (expected[i] != '\0' && expected[i] == word[i]) {
      i++;
    }
    if (expected[i] == '\0' && word[i] == '\0') {
      return request_code;
    }
  }
  print("chaos unikernel: control/shutdown: ignoring '");
  print(word);
  print("'\r\n");
  return NOXS_CONTROL_NONE;
}
