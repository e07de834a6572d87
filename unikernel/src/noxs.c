/*
 * noxs: the device page Xen keeps for this domain (public/io/noxs.h), found through the devctl
 * hypercall and mapped read-only over a page of the image.
 */
#include "hypercall.h"
#include "unikernel.h"

static union {
  struct noxs_dev_page page;
  char bytes[PAGE_SIZE];
} device_page __attribute__((aligned(PAGE_SIZE)));

#define PTE_READ_ONLY 0x21UL /* present, accessed */
#define PTE_WRITABLE 0x63UL  /* present, writable, accessed, dirty */

static union {
  struct noxs_control_page page;
  char bytes[PAGE_SIZE];
} control_page __attribute__((aligned(PAGE_SIZE)));

static uint64_t device_frame; /* 0: no device page */

/* The page as noxs_init found it. */
static struct noxs_dev_page found;

/* The control device as connected: its entry, the grant's mapping, our port. */
static struct {
  int connected;
  struct noxs_dev_entry entry;
  grant_handle_t handle;
  evtchn_port_t port;
  uint32_t answered;   /* the last request_id taken */
  uint32_t generation; /* of the device page it was found in */
} control;

/* What the control device says this guest does; suspend only in the modes that can (count). */
static uint32_t control_features =
    (1U << NOXS_CONTROL_POWEROFF) | (1U << NOXS_CONTROL_REBOOT) | (1U << NOXS_CONTROL_CRASH);

static const char *const type_names[] = {"none", "control", "console", "vif", "vbd"};

static long devctl_get(uint64_t *frame) {
  struct xen_devctl op = {.version = XEN_DEVCTL_VERSION, .cmd = XEN_DEVCTL_get, .domain = DOMID_SELF};
  long rc = devctl(&op);
  *frame = op.u.get.frame;
  return rc;
}

static long map_device_page(unsigned long flags) {
  return hypercall_update_va_mapping((unsigned long)&device_page, (device_frame << PAGE_SHIFT) | flags,
                                     UVMF_INVLPG);
}

/* A copy Xen was not changing while it was taken: equal, even generations around it. */
static void copy_page(struct noxs_dev_page *copy) {
  volatile struct noxs_dev_page *page = &device_page.page;
  for (;;) {
    uint32_t before = page->generation;
    rmb();
    uint32_t count = page->dev_count;
    copy->version = page->version;
    copy->dev_count = count <= NOXS_DEV_COUNT_MAX ? count : NOXS_DEV_COUNT_MAX;
    for (uint32_t i = 0; i < copy->dev_count; i++) {
      copy->devs[i] = ((const struct noxs_dev_page *)page)->devs[i];
    }
    rmb();
    if ((before & 1) == 0 && page->generation == before) {
      copy->generation = before;
      return;
    }
  }
}

static void control_disconnect(void) {
  if (!control.connected) {
    return;
  }
  struct gnttab_unmap_grant_ref unmap = {.host_addr = (uint64_t)(unsigned long)&control_page,
                                         .handle = control.handle};
  hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, (unsigned long)&unmap, 1);
  struct evtchn_close close = {.port = control.port};
  event_channel_op(EVTCHNOP_close, &close);
  control.connected = 0;
}

/* Maps the entry's control page, binds its event channel, and says Connected. */
static void control_connect(const struct noxs_dev_entry *entry, uint32_t generation) {
  struct gnttab_map_grant_ref map = {.host_addr = (uint64_t)(unsigned long)&control_page,
                                     .flags = GNTMAP_host_map,
                                     .ref = entry->grant,
                                     .dom = entry->be_id};
  long rc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, (unsigned long)&map, 1);
  if (rc != 0 || map.status != GNTST_okay) {
    print("chaos unikernel: cannot map the control page (");
    print_signed(rc != 0 ? rc : map.status);
    print(")\r\n");
    return;
  }
  struct evtchn_bind_interdomain bind = {.remote_dom = entry->be_id, .remote_port = entry->evtchn};
  rc = event_channel_op(EVTCHNOP_bind_interdomain, &bind);
  if (rc != 0) {
    print("chaos unikernel: cannot bind the control event channel (");
    print_signed(rc);
    print(")\r\n");
    struct gnttab_unmap_grant_ref unmap = {.host_addr = map.host_addr, .handle = map.handle};
    hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, (unsigned long)&unmap, 1);
    return;
  }
  volatile struct noxs_control_page *page = &control_page.page;
  control.entry = *entry;
  control.handle = map.handle;
  control.port = bind.local_port;
  control.answered = page->request_id; /* requests before we connected are not ours to serve */
  control.generation = generation;
  control.connected = 1;
  page->features = control_features;
  page->answer_id = control.answered;
  wmb();
  page->hdr.fe_state = XenbusStateConnected;
  wmb();
  notify(control.port);
  print("chaos unikernel: control device connected (event channel ");
  print_dec(control.port);
  print(")\r\n");
}

