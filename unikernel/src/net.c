/*
 * A noxs netfront (public/io/noxs.h, noxs_vif_page) and just enough of a network stack to answer
 * ARP requests and ICMP echo requests for one IPv4 address (the `net` mode), plus a `hostile` mode
 * that scribbles on the vif's control page and floods its event channels (to test that Dom0 stays
 * up).
 *
 * Memory: everything is a page of the image's .bss. The rings and the buffers are granted to the
 * back end from this domain's own grant table (GNTTABOP_setup_table, its first frame mapped here);
 * the vif's control page, the back end's, is mapped over a page of ours.
 */
#include "hypercall.h"
#include "unikernel.h"

/* ring.h's barriers: xen-public.h's, for a guest without Linux or Mini-OS headers. */
#define xen_mb() mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#include <xen/io/netif.h>

#define RX_BUFFERS 8
#define TX_BUFFERS 4

/* Grant references 0 to 7 are Xen's and the toolstack's. */
#define FIRST_GRANT 8
#define GREF_TX_RING FIRST_GRANT
#define GREF_RX_RING (FIRST_GRANT + 1)
#define GREF_RX(i) (FIRST_GRANT + 2 + (i))
#define GREF_TX(i) (FIRST_GRANT + 2 + RX_BUFFERS + (i))

typedef char page_t[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static union {
  grant_entry_v1_t entries[PAGE_SIZE / sizeof(grant_entry_v1_t)];
  page_t bytes;
} grant_table __attribute__((aligned(PAGE_SIZE)));

static union {
  struct noxs_vif_page page;
  page_t bytes;
} vif_page __attribute__((aligned(PAGE_SIZE)));

static union {
  struct netif_tx_sring sring;
  page_t bytes;
} tx_page __attribute__((aligned(PAGE_SIZE)));

static union {
  struct netif_rx_sring sring;
  page_t bytes;
} rx_page __attribute__((aligned(PAGE_SIZE)));

static page_t rx_buffers[RX_BUFFERS];
static page_t tx_buffers[TX_BUFFERS];

static struct {
  int connected;
  const unsigned long *mfns; /* start_info's mfn_list: machine frame of each of our frames */
  struct netif_tx_front_ring tx;
  struct netif_rx_front_ring rx;
  evtchn_port_t ctrl_port;   /* the handshake's, bound to the back end's */
  evtchn_port_t ring_port;   /* the rings', ours, unbound for the back end */
  uint16_t tx_free;          /* bitmap of free tx buffers */
  uint8_t mac[6];
  uint8_t ip[4];
  uint64_t answered;
} net;

static void *copy_bytes(void *to, const void *from, size_t length) {
  uint8_t *t = to;
  const uint8_t *f = from;
  while (length--) {
    *t++ = *f++;
  }
  return to;
}

static int same_bytes(const void *a, const void *b, size_t length) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < length; i++) {
    if (x[i] != y[i]) {
      return 0;
    }
  }
  return 1;
}

static unsigned long mfn_of(const void *address) {
  unsigned long pfn = ((unsigned long)address - (unsigned long)image_start) >> PAGE_SHIFT;
  return net.mfns[pfn];
}

static void grant(grant_ref_t ref, const void *page, domid_t to, int readonly) {
  grant_entry_v1_t *entry = &grant_table.entries[ref];
  entry->domid = to;
  entry->frame = (uint32_t)mfn_of(page);
  wmb();
  entry->flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
}

static long grant_table_init(void) {
  xen_pfn_t frame = 0;
  struct gnttab_setup_table setup = {.dom = DOMID_SELF, .nr_frames = 1};
  set_xen_guest_handle(setup.frame_list, &frame);
  long rc = hypercall_grant_table_op(GNTTABOP_setup_table, (unsigned long)&setup, 1);
  if (rc != 0 || setup.status != GNTST_okay) {
    return rc != 0 ? rc : setup.status;
  }
  return hypercall_update_va_mapping((unsigned long)&grant_table, (frame << PAGE_SHIFT) | 0x63UL,
                                     UVMF_INVLPG);
}

static void print_ip(const uint8_t ip[4]) {
  for (int i = 0; i < 4; i++) {
    print_dec(ip[i]);
    if (i < 3) {
      print(".");
    }
  }
}

