package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogPlotTest {
  @Test
  void tsvBecomesAPngWithOneColorPerFamily(@TempDir Path dir) throws Exception {
    Path tsv =
        Files.writeString(
            dir.resolve("d.tsv"),
            "n\txl create\txl boot\tchaos create\tskipped\n1\t400\t380\t5\t-\n2\t420\t-\t6\t-\n");
    List<LogPlot.Series> series = LogPlot.readTsv(Files.readAllLines(tsv));
    assertEquals(3, series.size());
    assertTrue(Double.isNaN(series.get(1).y()[1]));

    Path png = dir.resolve("d.png");
    LogPlot.main(new String[] {tsv.toString(), png.toString(), "test"});
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1200, image.getWidth());
    assertEquals(720, image.getHeight());
  }

  @Test
  void familiesStepsAndLabels() {
    assertEquals("chaos pooled", LogPlot.family("chaos pooled boot"));
    assertEquals(20.0, LogPlot.niceStep(17));
    assertEquals(50.0, LogPlot.niceStep(30));
    assertEquals("10 ms", LogPlot.formatMillis(10));
    assertEquals("1 s", LogPlot.formatMillis(1000));
  }
}
