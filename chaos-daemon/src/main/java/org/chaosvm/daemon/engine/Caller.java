package org.chaosvm.daemon.engine;

import java.util.List;
import java.util.Optional;
import org.chaosvm.libxc.UnixUser;

/**
 * Who sent a request: the user at the other end of the socket ({@code SO_PEERCRED}), or this
 * process itself ({@link #ROOT}: {@code --direct}, tests, benchmarks). Root may do anything; what
 * another member of the socket's group may do is {@link Access}'s to say.
 */
public record Caller(UnixUser user) {
  public static final Caller ROOT = new Caller(new UnixUser("root", 0, 0, List.of(0)));

  public boolean isRoot() {
    return user.isRoot();
  }

  public String name() {
    return user.name();
  }

  /** The caller of that user name (or uid, for a user without an entry), if the host knows it. */
  public static Optional<Caller> named(String name) {
    return UnixUser.named(name).map(Caller::new);
  }
}
