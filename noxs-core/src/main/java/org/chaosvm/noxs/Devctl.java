package org.chaosvm.noxs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.HypercallBuffer;
import org.chaosvm.libxc.XenCall;
import org.chaosvm.libxc.XenException;

/**
 * The devctl hypercall from Dom0: reads and changes other domains' device pages. Its argument lives
 * in a hypercall buffer of its own, so one call runs at a time (calls are short: Xen takes a lock,
 * copies at most a page, and returns). Failures are {@link XenException}s whose function is "devctl
 * get", "devctl add", ... and whose errno is Xen's answer (public/devctl.h lists them).
 */
public final class Devctl implements AutoCloseable {
  /** What chaos says where a noxs guest is asked for and the hypervisor cannot serve one. */
  public static final String NO_SUPPORT =
      "this hypervisor has no noxs support (the devctl hypercall answers ENOSYS):"
          + " boot the noxs-patched Xen of kernel-patches/xen";

  private final XenCall xencall;
  private final HypercallBuffer buffer;
  private final ByteBuffer bytes =
      ByteBuffer.allocate(NoxsLayout.Struct.XEN_DEVCTL.size).order(ByteOrder.LITTLE_ENDIAN);

  private Devctl(XenCall xencall, HypercallBuffer buffer) {
    this.xencall = xencall;
    this.buffer = buffer;
  }

  public static Devctl open() {
    XenCall xencall = XenCall.open();
    try {
      return new Devctl(xencall, xencall.allocate(NoxsLayout.Struct.XEN_DEVCTL.size));
    } catch (RuntimeException e) {
      xencall.close();
      throw e;
    }
  }

  /**
   * Whether this hypervisor has the devctl hypercall: an enumeration of Dom0's own page succeeds on
   * a patched Xen and fails with ENOSYS on any other.
   */
  public boolean supported() {
    try {
      enumerate(DomId.DOM0);
      return true;
    } catch (XenException e) {
      if (e.errno() == Errno.ENOSYS) {
        return false;
      }
      throw e;
    }
  }

  /** The machine frame of the domain's device page. */
  public long frame(DomId domain) {
    ByteBuffer result = call("devctl get", NoxsAbi.XEN_DEVCTL_get, domain, b -> {});
    return result.getLong(NoxsLayout.Member.DEVCTL_GET_FRAME.offset);
  }

  /** Appends an entry; ENOBUFS when the page is full, EEXIST when it holds the entry's key. */
  public void add(DomId domain, DeviceEntry entry) {
    call(
        "devctl add",
        NoxsAbi.XEN_DEVCTL_add,
        domain,
        b -> entry.encode(b, NoxsLayout.Member.DEVCTL_ADD.offset));
  }

  /** Removes the entry with exactly this key; ENOENT when there is none. */
  public void remove(DomId domain, DeviceKey key) {
    call(
        "devctl remove",
        NoxsAbi.XEN_DEVCTL_remove,
        domain,
        b -> key.encode(b, NoxsLayout.Member.DEVCTL_REMOVE.offset));
  }

  /** The domain's devices, in the order they were added. */
  public List<DeviceEntry> enumerate(DomId domain) {
    ByteBuffer result = call("devctl enumerate", NoxsAbi.XEN_DEVCTL_enumerate, domain, b -> {});
    return DevicePage.entries(
        result,
        NoxsLayout.Member.DEVCTL_ENUMERATE_DEVS.offset,
        NoxsLayout.Member.DEVCTL_ENUMERATE_COUNT.getInt(result, 0));
  }

  private ByteBuffer call(String name, int cmd, DomId domain, Consumer<ByteBuffer> payload) {
    return call(name, NoxsAbi.XEN_DEVCTL_VERSION, cmd, domain, payload);
  }

  /** One hypercall; returns the struct as Xen left it. Package-private for refusal tests. */
  synchronized ByteBuffer call(
      String name, int version, int cmd, DomId domain, Consumer<ByteBuffer> payload) {
    ByteBuffer request = bytes.clear();
    Arrays.fill(request.array(), (byte) 0);
    NoxsLayout.Member.DEVCTL_VERSION.putInt(request, 0, version);
    NoxsLayout.Member.DEVCTL_CMD.putInt(request, 0, cmd);
    NoxsLayout.Member.DEVCTL_DOMAIN.putInt(request, 0, domain.value());
    payload.accept(request);
    buffer.write(request);
    xencall.call1(NoxsAbi.__HYPERVISOR_devctl, buffer, name, domain);
    ByteBuffer result =
        ByteBuffer.allocate(NoxsLayout.Struct.XEN_DEVCTL.size).order(ByteOrder.LITTLE_ENDIAN);
    buffer.read(result);
    return result;
  }

  @Override
  public void close() {
    buffer.close();
    xencall.close();
  }
}
