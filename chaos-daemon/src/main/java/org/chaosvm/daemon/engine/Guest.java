package org.chaosvm.daemon.engine;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.libxc.DomId;

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
    DeviceMechanism mechanism) {}
