/*
 * The unikernel's entry point, its Xen ELF notes, the hypercall page and the event callback.
 *
 * Xen's PV boot protocol for x86_64 (xen/include/public/xen.h, "Start-of-day memory layout"):
 * the domain builder loads this ELF at the addresses its notes give, maps it with the special
 * pages after it, and starts the first vCPU at XEN_ELFNOTE_ENTRY in 64-bit kernel mode with
 * %rsi pointing at the start_info page.
 */
#include <xen/elfnote.h>

#define HYPERCALL_IRET 23 /* __HYPERVISOR_iret: its stub in the hypercall page is special */

/* One Xen ELF note: name "Xen", the given type, and desc assembled in place. */
#define ELFNOTE(type, desc...)        \
  .pushsection .note.Xen, "a", @note; \
  .p2align 2;                         \
  .long 2f - 1f;                      \
  .long 4f - 3f;                      \
  .long type;                         \
1:.asciz "Xen";                       \
2:.p2align 2;                         \
3:desc;                               \
4:.p2align 2;                         \
  .popsection

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz "chaos-unikernel")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz "1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER, .asciz "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .quad image_start)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .quad image_start)
ELFNOTE(XEN_ELFNOTE_ENTRY, .quad _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)

  .section .text.head, "ax"
  .globl _start
_start:
  cld
  lea stack_top(%rip), %rsp
  mov %rsi, %rdi            /* start_info_t * */
  call kernel_main
  ud2                       /* kernel_main does not return; if it did, Xen crashes the domain */

/*
 * Event upcall. Xen enters here with the guest's %rcx and %r11 pushed above an iret frame
 * (rip, cs, rflags, rsp, ss), and leaves event delivery masked (CALLBACKF_mask_events). The
 * return goes through the iret hypercall, which restores the mask from the frame's IF.
 */
  .globl event_callback
event_callback:
  pop %rcx
  pop %r11
  push %rax
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %r8
  push %r9
  push %r10
  push %r11
  call handle_events
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rax
  pushq $0                  /* iret flags: not returning from a syscall */
  jmp hypercall_page + HYPERCALL_IRET * 32

/* Xen could not load the segments of an iret or event frame: nothing to resume. */
  .globl failsafe_callback
failsafe_callback:
  lea stack_top(%rip), %rsp
  call failsafe
  ud2

  .bss
/* Filled by Xen with one 32-byte stub per hypercall (XEN_ELFNOTE_HYPERCALL_PAGE); the image's
   one segment is executable, so it may sit in .bss and take no room in the file. */
  .p2align 12
  .globl hypercall_page
hypercall_page:
  .fill 4096, 1, 0

  .p2align 4
stack:
  .fill 16384, 1, 0
stack_top:

  .section .note.GNU-stack, "", @progbits
