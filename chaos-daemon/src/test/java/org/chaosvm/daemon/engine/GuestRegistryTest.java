package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.daemon.engine.GuestRegistry.State;
import org.chaosvm.libxc.DomId;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.junit.jupiter.api.Test;

class GuestRegistryTest {
  private final GuestRegistry registry = new GuestRegistry();

  /** A XenStore guest with xl's default actions (for the engine's tests of this package). */
  static Guest guest(int domid, String name) {
    return new Guest(
        DomId.of(domid),
        UUID.nameUUIDFromBytes(name.getBytes()),
        name,
        Optional.empty(),
        "",
        LifecycleAction.DESTROY,
        LifecycleAction.RESTART,
        LifecycleAction.DESTROY,
        DeviceMechanism.XENSTORE);
  }

  private static ErrorCode code(Runnable action) {
    return assertThrows(ChaosException.class, action::run).code();
  }

  @Test
  void aReservedNameIsHeldUntilTheReservationEnds() {
    GuestRegistry.Reservation web = registry.reserve("web");
    ChaosException second = assertThrows(ChaosException.class, () -> registry.reserve("web"));
    assertEquals(ErrorCode.EXISTS, second.code());
    assertTrue(second.getMessage().contains("being created"), second.getMessage());
    web.close();
    registry.reserve("web").close();
  }

  @Test
  void aRegisteredGuestHoldsItsNameAndIsFoundByNameAndDomid() {
    GuestRegistry.Reservation web = registry.reserve("web");
    registry.register(guest(7, "web"), State.RUNNING, Optional.of(web));
    web.close(); // ending a used reservation lets nothing go
    assertEquals(ErrorCode.EXISTS, code(() -> registry.reserve("web")));
    assertEquals("web", registry.resolve(new GuestRef("7")).name());
    assertEquals(DomId.of(7), registry.resolve(new GuestRef("web")).domid());
    assertEquals(ErrorCode.NOT_FOUND, code(() -> registry.resolve(new GuestRef("db"))));
    assertEquals(ErrorCode.NOT_FOUND, code(() -> registry.resolve(new GuestRef("8"))));
    assertEquals(ErrorCode.WRONG_STATE, code(() -> registry.resolve(new GuestRef("0"))));
  }

  @Test
  void otherDomainsHoldTheirNamesUntilTheyAreGone() {
    registry.learnOther(DomId.of(3), "xl-guest", true);
    ChaosException taken = assertThrows(ChaosException.class, () -> registry.reserve("xl-guest"));
    assertTrue(taken.getMessage().contains("domain 3"), taken.getMessage());
    assertEquals(Optional.of(DomId.of(3)), registry.otherNamed("xl-guest"));
    // Another domain is not a guest: requests cannot name it.
    assertEquals(ErrorCode.NOT_FOUND, code(() -> registry.resolve(new GuestRef("xl-guest"))));
    registry.retainOnly(Set.of(DomId.DOM0));
    registry.reserve("xl-guest").close();
    assertFalse(registry.knows(DomId.of(3)));
  }

  @Test
  void aShellBecomesAGuestAndIsHiddenFromListsUntilThen() {
    registry.learnOther(DomId.of(4), "chaos-shell-4", false);
    registry.learnOther(DomId.of(4), "chaos-shell-4", true); // a later look cannot show it
    assertFalse(registry.listing(DomId.of(4)).orElseThrow().listed());
    GuestRegistry.Reservation web = registry.reserve("web");
    registry.register(guest(4, "web"), State.BUILDING, Optional.of(web));
    assertFalse(registry.listing(DomId.of(4)).orElseThrow().listed(), "building is hidden");
    assertTrue(registry.transition(DomId.of(4), State.BUILDING, State.RUNNING));
    assertTrue(registry.listing(DomId.of(4)).orElseThrow().listed());
    assertEquals("web", registry.listing(DomId.of(4)).orElseThrow().name());
    registry.reserve("chaos-shell-4").close(); // the shell's name went with the shell
  }

  @Test
  void aRequestInTheWrongStateNamesTheStateAndWhatItNeeds() {
    registry.register(guest(5, "db"), State.PRESERVED, Optional.empty());
    ChaosException e =
        assertThrows(
            ChaosException.class,
            () -> registry.require(guest(5, "db"), EnumSet.of(State.RUNNING), "pause"));
    assertEquals(ErrorCode.WRONG_STATE, e.code());
    assertEquals("cannot pause db: it is preserved (needs running)", e.getMessage());
    assertEquals(
        State.PRESERVED,
        registry.require(guest(5, "db"), EnumSet.of(State.RUNNING, State.PRESERVED), "destroy"));
  }

