package org.chaosvm.daemon.engine;

import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.ConfigException;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.GuestConfigs;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.libxc.DomId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guest the daemon created or adopted. {@code config} is empty for an adopted guest whose config
 * was too long to keep in XenStore: such a guest cannot be restarted, only destroyed.
 */
record Guest(
    DomId domid,
    UUID uuid,
    String name,
    Optional<GuestConfig> config,
    String configText,
    LifecycleAction onPoweroff,
    LifecycleAction onReboot,
    LifecycleAction onCrash,
    DeviceMechanism mechanism) {
  private static final Logger log = LoggerFactory.getLogger(Guest.class);

  /**
   * A guest as a dead daemon recorded it, whatever the mechanism kept the record: its config read
   * back when its text was kept (and readable), each lifecycle action by its xl name, xl's default
   * where one is missing or unknown.
   */
  static Guest adopted(
      DomId domid,
      UUID uuid,
      String name,
      String configText,
      Optional<String> onPoweroff,
      Optional<String> onReboot,
      Optional<String> onCrash,
      DeviceMechanism mechanism) {
    Optional<GuestConfig> config = Optional.empty();
    if (!configText.isEmpty()) {
      try {
        config = Optional.of(GuestConfigs.parse(Path.of(name), configText).withName(name));
      } catch (ConfigException e) {
        log.warn("cannot read back {}'s config: {}", name, e.getMessage());
      }
    }
    return new Guest(
        domid,
        uuid,
        name,
        config,
        configText,
        action(onPoweroff, LifecycleAction.DESTROY),
        action(onReboot, LifecycleAction.RESTART),
        action(onCrash, LifecycleAction.DESTROY),
        mechanism);
  }

  /** The same guest under another name, its config's too. */
  Guest renamed(String newName) {
    return new Guest(
        domid,
        uuid,
        newName,
        config.map(c -> c.withName(newName)),
        configText,
        onPoweroff,
        onReboot,
        onCrash,
        mechanism);
  }

  /** The same guest with another handle. */
  Guest rehandled(UUID newUuid) {
    return new Guest(
        domid, newUuid, name, config, configText, onPoweroff, onReboot, onCrash, mechanism);
  }

  private static LifecycleAction action(Optional<String> name, LifecycleAction fallback) {
    return name.flatMap(LifecycleAction::fromXlName).orElse(fallback);
  }
}
