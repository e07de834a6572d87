package org.chaosvm.cli;

import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Stops {@link DaemonTestBase}'s shared daemon before a test class of another kind starts (its own
 * daemon would destroy the shared one's shells, its checks would see them) and when the tests end.
 * Registered through its service file, for the console launcher in Dom0 and for Maven's tests.
 */
public final class SharedDaemonListener implements TestExecutionListener {
  @Override
  public void executionStarted(TestIdentifier test) {
    test.getSource()
        .filter(ClassSource.class::isInstance)
        .map(source -> ((ClassSource) source).getJavaClass())
        .filter(type -> !DaemonTestBase.class.isAssignableFrom(type))
        .ifPresent(type -> stop());
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    stop();
  }

  private static void stop() {
    try {
      DaemonTestBase.stopShared();
    } catch (Exception | AssertionError e) {
      System.out.println("the shared chaos-daemon's stop: " + e);
    }
  }
}
