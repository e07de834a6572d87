/*
 * chaos-unikernel: the smallest useful Xen PV guest. Its command line picks a mode:
 *   noop   print one line, then block forever (for density measurements), serving the noxs
 *          control device's requests (poweroff, reboot, crash) if it has one, and echoing each
 *          line typed on its console ("console input: LINE")
 *   ignore like noop, but never answer a control request (to test the back end's time limit)
 *   hello  print a greeting and power off
 *   crash  print a line and crash on purpose (to test on_crash)
 *   devctl-add    try to add to its own device page (refused: only Dom0 may), then power off
 *   map-writable  try to map its device page writable (refused: it is read-only), then power off
 *   net ADDRESS   like noop, and answer ARP and ping for ADDRESS on its noxs vif
 *   hostile ADDRESS  connect its noxs vif, then scribble on its control page and flood its
 *          event channels forever (to test that Dom0 stays up)
 *   count  print "count N" every second, N going on from 1; it can be suspended (for a save or
 *          a migration) through XenStore's control/shutdown or its noxs control device, and
 *          counts on after a restore where it left off (to prove that its state survives)
 * Its first console output is its "booted" mark: Dom0 sees the ring's producer index move.
 */
#include "unikernel.h"

#define DRAIN_TIMEOUT_NS 2000000000ULL /* how long hello and crash let the console be read */
#define SECOND_NS 1000000000ULL

enum mode {
  MODE_NOOP,
  MODE_HELLO,
  MODE_CRASH,
  MODE_DEVCTL_ADD,
  MODE_MAP_WRITABLE,
  MODE_IGNORE,
  MODE_NET,
  MODE_HOSTILE,
  MODE_COUNT,
  MODE_UNKNOWN
};

static const char *const mode_names[] = {"noop", "hello", "crash", "devctl-add", "map-writable", "ignore", "net", "hostile", "count"};

/* Does what the toolstack asked through the control device. */
static void serve(uint32_t request) {
  static const char *const names[] = {"none", "poweroff", "reboot", "suspend", "crash"};
  static const unsigned int reasons[] = {0, SHUTDOWN_poweroff, SHUTDOWN_reboot, SHUTDOWN_suspend,
                                         SHUTDOWN_crash};
  if (request == NOXS_CONTROL_NONE) {
    return;
  }
  if (request > NOXS_CONTROL_CRASH || request == NOXS_CONTROL_SUSPEND) {
    print("chaos unikernel: control: ignoring request ");
    print_dec(request);
    print("\r\n");
    return;
  }
  print("chaos unikernel: control: ");
  print(names[request]);
  print("\r\n");
  console_drain(DRAIN_TIMEOUT_NS);
  shutdown(reasons[request]);
}

/*
 * Suspends the domain for a save: everything that is not the domain's own memory let go (the
 * shared info page, the device page, granted pages, event channels), start_info's frames made
 * our own frame numbers, then SCHEDOP_shutdown(suspend) with start_info's frame in rdx, where a
 * save finds it. It returns in a restored domain (start_info rewritten by the restore), or in the
 * same one when the toolstack cancelled the suspend; either way everything is connected again.
 */
static void suspend(start_info_t *start) {
  print("chaos unikernel: suspending\r\n");
  console_drain(DRAIN_TIMEOUT_NS);
  noxs_suspend();
  events_suspend();
  start->store_mfn = mfn_to_pfn(start->store_mfn);
  start->console.domU.mfn = mfn_to_pfn(start->console.domU.mfn);
  long cancelled = suspend_domain(virt_to_mfn(start));
  if (cancelled) {
    start->store_mfn = pfn_to_mfn(start->store_mfn);
    start->console.domU.mfn = pfn_to_mfn(start->console.domU.mfn);
  }
  events_resume(start);
  console_resume(start);
  print(cancelled ? "chaos unikernel: suspend cancelled, going on\r\n"
                  : "chaos unikernel: resumed in a new domain\r\n");
  if (timer_init() != 0) {
    print("chaos unikernel: cannot bind the timer again\r\n");
  }
  noxs_resume();
  xs_resume(start, (int)cancelled);
}

