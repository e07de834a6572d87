package org.chaosvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CodecTest {
  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void requestsRoundTripAsOneLineOfJsonEach() throws Exception {
    List<Request> requests =
        List.of(
            new Request.Create(Protocol.VERSION, "vm.cfg", "name = \"a\"\n", true),
            new Request.Destroy(Protocol.VERSION, new GuestRef("web1")),
            new Request.Shutdown(Protocol.VERSION, new GuestRef("7"), true),
            new Request.ListGuests(Protocol.VERSION),
            new Request.SetPool(Protocol.VERSION, Map.of("256x1", 2)));
    for (Request request : requests) {
      byte[] line = Codec.encode(request);
      assertEquals('\n', line[line.length - 1]);
      String json = new String(line, StandardCharsets.UTF_8);
      assertEquals(json.indexOf('\n'), json.length() - 1, "one line: " + json);
      byte[] body = java.util.Arrays.copyOf(line, line.length - 1);
      assertEquals(request, Codec.decodeRequest(body));
    }
  }

  @Test
  void deviceOpsAreNamedAsXlsCommands() {
    assertEquals(
        "{\"op\":\"block-detach\",\"version\":3,\"guest\":\"a\",\"device\":\"xvdc\","
            + "\"force\":false}\n",
        new String(
            Codec.encode(
                new Request.DetachDevice(
                    Protocol.VERSION, new GuestRef("a"), DeviceKind.BLOCK, "xvdc", false)),
            StandardCharsets.UTF_8));
  }

  @Test
  void wireFormatNamesTheOperation() {
    assertEquals(
        "{\"op\":\"destroy\",\"version\":3,\"guest\":\"web1\"}\n",
        new String(
            Codec.encode(new Request.Destroy(Protocol.VERSION, new GuestRef("web1"))),
            StandardCharsets.UTF_8));
  }

  @Test
  void repliesRoundTrip() throws Exception {
    Reply created = new Reply.Created(5, "web1", true, Map.of("execute", 12.5));
    Reply error = new Reply.Error(ErrorCode.NOT_FOUND, "no guest named web2");
    Reply done = new Reply.Done("destroyed web1");
    Reply guests =
        new Reply.Guests(
            List.of(
                new Reply.GuestInfo(0, "Domain-0", 2048, 1, "running"),
                new Reply.GuestInfo(3, "web1", 256, 2, "shutdown (CRASH)"),
                new Reply.GuestInfo(4, "uk1", 1, 1, "blocked", 12.5),
                new Reply.GuestInfo(5, "web2", 512, 1, "running", 2400.0, "pygrub")));
    Reply info = new Reply.HostInfo(4096, 1536, 2, Map.of("256x1", new Reply.PoolClass(1, 2)));
    Reply devices =
        new Reply.Devices(
            List.of(
                new Reply.DeviceInfo(
                    0, "vif3.0", 4, 4, Map.of("mac", "00:16:3e:01:02:03", "bridge", "xenbr0"))));
    for (Reply reply :
        List.of(created, error, done, guests, info, devices, new Reply.Guests(List.of()))) {
      byte[] line = Codec.encode(reply);
      assertEquals(reply, Codec.decodeReply(java.util.Arrays.copyOf(line, line.length - 1)));
    }
  }

  @Test
  void everyRequestRoundTripsAndACreateWithoutANameSendsNone() throws Exception {
    List<Request> requests =
        List.of(
            new Request.Create(Protocol.VERSION, "vm.cfg", "name = \"a\"\n", false, 2),
            new Request.Reboot(Protocol.VERSION, new GuestRef("a")),
            new Request.Pause(Protocol.VERSION, new GuestRef("a")),
            new Request.Unpause(Protocol.VERSION, new GuestRef("3")),
            new Request.Info(Protocol.VERSION),
            new Request.AttachDevice(
                Protocol.VERSION, new GuestRef("a"), DeviceKind.NETWORK, "bridge=xenbr0"),
            new Request.AttachDevice(
                Protocol.VERSION, new GuestRef("a"), DeviceKind.BLOCK, "/a.img,raw,xvdc"),
            new Request.DetachDevice(
                Protocol.VERSION, new GuestRef("a"), DeviceKind.NETWORK, "1", false),
            new Request.DetachDevice(
                Protocol.VERSION, new GuestRef("a"), DeviceKind.BLOCK, "xvdc", true),
            new Request.ListDevices(Protocol.VERSION, new GuestRef("a"), DeviceKind.NETWORK),
            new Request.ListDevices(Protocol.VERSION, new GuestRef("a"), DeviceKind.BLOCK));
    for (Request request : requests) {
      byte[] line = Codec.encode(request);
      assertEquals(request, Codec.decodeRequest(java.util.Arrays.copyOf(line, line.length - 1)));
    }
    String create =
        new String(
            Codec.encode(new Request.Create(Protocol.VERSION, "vm.cfg", "x", true)),
            StandardCharsets.UTF_8);
    assertEquals(
        "{\"op\":\"create\",\"version\":3,\"configPath\":\"vm.cfg\",\"configText\":\"x\",\"paused\":true}\n",
        create);
  }

  @Test
  void wrongTypesAndNestedUnknownFieldsAreRefusedByName() {
    Codec.MalformedMessage type =
        assertThrows(
            Codec.MalformedMessage.class,
            () -> Codec.decodeRequest(bytes("{\"op\":\"destroy\",\"version\":3,\"guest\":7}")));
    assertEquals("field 'guest' must be a string", type.getMessage());

    Codec.MalformedMessage nested =
        assertThrows(
            Codec.MalformedMessage.class,
            () ->
                Codec.decodeReply(
                    bytes(
                        "{\"reply\":\"guests\",\"guests\":[{\"domid\":0,\"name\":\"d\","
                            + "\"memoryMib\":1,\"vcpus\":1,\"state\":\"r\",\"extra\":1}]}")));
    assertEquals("unknown field 'guests[0].extra'", nested.getMessage());

    Codec.MalformedMessage duplicate =
        assertThrows(
            Codec.MalformedMessage.class,
            () -> Codec.decodeRequest(bytes("{\"op\":\"list\",\"op\":\"info\",\"version\":3}")));
    assertTrue(duplicate.getMessage().contains("Duplicate field 'op'"), duplicate.getMessage());

    assertThrows(
        Codec.MalformedMessage.class,
        () -> Codec.decodeRequest(bytes("{\"op\":\"list\",\"version\":2.5}")));
    assertThrows(
        Codec.MalformedMessage.class,
        () -> Codec.decodeRequest(bytes("{\"op\":\"destroy\",\"version\":3,\"guest\":\" \"}")));
    assertThrows(Codec.MalformedMessage.class, () -> Codec.decodeRequest(bytes("[1]")));
  }

  @Test
  void unknownFieldIsRefusedByName() {
    Codec.MalformedMessage e =
        assertThrows(
            Codec.MalformedMessage.class,
            () -> Codec.decodeRequest(bytes("{\"op\":\"list\",\"version\":3,\"verbose\":true}")));
    assertEquals("unknown field 'verbose'", e.getMessage());
  }

  @Test
  void unknownOperationIsRefused() {
    Codec.MalformedMessage e =
        assertThrows(
            Codec.MalformedMessage.class,
            () -> Codec.decodeRequest(bytes("{\"op\":\"migrate\",\"version\":3}")));
    assertTrue(e.getMessage().contains("migrate"), e.getMessage());
  }

  @Test
  void otherProtocolVersionIsRefused() {
    Codec.MalformedMessage e =
        assertThrows(
            Codec.MalformedMessage.class,
            () -> Codec.decodeRequest(bytes("{\"op\":\"list\",\"version\":1}")));
    assertTrue(e.getMessage().contains("protocol version 1"), e.getMessage());
  }

  @Test
  void missingFieldsAndGarbageAreRefused() {
    assertThrows(
        Codec.MalformedMessage.class,
        () -> Codec.decodeRequest(bytes("{\"op\":\"destroy\",\"version\":3}")));
    assertThrows(Codec.MalformedMessage.class, () -> Codec.decodeRequest(bytes("not json")));
    assertThrows(
        Codec.MalformedMessage.class,
        () -> Codec.decodeRequest(bytes("{\"op\":\"list\",\"version\":3} {}")));
    assertThrows(Codec.MalformedMessage.class, () -> Codec.decodeRequest(bytes("")));
  }

  @Test
  void linesAreReadOneAtATimeAndOversizedOnesRefused() throws Exception {
    ByteArrayInputStream in = new ByteArrayInputStream(bytes("{\"a\":1}\n{\"b\":2}\n"));
    assertEquals("{\"a\":1}", new String(Codec.readLine(in).orElseThrow(), StandardCharsets.UTF_8));
    assertEquals("{\"b\":2}", new String(Codec.readLine(in).orElseThrow(), StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), Codec.readLine(in));

    byte[] huge = new byte[Protocol.MAX_MESSAGE_BYTES + 10];
    java.util.Arrays.fill(huge, (byte) 'x');
    Codec.MalformedMessage e =
        assertThrows(
            Codec.MalformedMessage.class, () -> Codec.readLine(new ByteArrayInputStream(huge)));
    assertTrue(e.getMessage().contains("longer than"), e.getMessage());
  }

  @Test
  void aCreateSaysItsConfigsPathAndSizeNotItsTextWhenLogged() {
    String text = "name = \"web1\"\nkernel = \"/boot/secret\"\n";
    String logged =
        new Request.Create(Protocol.VERSION, "/etc/xen/web1.cfg", text, false).toString();
    assertTrue(logged.contains("/etc/xen/web1.cfg"), logged);
    assertTrue(logged.contains(text.length() + " chars"), logged);
    assertFalse(logged.contains("secret"), logged);
  }
}