static void print_mac(const uint8_t mac[6]) {
  static const char hex[] = "0123456789abcdef";
  char text[18];
  for (int i = 0; i < 6; i++) {
    text[3 * i] = hex[mac[i] >> 4];
    text[3 * i + 1] = hex[mac[i] & 15];
    text[3 * i + 2] = i < 5 ? ':' : '\0';
  }
  print(text);
}

static void post_rx(uint16_t id) {
  netif_rx_request_t *request = RING_GET_REQUEST(&net.rx, net.rx.req_prod_pvt);
  request->id = id;
  request->gref = GREF_RX(id);
  net.rx.req_prod_pvt++;
}

/* Maps the vif's control page, grants the rings, and asks the back end to connect. */
static int vif_connect(const struct noxs_dev_entry *entry) {
  struct gnttab_map_grant_ref map = {.host_addr = (uint64_t)(unsigned long)&vif_page,
                                     .flags = GNTMAP_host_map,
                                     .ref = entry->grant,
                                     .dom = entry->be_id};
  long rc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, (unsigned long)&map, 1);
  if (rc != 0 || map.status != GNTST_okay) {
    print("chaos unikernel: cannot map the vif's control page (");
    print_signed(rc != 0 ? rc : map.status);
    print(")\r\n");
    return -1;
  }
  struct evtchn_bind_interdomain bind = {.remote_dom = entry->be_id, .remote_port = entry->evtchn};
  rc = event_channel_op(EVTCHNOP_bind_interdomain, &bind);
  struct evtchn_alloc_unbound alloc = {.dom = DOMID_SELF, .remote_dom = entry->be_id};
  long rc2 = rc == 0 ? event_channel_op(EVTCHNOP_alloc_unbound, &alloc) : 0;
  if (rc != 0 || rc2 != 0) {
    print("chaos unikernel: cannot set up the vif's event channels (");
    print_signed(rc != 0 ? rc : rc2);
    print(")\r\n");
    return -1;
  }
  net.ctrl_port = bind.local_port;
  net.ring_port = alloc.port;

  tx_page.sring.req_event = tx_page.sring.rsp_event = 1;
  rx_page.sring.req_event = rx_page.sring.rsp_event = 1;
  FRONT_RING_INIT(&net.tx, &tx_page.sring, PAGE_SIZE);
  FRONT_RING_INIT(&net.rx, &rx_page.sring, PAGE_SIZE);
  grant(GREF_TX_RING, &tx_page, entry->be_id, 0);
  grant(GREF_RX_RING, &rx_page, entry->be_id, 0);
  for (uint16_t i = 0; i < RX_BUFFERS; i++) {
    grant(GREF_RX(i), rx_buffers[i], entry->be_id, 0);
    post_rx(i);
  }
  RING_PUSH_REQUESTS(&net.rx);
  for (uint16_t i = 0; i < TX_BUFFERS; i++) {
    grant(GREF_TX(i), tx_buffers[i], entry->be_id, 1);
  }
  net.tx_free = (1U << TX_BUFFERS) - 1;

  volatile struct noxs_vif_page *page = &vif_page.page;
  copy_bytes(net.mac, (const void *)page->mac, 6);
  page->tx_ring_ref = GREF_TX_RING;
  page->rx_ring_ref = GREF_RX_RING;
  page->evtchn = net.ring_port;
  page->fe_features = NOXS_VIF_F_RX_COPY | NOXS_VIF_F_RX_NOTIFY | NOXS_VIF_F_NO_CSUM_OFFLOAD;
  wmb();
  page->hdr.fe_state = XenbusStateConnected;
  wmb();
  notify(net.ctrl_port);

  /* The back end answers within its work queue's latency: wait for it (at most 5 s). */
  uint64_t deadline = xen_time_ns() + 5000000000ULL;
  while (page->hdr.be_state != XenbusStateConnected && page->hdr.be_state != XenbusStateClosed) {
    if (xen_time_ns() > deadline) {
      print("chaos unikernel: the vif's back end did not connect\r\n");
      return -1;
    }
    poll(net.ctrl_port, deadline);
    clear_pending(net.ctrl_port);
  }
  if (page->hdr.be_state == XenbusStateClosed) {
    print("chaos unikernel: the vif's back end refused to connect (");
    print_signed(page->error);
    print(")\r\n");
    return -1;
  }
  net.connected = 1;
  print("chaos unikernel: vif ");
  print_dec(entry->devid);
  print(" connected: ");
  print_mac(net.mac);
  print(" ");
  print_ip(net.ip);
  print("\r\n");
  return 0;
}

