package org.chaosvm.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * xl's vifspec (xl-network-configuration(5)) as chaos reads it: the man page's examples, each
 * keyword and flag, and the rate forms, read as Xen 4.17's xl and libxlutil read them, or refused
 * naming the setting.
 */
class VifSpecTest {
  private static final Path FILE = Path.of("vm.cfg");

  private static VifSpec read(String spec) throws ConfigException {
    return DeviceSpecs.vif(FILE, 2, 7, spec);
  }

  private static String refusal(String spec) {
    return assertThrows(ConfigException.class, () -> read(spec)).getMessage();
  }

  @Test
  void theManPagesExamplesAndTheEmptySpec() throws Exception {
    VifSpec first = read("mac=00:16:3E:74:34:32");
    assertEquals(Optional.of("00:16:3e:74:34:32"), first.mac());
    assertEquals(VifSpec.DEFAULT_BRIDGE, first.bridgeOrDefault());
    VifSpec second = read("mac=00:16:3e:5f:48:e4,bridge=xenbr1");
    assertEquals(Optional.of("xenbr1"), second.bridge());
    VifSpec empty = read("");
    assertEquals(Optional.empty(), empty.mac());
    assertTrue(empty.trusted());
    // The first example names an emulated card: a PV guest has none.
    assertTrue(
        refusal("mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0")
            .contains("model=rtl8139 is not supported"));
  }

  @Test
  void eachKeywordAndFlagChaosTakes() throws Exception {
    VifSpec vif =
        read(
            "type=vif, mac=0:16:3e:1:2:3,bridge=br1,ip=10.0.0.2 10.0.0.3,vifname=web0,"
                + "rate=10Mb/s,mtu=9000,untrusted");
    assertEquals(Optional.of("00:16:3e:01:02:03"), vif.mac());
    assertEquals(Optional.of("br1"), vif.bridge());
    assertEquals(Optional.of("10.0.0.2 10.0.0.3"), vif.ip());
    assertEquals(Optional.of("web0"), vif.vifname());
    assertEquals("62500,50000", vif.rate().orElseThrow().node());
    assertEquals(Optional.of(9000), vif.mtu());
    assertEquals(false, vif.trusted());
    assertTrue(read("untrusted,trusted").trusted());
  }

  @Test
  void itemsAreReadAsXlSplitsThem() throws Exception {
    // Empty items are skipped, spaces before an item too, and a key given twice takes the last.
    VifSpec vif = read(",, bridge=br1,,  mac=00:16:3e:00:00:01,bridge=br2,");
    assertEquals(Optional.of("br2"), vif.bridge());
    assertEquals(Optional.of("00:16:3e:00:00:01"), vif.mac());
    // xl reads six numbers, each ended by any one character, and nothing after the sixth.
    assertEquals(Optional.of("00:16:3e:aa:bb:0c"), read("mac=00-16-3e-AA-bb-c").mac());
    assertEquals(Optional.of("00:16:3e:00:00:01"), read("mac=00:16:3e:00:00:01:ff").mac());
    assertEquals(Optional.of(1500), read("mtu=1500abc").mtu());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // The man page's examples.
        "10Mb/s | 62500,50000",
        "250KB/s | 12500,50000",
        "1MB/s@20ms | 20000,20000",
        // Every unit of both parts.
        "1GB/s@1ms | 1000000,1000",
        "1Gb/s@1ms | 125000,1000",
        "8Kb/s@1s | 1000,1000000",
        "100B/s@2 | 200,2000000",
        "1MB/s@20m | 20000,20000",
        "1MB/s@500us | 500,500",
        "1MB/s@500u | 500,500",
        "1MB/s@500 | 500000000,500000000",
        // A leading 0 makes the amount octal, as strtoull with base 0 reads it.
        "010B/s@1s | 8,1000000",
        // Below one byte per interval is 0, as xl computes it.
        "8b/s@1us | 0,1",
        "4294967295B/s@4294967295us | 18446744065119,4294967295",
      })
  void ratesAreReadAsLibxlutilReadsThem(String rate, String node) throws Exception {
    assertEquals(node, read("rate=" + rate).rate().orElseThrow().node());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "rate= | no rate specified in ''",
        "rate=@20ms | no rate specified in '@20ms'",
        "rate=fast | invalid rate in 'fast'",
        "rate=10Mbit/s | invalid rate in '10Mbit/s'",
        "rate=10mb/s | invalid rate in '10mb/s'",
        "rate=0MB/s | rate overflow in '0MB/s'",
        "rate=08MB/s | rate overflow in '08MB/s'",
        "rate=4294967296B/s | rate overflow in '4294967296B/s'",
        "rate=4294967295GB/s@4294967295us | rate overflow in '4294967295GB/s@4294967295us'",
        "rate=1MB/s@ | invalid replenishment interval in ''",
        "rate=1MB/s@20 ms | invalid replenishment interval in '20 ms'",
        "rate=1MB/s@0ms | replenishment interval overflow in '0ms'",
        "rate=1MB/s@4295s | replenishment interval overflow in '4295s'",
        "rate=1MB/s@4294967296us | replenishment interval overflow in '4294967296us'",
      })
  void badRatesGetLibxlutilsWords(String spec, String message) {
    assertEquals("vm.cfg:2:7: vif rate: " + message, refusal(spec));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "type=ioemu | type=ioemu is not supported",
        "type=emu | invalid parameter 'type'",
        "model=e1000 | model=e1000 is not supported",
        "script=vif-nat | script=vif-nat is not supported",
        "gatewaydev=eth0 | gatewaydev=eth0 is not supported",
        "netdev=eth0 | netdev=eth0 is not supported",
        "backend=net-dd | backend=net-dd is not supported",
        "accel=yes | accel=yes is not supported",
        "devid=3 | devid=3 is not supported",
        "forwarddev=eth1 | forwarddev=eth1 is not supported",
        "colo_compare_out=x | colo_compare_out=x is not supported",
        "speed=10 | unrecognized argument 'speed=10'",
        "bridge | unrecognized argument 'bridge'",
        "mac=00:16:3e:zz:00:01 | is not a MAC address",
        "mac=00:16:3e:00:01 | is not a MAC address",
        "mac=00:16:3e:100:00:01 | is not a MAC address",
        "mac=01:16:3e:00:00:01 | is a multicast address",
        "mtu=x | vif mtu 'x' is not a number",
        "mtu=20 | vif mtu 20 is not between 68 and 65535",
        "mtu=99999999999 | vif mtu 99999999999 is not between 68 and 65535",
        "vifname=a/b | vifname 'a/b' cannot name a network interface",
      })
  void whatChaosDoesNotTakeIsRefusedNamingTheSetting(String spec, String named) {
    String message = refusal(spec);
    assertTrue(message.startsWith("vm.cfg:2:7: ") && message.contains(named), message);
  }
}
