package org.chaosvm.daemon.engine;

import java.util.UUID;
import org.chaosvm.libxc.DomId;

/**
 * A VM shell: a domain created and paused, its limits, CPU policy and event channels set, waiting
 * for a kernel. What the prepare phase makes and the execute phase finishes.
 */
record Shell(DomId domid, UUID uuid, SizeClass size, int consolePort, int storePort) {}