  @Test
  void onlyOneThreadClaimsAGuestsEnd() {
    registry.register(guest(6, "app"), State.RUNNING, Optional.empty());
    Set<State> live = EnumSet.of(State.RUNNING, State.PRESERVED);
    assertEquals(Optional.of(State.RUNNING), registry.claim(DomId.of(6), live, State.DESTROYING));
    assertEquals(Optional.empty(), registry.claim(DomId.of(6), live, State.DESTROYING));
    // The name is held while it is destroyed, free once it is forgotten.
    assertEquals(ErrorCode.EXISTS, code(() -> registry.reserve("app")));
    assertTrue(registry.forget(DomId.of(6)));
    assertFalse(registry.forget(DomId.of(6)));
    registry.reserve("app").close();
  }

  @Test
  void guestsWhoseDomainIsGoneAreReturnedButSavedOnesAreNot() {
    registry.register(guest(8, "a"), State.RUNNING, Optional.empty());
    registry.register(guest(9, "b"), State.SAVED, Optional.empty());
    registry.register(guest(10, "c"), State.RUNNING, Optional.empty());
    List<Guest> gone = registry.retainOnly(Set.of(DomId.of(10)));
    assertEquals(List.of("a"), gone.stream().map(Guest::name).toList());
  }

  @Test
  void aUuidInUseIsFound() {
    Guest web = guest(11, "web");
    registry.register(web, State.RUNNING, Optional.empty());
    assertEquals(Optional.of(web), registry.withUuid(web.uuid()));
    assertEquals(Optional.empty(), registry.withUuid(UUID.randomUUID()));
  }

  @Test
  void aNameIsCheckedAsAMapLookUpWhateverTheNumberOfDomains() {
    for (int domid = 1; domid < 30000; domid++) {
      registry.learnOther(DomId.of(domid), "xl-" + domid, true);
    }
    // Not a timing: what this shows is that reserve() reads no Xen, only maps (see the class).
    registry.reserve("new").close();
    assertEquals(ErrorCode.EXISTS, code(() -> registry.reserve("xl-29999")));
  }

  @Test
  void aMigrationsIncomingGuestTakesTheNameOfTheGuestSentOnceThatIsGone() {
    registry.register(guest(3, "web"), State.MIGRATING, Optional.empty());
    registry.register(guest(9, "web--incoming"), State.MIGRATING, Optional.empty());
    registry.requireFree("web", EnumSet.of(State.SUSPENDING, State.MIGRATING));
    assertEquals(ErrorCode.EXISTS, code(() -> registry.requireFree("web", Set.of())));
    assertEquals(ErrorCode.EXISTS, code(() -> registry.rename(DomId.of(9), "web")));

    registry.forget(DomId.of(3));
    Guest renamed = registry.rename(DomId.of(9), "web");

    assertEquals("web", renamed.name());
    assertEquals(DomId.of(9), registry.resolve(new GuestRef("web")).domid());
    assertEquals(ErrorCode.NOT_FOUND, code(() -> registry.resolve(new GuestRef("web--incoming"))));
    assertEquals(Optional.of(State.MIGRATING), registry.state(DomId.of(9)));
    registry.reserve("web--incoming").close(); // its old name is free again
  }

  @Test
  void aMigrationsIncomingGuestTakesTheHandleOfTheGuestSentOnceThatIsGone() {
    Guest sent = guest(3, "web");
    UUID own = sent.uuid();
    registry.register(sent, State.MIGRATING, Optional.empty());
    registry.register(guest(9, "web--incoming"), State.MIGRATING, Optional.empty());
    assertTrue(registry.withUuid(own).isPresent());
    assertFalse(registry.holds(own, EnumSet.of(State.SUSPENDING, State.MIGRATING)));
    assertFalse(registry.rehandle(DomId.of(9), own), "the guest sent holds it still");

    registry.forget(DomId.of(3));

    assertTrue(registry.rehandle(DomId.of(9), own));
    assertEquals(DomId.of(9), registry.withUuid(own).orElseThrow().domid());
    assertEquals(Optional.of(State.MIGRATING), registry.state(DomId.of(9)));
    assertTrue(registry.rehandle(DomId.of(9), own), "its own already");
  }
}
