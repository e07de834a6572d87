/**
 * The long-running half of chaos's split toolstack: it runs the prepare phase ahead of time, keeps
 * the resulting VM shells in a pool, runs the execute phase on request, and follows each guest's
 * lifecycle.
 */
package org.chaosvm.daemon;
