/**
 * Tinyx: builds a minimal Linux VM image for one application, with only the application, its
 * dependencies and BusyBox in the root file system, and a kernel trimmed to what it needs.
 */
package org.chaosvm.tinyx;
