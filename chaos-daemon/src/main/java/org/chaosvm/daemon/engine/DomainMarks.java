package org.chaosvm.daemon.engine;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.libxc.DomId;

/**
 * What the host says of a domain that chaos holds no record of: its name and chaos's mark (its
 * {@code chaos/state}), and a marked guest's record. XenStore holds them ({@link DomainLayout}); a
 * Dom0 without xenstored has {@link #NONE}: there, every domain chaos did not record is an unnamed
 * other.
 */
interface DomainMarks {
  Optional<String> state(DomId domid);

  Optional<String> name(DomId domid);

  Optional<UUID> uuid(DomId domid);

  /** A guest marked running, read back whole for its adoption. */
  Guest readGuest(DomId domid, UUID handle);

  DomainMarks NONE =
      new DomainMarks() {
        @Override
        public Optional<String> state(DomId domid) {
          return Optional.empty();
        }

        @Override
        public Optional<String> name(DomId domid) {
          return Optional.empty();
        }

        @Override
        public Optional<UUID> uuid(DomId domid) {
          return Optional.empty();
        }

        @Override
        public Guest readGuest(DomId domid, UUID handle) {
          throw new IllegalStateException("no marks to read domain " + domid + " from");
        }
      };

  /** The marks in XenStore, read through the calling thread's handle. */
  static DomainMarks inXenStore(XenHandles handles) {
    return new DomainMarks() {
      @Override
      public Optional<String> state(DomId domid) {
        return DomainLayout.state(handles.xs(), domid);
      }

      @Override
      public Optional<String> name(DomId domid) {
        return DomainLayout.name(handles.xs(), domid);
      }

      @Override
      public Optional<UUID> uuid(DomId domid) {
        return DomainLayout.uuid(handles.xs(), domid);
      }

      @Override
      public Guest readGuest(DomId domid, UUID handle) {
        return DomainLayout.readGuest(handles.xs(), domid, handle);
      }
    };
  }
}
