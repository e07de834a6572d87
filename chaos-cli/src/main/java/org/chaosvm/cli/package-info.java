/** The {@code chaos} command: a thin client of the daemon's documented socket protocol. */
package org.chaosvm.cli;
