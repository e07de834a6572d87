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

static uint64_t device_frame; /* 0: no device page */

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

void noxs_init(void) {
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
  static struct noxs_dev_page copy;
  copy_page(&copy);
  print("chaos unikernel: device page version ");
  print_dec(copy.version);
  print(", generation ");
  print_dec(copy.generation);
  print(", ");
  print_dec(copy.dev_count);
  print(" devices\r\n");
  for (uint32_t i = 0; i < copy.dev_count; i++) {
    const struct noxs_dev_entry *entry = &copy.devs[i];
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