static uint16_t checksum(const void *data, size_t length, uint32_t sum) {
  const uint8_t *bytes = data;
  for (size_t i = 0; i + 1 < length; i += 2) {
    sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  }
  if (length & 1) {
    sum += (uint32_t)bytes[length - 1] << 8;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return (uint16_t)~sum;
}

static void put16(uint8_t *at, uint16_t value) {
  at[0] = (uint8_t)(value >> 8);
  at[1] = (uint8_t)value;
}

static uint16_t get16(const uint8_t *at) {
  return (uint16_t)(at[0] << 8 | at[1]);
}

/* Takes back the tx buffers the back end is done with. */
static void reap_tx(void) {
  RING_IDX end;
  do {
    end = net.tx.sring->rsp_prod;
    rmb();
    for (RING_IDX i = net.tx.rsp_cons; i != end; i++) {
      netif_tx_response_t *response = RING_GET_RESPONSE(&net.tx, i);
      if (response->id < TX_BUFFERS) {
        net.tx_free |= (uint16_t)(1U << response->id);
      }
    }
    net.tx.rsp_cons = end;
    int more;
    RING_FINAL_CHECK_FOR_RESPONSES(&net.tx, more);
    if (!more) {
      break;
    }
  } while (1);
}

static void transmit(const uint8_t *frame, size_t length) {
  reap_tx();
  if (net.tx_free == 0 || length > PAGE_SIZE) {
    return; /* dropped: the peer retries */
  }
  uint16_t id = (uint16_t)__builtin_ctz(net.tx_free);
  net.tx_free &= (uint16_t)~(1U << id);
  copy_bytes(tx_buffers[id], frame, length);
  netif_tx_request_t *request = RING_GET_REQUEST(&net.tx, net.tx.req_prod_pvt);
  request->gref = GREF_TX(id);
  request->offset = 0;
  request->flags = 0;
  request->id = id;
  request->size = (uint16_t)length;
  net.tx.req_prod_pvt++;
  int notify_needed;
  RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&net.tx, notify_needed);
  if (notify_needed) {
    notify(net.ring_port);
  }
}

static uint8_t reply[1536];

static void answer_arp(const uint8_t *frame, size_t length) {
  const uint8_t *arp = frame + 14;
  if (length < 42 || get16(arp) != 1 || get16(arp + 2) != 0x0800 || get16(arp + 6) != 1 ||
      !same_bytes(arp + 24, net.ip, 4)) {
    return; /* not a request for our address */
  }
  copy_bytes(reply, frame + 6, 6); /* to the asker */
  copy_bytes(reply + 6, net.mac, 6);
  put16(reply + 12, 0x0806);
  uint8_t *out = reply + 14;
  copy_bytes(out, arp, 6);
  put16(out + 6, 2); /* reply */
  copy_bytes(out + 8, net.mac, 6);
  copy_bytes(out + 14, net.ip, 4);
  copy_bytes(out + 18, arp + 8, 10); /* the asker's MAC and address */
  transmit(reply, 42);
}

static void answer_icmp(const uint8_t *frame, size_t length) {
  const uint8_t *ip = frame + 14;
  if (length < 34 || (ip[0] >> 4) != 4) {
    return;
  }
  size_t header = (size_t)(ip[0] & 15) * 4;
  size_t total = get16(ip + 2);
  if (header < 20 || total < header + 8 || 14 + total > length || total > sizeof(reply) - 14 ||
      ip[9] != 1 || !same_bytes(ip + 16, net.ip, 4) || ip[header] != 8) {
    return; /* not an echo request to us */
  }
  copy_bytes(reply, frame + 6, 6);
  copy_bytes(reply + 6, net.mac, 6);
  put16(reply + 12, 0x0800);
  uint8_t *out = reply + 14;
  copy_bytes(out, ip, total);
  out[8] = 64;                     /* TTL */
  copy_bytes(out + 12, net.ip, 4); /* from us */
  copy_bytes(out + 16, ip + 12, 4);
  put16(out + 10, 0);
  put16(out + 10, checksum(out, header, 0));
  uint8_t *icmp = out + header;
  icmp[0] = 0; /* echo reply */
  put16(icmp + 2, 0);
  put16(icmp + 2, checksum(icmp, total - header, 0));
  transmit(reply, 14 + total);
  net.answered++;
}

