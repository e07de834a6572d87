package org.chaosvm.daemon.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the JSON guest config of LightVM's chaos: {@code name kernel memory vcpus ramdisk cmdline
 * vifs vbds paused}. A key that is not one of these, or one given twice, is an error with its line
 * and column.
 */
public final class ChaosJsonReader {
  /** One interface: the settings of xl's vif, as JSON. */
  record Vif(String mac, String bridge, String ip, String vifname, String rate, Integer mtu) {}

  /** One disk: the settings of xl's disk, as JSON. */
  record Vbd(String target, String format, String vdev, String access) {}

  /** LightVM's Xen settings: the device mechanism ({@code "noxs"} or {@code "xenstore"}). */
  record Xen(String dev_method) {}

  record Document(
      String name,
      String kernel,
      Integer memory,
      Integer vcpus,
      String ramdisk,
      String cmdline,
      List<Vif> vifs,
      List<Vbd> vbds,
      Boolean paused,
      Xen xen) {}

  /** Strict types: {@code "memory": "128"}, {@code 1.9} or {@code "name": 5} are errors. */
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .withCoercionConfigDefaults(
              config -> {
                config.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.String, CoercionAction.Fail);
              })
          .build();

  private ChaosJsonReader() {}

  public static GuestConfig read(Path file, String text) throws ConfigException {
    Document doc;
    try {
      doc = MAPPER.readValue(text, Document.class);
    } catch (UnrecognizedPropertyException e) {
      throw at(
          file,
          e,
          "unknown key '"
              + e.getPropertyName()
              + "': use name, kernel, memory, vcpus, ramdisk, cmdline, vifs, vbds, paused, xen");
    } catch (JsonProcessingException e) {
      throw at(file, e, e.getOriginalMessage());
    }
    if (doc == null) {
      throw new ConfigException(file, 0, 0, "the file holds no JSON object");
    }
    String name = require(file, doc.name(), "name");
    Optional<String> nameProblem = GuestNames.problem(name);
    if (nameProblem.isPresent()) {
      throw new ConfigException(file, 0, 0, nameProblem.get());
    }
    int memory = positive(file, doc.memory(), "memory", GuestConfig.DEFAULT_MEMORY_MIB);
    int vcpus = positive(file, doc.vcpus(), "vcpus", 1);
    List<VifSpec> vifs = new ArrayList<>();
    for (Vif vif : items(file, doc.vifs(), "vifs")) {
      vifs.add(
          DeviceSpecs.vif(
              file,
              0,
              0,
              join(
                  "mac",
                  vif.mac(),
                  "bridge",
                  vif.bridge(),
                  "ip",
                  vif.ip(),
                  "vifname",
                  vif.vifname(),
                  "rate",
                  vif.rate(),
                  "mtu",
                  vif.mtu() == null ? null : vif.mtu().toString())));
    }
    List<DiskSpec> disks = new ArrayList<>();
    for (Vbd vbd : items(file, doc.vbds(), "vbds")) {
      disks.add(
          DeviceSpecs.disk(
              file,
              0,
              0,
              // target= takes the rest of a DISKSPEC: it comes last.
              join(
                  "format",
                  vbd.format(),
                  "vdev",
                  vbd.vdev(),
                  "access",
                  vbd.access(),
                  "target",
                  vbd.target())));
    }
    return new GuestConfig(
        name,
        ConfigPaths.of(file, 0, 0, "kernel", require(file, doc.kernel(), "kernel")),
        doc.ramdisk() == null
            ? Optional.empty()
            : Optional.of(ConfigPaths.of(file, 0, 0, "ramdisk", doc.ramdisk())),
        Optional.ofNullable(doc.cmdline()).orElse(""),
        memory,
        memory,
        vcpus,
        vcpus,
        Optional.empty(),
        Optional.empty(),
        LifecycleAction.DESTROY,
        LifecycleAction.RESTART,
        LifecycleAction.DESTROY,
        vifs,
        disks,
        Boolean.TRUE.equals(doc.paused()),
        devices(file, doc.xen()),
        Optional.empty());
  }

  private static Optional<DeviceMechanism> devices(Path file, Xen xen) throws ConfigException {
    if (xen == null || xen.dev_method() == null) {
      return Optional.empty();
    }
    Optional<DeviceMechanism> mechanism = DeviceMechanism.parse(xen.dev_method());
    if (mechanism.isEmpty()) {
      throw new ConfigException(
          file,
          0,
          0,
          "xen.dev_method \"" + xen.dev_method() + "\" is not \"xenstore\" or \"noxs\"");
    }
    return mechanism;
  }

  /** A list's items, none of them null ({@code "vifs": [null]}); none when it is missing. */
  private static <T> List<T> items(Path file, List<T> list, String key) throws ConfigException {
    if (list == null) {
      return List.of();
    }
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == null) {
        throw new ConfigException(file, 0, 0, key + "[" + i + "] is null, not an object");
      }
    }
    return list;
  }

  private static String join(String... keysAndValues) {
    StringBuilder spec = new StringBuilder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null) {
        spec.append(spec.length() > 0 ? "," : "")
            .append(keysAndValues[i])
            .append('=')
            .append(keysAndValues[i + 1]);
      }
    }
    return spec.toString();
  }

  private static String require(Path file, String value, String key) throws ConfigException {
    if (value == null) {
      throw new ConfigException(file, 0, 0, "'" + key + "' is missing: a guest needs it");
    }
    return value;
  }

  private static int positive(Path file, Integer value, String key, int fallback)
      throws ConfigException {
    if (value == null) {
      return fallback;
    }
    if (value <= 0) {
      throw new ConfigException(file, 0, 0, key + " is a whole number above 0, not " + value);
    }
    return value;
  }

  private static ConfigException at(Path file, JsonProcessingException e, String problem) {
    JsonLocation location = e.getLocation();
    int line = location == null ? 0 : location.getLineNr();
    int column = location == null ? 0 : location.getColumnNr();
    return new ConfigException(file, Math.max(line, 0), Math.max(column, 0), problem, e);
  }
}
