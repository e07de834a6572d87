package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.chaosvm.libxc.DomId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** noxs guests' records on disk (no Xen). */
class NoxsRecordsTest {
  @TempDir Path dir;

  private static final NoxsRecords.Entry RUNNING =
      new NoxsRecords.Entry(
          7,
          "5a1b7e0c-7c2f-4b8e-9d3a-0c0ffee0cafe",
          "web1",
          NoxsRecords.STATE_RUNNING,
          "destroy",
          "restart",
          "preserve",
          "name = \"web1\"\nkernel = \"/k\" # \u00e9\n",
          17,
          123456789012L);

  @Test
  void aRecordIsReadBackAsWrittenAndRemoved() {
    NoxsRecords records = new NoxsRecords(dir);
    records.write(RUNNING);
    assertEquals(List.of(RUNNING), records.readAll().entries());
    records.remove(DomId.of(7));
    assertEquals(List.of(), records.readAll().entries());
  }

  @Test
  void aShellsEmptyFileIsSkippedThenFilledAndRemovedWithItsDomain() throws Exception {
    Path state = dir.resolve("noxs"); // made by the first reserve
    NoxsRecords records = new NoxsRecords(state);
    Files.createDirectories(state);
    Files.writeString(state.resolve("7.json"), "what a domain 7 of before left, and more of it");
    records.reserve(DomId.of(7));
    assertEquals(0, Files.size(state.resolve("7.json")));
    assertEquals(List.of(), records.readAll().entries()); // a shell's: skipped, kept
    assertEquals(List.of(DomId.of(7)), records.readAll().unwritten());
    assertEquals(List.of("7.json"), List.of(state.toFile().list()));

    records.write(RUNNING);
    assertEquals(
        List.of(RUNNING), new NoxsRecords(state).readAll().entries()); // as a restart reads it
    assertEquals(List.of(), records.readAll().unwritten());
    records.remove(DomId.of(7));
    assertEquals(List.of(), List.of(state.toFile().list()));
  }

  @Test
  void theStartCheckMakesTheFolderAndLeavesNothingInItOrSaysWhyItCannot() throws Exception {
    Path records = dir.resolve("state").resolve("noxs");
    new NoxsRecords(records).check();
    assertEquals(List.of(), List.of(records.toFile().list()));

    Path file = Files.writeString(dir.resolve("a-file"), "");
    UncheckedIOException e =
        assertThrows(
            UncheckedIOException.class, () -> new NoxsRecords(file.resolve("noxs")).check());
    assertTrue(e.getMessage().startsWith("cannot keep noxs records in " + file), e.getMessage());
  }

  @Test
  void unknownFieldsAreSkippedAndAnUnreadableRecordIsRemoved() throws Exception {
    Files.writeString(
        dir.resolve("8.json"),
        new String(NoxsRecords.encode(RUNNING)).replace("{", "{\"later\":{\"x\":[1,2]},"));
    Files.writeString(dir.resolve("9.json"), "{\"domid\": 9, \"name\": ");
    Files.writeString(dir.resolve("10.json"), "{\"domid\": 10}");
    List<NoxsRecords.Entry> read = new NoxsRecords(dir).readAll().entries();
    assertEquals(List.of(RUNNING), read);
    assertEquals(List.of("8.json"), List.of(dir.toFile().list()));
  }
}
