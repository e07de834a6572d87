/**
 * Support for the end-to-end tests that run in the real-Xen rig's Dom0: the rig's test guest,
 * {@code xl}, and guest consoles as xenconsoled logs them. Used by every module's tests tagged
 * {@code xen}.
 */
package org.chaosvm.rig;
