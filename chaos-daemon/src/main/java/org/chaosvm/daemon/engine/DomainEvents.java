package org.chaosvm.daemon.engine;

/**
 * Tells the engine that domains came or went, or that one shut down: the engine then looks at what
 * changed. How Dom0 hears of it is the implementation's business (today xenstored's watches, later
 * a Dom0 without xenstored). An event may be spurious; it may also stand for several changes.
 */
interface DomainEvents extends AutoCloseable {
  /** Starts calling {@code onChange} on a thread of its own, once at start and after each event. */
  void start(Runnable onChange);

  /**
   * Asks for one more call of {@code onChange} soon, as if an event had come: for a change that an
   * earlier call passed over. Does not wait for it.
   */
  void poke();

  /** Stops; {@code onChange} is not called after this returns. */
  @Override
  void close();
}