/* The count mode: a line a second, a counter in memory that a save and a restore keep. */
static _Noreturn void count(start_info_t *start) {
  if (timer_init() != 0) {
    print("chaos unikernel: cannot bind the timer; crashing\r\n");
    console_drain(DRAIN_TIMEOUT_NS);
    shutdown(SHUTDOWN_crash);
  }
  xs_init(start);
  print("chaos unikernel: count, a line a second\r\n");
  uint64_t counted = 0;
  uint64_t next = xen_time_ns() + SECOND_NS;
  timer_set(next);
  for (;;) {
    uint32_t request = noxs_control_poll();
    if (request == NOXS_CONTROL_NONE) {
      request = xs_control_poll();
    }
    if (request == NOXS_CONTROL_SUSPEND) {
      suspend(start);
      next = xen_time_ns() + SECOND_NS; /* another host's clock, or the same one much later */
      timer_set(next);
    } else {
      serve(request);
    }
    console_echo_input();
    uint64_t now = xen_time_ns();
    if (now >= next) {
      print("chaos unikernel: count ");
      print_dec(++counted);
      print("\r\n");
      next = now + SECOND_NS;
      timer_set(next);
    }
    block();
  }
}

static int word_equals(const char *word, size_t length, const char *name) {
  size_t i = 0;
  for (; i < length; i++) {
    if (name[i] != word[i]) {
      return 0;
    }
  }
  return name[i] == '\0';
}

/* The first word of the command line names the mode; an empty command line means hello. */
static enum mode parse_mode(const char *cmdline, const char **word, size_t *length) {
  while (*cmdline == ' ') {
    cmdline++;
  }
  *word = cmdline;
  *length = 0;
  while (cmdline[*length] != '\0' && cmdline[*length] != ' ') {
    (*length)++;
  }
  if (*length == 0) {
    return MODE_HELLO;
  }
  for (int mode = 0; mode < MODE_UNKNOWN; mode++) {
    if (word_equals(*word, *length, mode_names[mode])) {
      return (enum mode)mode;
    }
  }
  return MODE_UNKNOWN;
}

_Noreturn void kernel_main(start_info_t *start) {
  events_init(start);
  console_init(start);
  print("chaos unikernel: booted (");
  print_dec(start->nr_pages * (PAGE_SIZE / 1024));
  print(" KiB)\r\n");

  const char *word;
  size_t length;
  enum mode mode = parse_mode((const char *)start->cmd_line, &word, &length);
  noxs_init(mode == MODE_COUNT);
  switch (mode) {
    case MODE_NOOP:
      print("chaos unikernel: noop, blocking\r\n");
      for (;;) {
        serve(noxs_control_poll());
        console_echo_input();
        block();
      }
    case MODE_NET:
    case MODE_HOSTILE: {
      const char *address = word + length;
      while (*address == ' ') {
        address++;
      }
      if (net_init(start, address) != 0) {
        print("chaos unikernel: no network; crashing\r\n");
        console_drain(DRAIN_TIMEOUT_NS);
        shutdown(SHUTDOWN_crash);
      }
      if (word[0] == 'h') {
        net_hostile();
      }
      print("chaos unikernel: net, answering ARP and ping\r\n");
      for (;;) {
        serve(noxs_control_poll());
        net_poll();
        console_echo_input();
        block();
      }
    }
    case MODE_COUNT:
      count(start);
    case MODE_IGNORE:
      print("chaos unikernel: ignoring control requests, blocking\r\n");
      for (;;) {
        block();
      }
    case MODE_HELLO:
      print("chaos unikernel: hello, world; powering off\r\n");
      console_drain(DRAIN_TIMEOUT_NS);
      shutdown(SHUTDOWN_poweroff);
    case MODE_CRASH:
      print("chaos unikernel: crashing on purpose\r\n");
      console_drain(DRAIN_TIMEOUT_NS);
      asm volatile("ud2"); /* no trap table: Xen crashes the domain */
      shutdown(SHUTDOWN_crash);
    case MODE_DEVCTL_ADD:
      noxs_try_add();
      print("chaos unikernel: powering off\r\n");
      console_drain(DRAIN_TIMEOUT_NS);
      shutdown(SHUTDOWN_poweroff);
    case MODE_MAP_WRITABLE:
      noxs_try_map_writable();
      print("chaos unikernel: powering off\r\n");
      console_drain(DRAIN_TIMEOUT_NS);
      shutdown(SHUTDOWN_poweroff);
    case MODE_UNKNOWN:
      break;
  }
  print("chaos unikernel: unknown mode '");
  console_write(word, length < 63 ? length : 63);
  print("' (modes: noop, hello, crash, devctl-add, map-writable, ignore, net, hostile, count)\r\n");
  console_drain(DRAIN_TIMEOUT_NS);
  shutdown(SHUTDOWN_crash);
}