void net_poll(void) {
  if (!net.connected) {
    return;
  }
  reap_tx();
  for (;;) {
    RING_IDX end = net.rx.sring->rsp_prod;
    rmb();
    for (RING_IDX i = net.rx.rsp_cons; i != end; i++) {
      netif_rx_response_t *response = RING_GET_RESPONSE(&net.rx, i);
      uint16_t id = response->id;
      if (id < RX_BUFFERS && response->status > 14 && response->offset < PAGE_SIZE &&
          response->offset + response->status <= (int)PAGE_SIZE &&
          !(response->flags & (NETRXF_more_data | NETRXF_extra_info))) {
        const uint8_t *frame = (const uint8_t *)rx_buffers[id] + response->offset;
        size_t length = (size_t)response->status;
        uint16_t type = get16(frame + 12);
        if (type == 0x0806) {
          answer_arp(frame, length);
        } else if (type == 0x0800) {
          answer_icmp(frame, length);
        }
      }
      post_rx(id < RX_BUFFERS ? id : 0);
    }
    net.rx.rsp_cons = end;
    int notify_needed;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&net.rx, notify_needed);
    if (notify_needed) {
      notify(net.ring_port);
    }
    int more;
    RING_FINAL_CHECK_FOR_RESPONSES(&net.rx, more);
    if (!more) {
      return;
    }
  }
}

/* "10.0.0.2" into four bytes; 0 on success. */
static int parse_ip(const char *text, uint8_t ip[4]) {
  for (int part = 0; part < 4; part++) {
    unsigned int value = 0;
    int digits = 0;
    while (*text >= '0' && *text <= '9' && digits < 3) {
      value = value * 10 + (unsigned int)(*text++ - '0');
      digits++;
    }
    if (digits == 0 || value > 255 || (part < 3 ? *text++ != '.' : (*text != '\0' && *text != ' '))) {
      return -1;
    }
    ip[part] = (uint8_t)value;
  }
  return 0;
}

int net_init(const start_info_t *start, const char *address) {
  net.mfns = (const unsigned long *)start->mfn_list;
  if (parse_ip(address, net.ip) != 0) {
    print("chaos unikernel: net needs an IPv4 address after it (e.g. 'net 10.0.0.2')\r\n");
    return -1;
  }
  const struct noxs_dev_entry *entry = noxs_find(NOXS_DEV_VIF);
  if (entry == NULL) {
    print("chaos unikernel: no vif in the device page\r\n");
    return -1;
  }
  long rc = grant_table_init();
  if (rc != 0) {
    print("chaos unikernel: cannot map its grant table (");
    print_signed(rc);
    print(")\r\n");
    return -1;
  }
  return vif_connect(entry);
}

/* Connects as net does, then writes garbage all over the control page and the rings, flips its
 * state and signals both channels, without end. */
_Noreturn void net_hostile(void) {
  volatile struct noxs_vif_page *page = &vif_page.page;
  volatile uint32_t *words = (volatile uint32_t *)&vif_page;
  volatile uint32_t *tx = (volatile uint32_t *)&tx_page;
  uint64_t seed = xen_time_ns() | 1;
  uint32_t rounds = 0;
  print("chaos unikernel: hostile: scribbling on the vif's page and flooding its channels\r\n");
  for (;;) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    for (int i = 0; i < 16; i++) {
      words[i] = (uint32_t)(seed >> (i & 31)) * 2654435761U;
    }
    page->hdr.fe_state = (rounds & 1) ? XenbusStateConnected : XenbusStateClosing;
    tx[0] = (uint32_t)seed; /* the tx ring's req_prod */
    notify(net.ctrl_port);
    notify(net.ring_port);
    rounds++;
  }
}
