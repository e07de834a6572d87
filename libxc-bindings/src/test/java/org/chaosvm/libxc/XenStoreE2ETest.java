package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * XenStore's transactions against the real xenstored, over the connection that sends a body's
 * writes without waiting for each answer ({@link XenStoreWire}): what a body writes is there after
 * the commit and not before, a body reads its own writes, a failed write is named and aborts the
 * whole transaction, a body may run a transaction of its own, and a conflicting writer makes the
 * body run again.
 */
@Tag("xen")
class XenStoreE2ETest {
  private static final String BASE = "/local/domain/0/chaos-xenstore-test";

  private XenStore xs;

  @BeforeEach
  void open() {
    xs = XenStore.open();
    xs.rm(XenStore.NO_TRANSACTION, BASE);
  }

  @AfterEach
  void close() {
    try {
      xs.rm(XenStore.NO_TRANSACTION, BASE);
    } finally {
      xs.close();
    }
  }

  @Test
  void aTransactionsWritesAreThereAfterItsCommitAndNotBefore() {
    int nodes = XenStoreWire.MAX_QUEUED * 2 + 5; // more than one round of queued requests
    try (XenStore other = XenStore.open()) {
      xs.inTransaction(
          t -> {
            xs.mkdir(t, BASE);
            xs.setPermissions(
                t,
                BASE,
                List.of(
                    new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
                    new XsPermission(DomId.of(7), XsPermission.Access.READ)));
            for (int i = 0; i < nodes; i++) {
              xs.write(t, BASE + "/n" + i, "value " + i);
            }
            xs.rm(t, BASE + "/never-there");
            assertEquals(Optional.of("value 3"), xs.read(t, BASE + "/n3"), "its own write");
            assertEquals(nodes, xs.directory(t, BASE).orElseThrow().size());
            assertEquals(
                Optional.empty(),
                other.read(XenStore.NO_TRANSACTION, BASE + "/n3"),
                "seen outside before the commit");
            return null;
          });
    }
    for (int i = 0; i < nodes; i++) {
      assertEquals(Optional.of("value " + i), xs.read(XenStore.NO_TRANSACTION, BASE + "/n" + i));
    }
    assertEquals(
        List.of(
            new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
            new XsPermission(DomId.of(7), XsPermission.Access.READ)),
        xs.getPermissions(XenStore.NO_TRANSACTION, BASE));
  }

  @Test
  void aFailedWriteIsNamedAndNothingOfTheTransactionStays() {
    XenException failure =
        assertThrows(
            XenException.class,
            () ->
                xs.inTransaction(
                    t -> {
                      xs.write(t, BASE + "/first", "1");
                      xs.write(t, BASE + "/not a node name", "2"); // a space: EINVAL
                      xs.write(t, BASE + "/third", "3");
                      return null;
                    }));
    assertEquals("XS_WRITE", failure.function());
    assertEquals(Errno.EINVAL, failure.errno());
    assertTrue(failure.getMessage().contains("/not a node name"), failure.getMessage());
    assertEquals(Optional.empty(), xs.read(XenStore.NO_TRANSACTION, BASE + "/first"));
    assertEquals(Optional.empty(), xs.read(XenStore.NO_TRANSACTION, BASE + "/third"));

    xs.inTransaction(t -> xs.read(t, BASE)); // the connection still serves
  }

  @Test
  void aBodyMayRunATransactionOfItsOwn() {
    xs.inTransaction(
        outer -> {
          xs.write(outer, BASE + "/outer-before", "1");
          xs.inTransaction(
              inner -> {
                xs.write(inner, BASE + "/inner", "2");
                return null;
              });
          xs.write(outer, BASE + "/outer-after", "3");
          assertEquals(Optional.of("1"), xs.read(outer, BASE + "/outer-before"));
          return null;
        });
    assertEquals(Optional.of("1"), xs.read(XenStore.NO_TRANSACTION, BASE + "/outer-before"));
    assertEquals(Optional.of("2"), xs.read(XenStore.NO_TRANSACTION, BASE + "/inner"));
    assertEquals(Optional.of("3"), xs.read(XenStore.NO_TRANSACTION, BASE + "/outer-after"));
  }

  @Test
  void aConflictingWriterMakesTheBodyRunAgain() {
    AtomicInteger runs = new AtomicInteger();
    try (XenStore other = XenStore.open()) {
      xs.write(XenStore.NO_TRANSACTION, BASE + "/counter", "0");
      xs.inTransaction(
          t -> {
            int value = Integer.parseInt(xs.read(t, BASE + "/counter").orElseThrow());
            if (runs.incrementAndGet() == 1) {
              other.write(XenStore.NO_TRANSACTION, BASE + "/counter", "10");
            }
            xs.write(t, BASE + "/counter", Integer.toString(value + 1));
            return null;
          });
    }
    assertEquals(2, runs.get());
    assertEquals(Optional.of("11"), xs.read(XenStore.NO_TRANSACTION, BASE + "/counter"));
  }
}