static const struct noxs_dev_entry *find_control(const struct noxs_dev_page *copy) {
  for (uint32_t i = 0; i < copy->dev_count; i++) {
    if (copy->devs[i].type == NOXS_DEV_CONTROL) {
      return &copy->devs[i];
    }
  }
  return NULL;
}

static int same_device(const struct noxs_dev_entry *a, const struct noxs_dev_entry *b) {
  return a->be_id == b->be_id && a->grant == b->grant && a->evtchn == b->evtchn;
}

uint32_t noxs_control_poll(void) {
  if (device_frame == 0) {
    return NOXS_CONTROL_NONE;
  }
  if (device_page.page.generation != control.generation) {
    static struct noxs_dev_page copy;
    copy_page(&copy);
    const struct noxs_dev_entry *entry = find_control(&copy);
    if (entry == NULL || !control.connected || !same_device(entry, &control.entry)) {
      control_disconnect();
      if (entry != NULL) {
        control_connect(entry, copy.generation);
      }
    }
    control.generation = copy.generation;
  }
  if (!control.connected) {
    return NOXS_CONTROL_NONE;
  }
  volatile struct noxs_control_page *page = &control_page.page;
  uint32_t id = page->request_id;
  rmb();
  if (id == control.answered) {
    return NOXS_CONTROL_NONE;
  }
  uint32_t request = page->request;
  control.answered = id;
  page->answer_id = id;
  wmb();
  notify(control.port);
  return request;
}

void noxs_init(int can_suspend) {
  if (can_suspend) {
    control_features |= 1U << NOXS_CONTROL_SUSPEND;
  }
  uint64_t frame;
  long rc = devctl_get(&frame);
  if (rc != 0) {
    print("chaos unikernel: no device page (devctl get: ");
    print_signed(rc);
    print(")\r\n");
    return;
  }
  device_frame = frame;
  rc = map_device_page(PTE_READ_ONLY);
  if (rc != 0) {
    print("chaos unikernel: cannot map the device page read-only (");
    print_signed(rc);
    print(")\r\n");
    device_frame = 0;
    return;
  }
  copy_page(&found);
  print("chaos unikernel: device page version ");
  print_dec(found.version);
  print(", generation ");
  print_dec(found.generation);
  print(", ");
  print_dec(found.dev_count);
  print(" devices\r\n");
  for (uint32_t i = 0; i < found.dev_count; i++) {
    const struct noxs_dev_entry *entry = &found.devs[i];
    print("chaos unikernel: device ");
    print(entry->type <= NOXS_DEV_TYPE_MAX ? type_names[entry->type] : "unknown");
    print(" ");
    print_dec(entry->devid);
    print(": back end ");
    print_dec(entry->be_id);
    print(", grant ");
    print_dec(entry->grant);
    print(", event channel ");
    print_dec(entry->evtchn);
    print("\r\n");
  }
  const struct noxs_dev_entry *entry = find_control(&found);
  control.generation = found.generation;
  if (entry != NULL) {
    control_connect(entry, found.generation);
  }
}

void noxs_suspend(void) {
  if (device_frame == 0) {
    return;
  }
  control_disconnect();
  /* A save refuses page tables that map a page not the domain's own: put ours back. */
  hypercall_update_va_mapping((unsigned long)&device_page,
                              (virt_to_mfn(&device_page) << PAGE_SHIFT) | PTE_WRITABLE, UVMF_INVLPG);
}

void noxs_resume(void) {
  if (device_frame == 0) {
    return;
  }
  device_frame = 0;
  noxs_init(0);
}

const struct noxs_dev_entry *noxs_find(uint32_t type) {
  if (device_frame == 0) {
    return NULL;
  }
  for (uint32_t i = 0; i < found.dev_count; i++) {
    if (found.devs[i].type == type) {
      return &found.devs[i];
    }
  }
  return NULL;
}

static void print_answer(const char *what, long rc) {
  print("chaos unikernel: ");
  print(what);
  print(rc == 0 ? ": allowed (" : ": refused (");
  print_signed(rc);
  print(")\r\n");
}

void noxs_try_add(void) {
  struct xen_devctl op = {
      .version = XEN_DEVCTL_VERSION,
      .cmd = XEN_DEVCTL_add,
      .domain = DOMID_SELF,
      .u.add = {.type = NOXS_DEV_VIF, .devid = 7, .be_id = 0, .grant = 1, .evtchn = 1},
  };
  print_answer("devctl add to its own page", devctl(&op));
}

void noxs_try_map_writable(void) {
  if (device_frame == 0) {
    print("chaos unikernel: no device page to map writable\r\n");
    return;
  }
  long rc = map_device_page(PTE_WRITABLE);
  print_answer("writable mapping of its device page", rc);
  if (rc == 0) {
    map_device_page(PTE_READ_ONLY);
  }
}
