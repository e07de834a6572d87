package org.chaosvm.rig;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A line plot with a logarithmic y axis, drawn to PNG with Java2D (as the LightVM paper's creation
 * time figures are drawn): one curve per series, series whose name ends in "boot" dashed, series
 * that share the name's first part ("xl create", "xl boot") one color. Runs where Java2D has fonts:
 * on the build host, not in the rig's Dom0.
 *
 * <pre>java -cp xen-rig/target/classes org.chaosvm.rig.LogPlot TSV PNG TITLE</pre>
 *
 * The TSV's first line names the columns: x, then one per series; "-" marks a missing value, and a
 * series with no value at all (a curve the run skipped) is not drawn.
 */
public final class LogPlot {
  /** One curve: points (x[i], y[i]); NaN or non-positive y values are skipped. */
  public record Series(String name, double[] x, double[] y) {}

  private static final int WIDTH = 1200;
  private static final int HEIGHT = 720;
  private static final int LEFT = 90;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd)
  };

  private LogPlot() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: LogPlot TSV PNG TITLE");
      System.exit(2);
    }
    List<String> lines = Files.readAllLines(Path.of(args[0]));
    String xLabel = lines.get(0).split("\t")[0];
    write(Path.of(args[1]), args[2], xLabel, "milliseconds (log scale)", readTsv(lines));
  }

  /** The series of a TSV's lines as described above. */
  public static List<Series> readTsv(List<String> lines) {
    String[] names = lines.get(0).split("\t");
    List<double[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split("\t");
      double[] row = new double[names.length];
      for (int i = 0; i < names.length; i++) {
        row[i] =
            i < cells.length && !cells[i].equals("-") ? Double.parseDouble(cells[i]) : Double.NaN;
      }
      rows.add(row);
    }
    List<Series> series = new ArrayList<>();
    for (int column = 1; column < names.length; column++) {
      double[] x = new double[rows.size()];
      double[] y = new double[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        x[i] = rows.get(i)[0];
        y[i] = rows.get(i)[column];
      }
      if (java.util.Arrays.stream(y).anyMatch(v -> !Double.isNaN(v))) {
        series.add(new Series(names[column], x, y)); // a series not measured at all is left out
      }
    }
    return series;
  }

  public static void write(
      Path png, String title, String xLabel, String yLabel, List<Series> series)
      throws IOException {
    double maxX = 1;
    double minY = Double.MAX_VALUE;
    double maxY = 0;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        maxX = Math.max(maxX, s.x()[i]);
        if (s.y()[i] > 0) {
          minY = Math.min(minY, s.y()[i]);
          maxY = Math.max(maxY, s.y()[i]);
        }
      }
    }
    if (maxY == 0) {
      throw new IllegalArgumentException("nothing to plot: no positive value");
    }
    int lowDecade = (int) Math.floor(Math.log10(minY));
    int highDecade = Math.max(lowDecade + 1, (int) Math.ceil(Math.log10(maxY)));

    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    Frame frame = new Frame(maxX, lowDecade, highDecade);

    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    for (int decade = lowDecade; decade <= highDecade; decade++) {
      for (int step = 1; step <= 9 && (decade < highDecade || step == 1); step++) {
        int y = frame.y(step * Math.pow(10, decade));
        g.setColor(step == 1 ? new Color(0xc8c8c8) : new Color(0xececec));
        g.drawLine(LEFT, y, WIDTH - RIGHT, y);
      }
      g.setColor(Color.DARK_GRAY);
      String label = formatMillis(Math.pow(10, decade));
      g.drawString(
          label,
          LEFT - 8 - g.getFontMetrics().stringWidth(label),
          frame.y(Math.pow(10, decade)) + 5);
    }
    double xStep = niceStep(maxX / 10);
    for (double x = 0; x <= maxX + 1e-9; x += xStep) {
      int px = frame.x(x);
      g.setColor(new Color(0xececec));
      g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
      g.setColor(Color.DARK_GRAY);
      String label = Long.toString(Math.round(x));
      g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, HEIGHT - BOTTOM + 20);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    g.drawString(
        xLabel,
        LEFT + (WIDTH - LEFT - RIGHT - g.getFontMetrics().stringWidth(xLabel)) / 2,
        HEIGHT - 25);
    g.rotate(-Math.PI / 2);
    g.drawString(
        yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + g.getFontMetrics().stringWidth(yLabel)) / 2), 22);
    g.rotate(Math.PI / 2);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(title, LEFT, TOP - 18);

    Map<String, Color> colors = new LinkedHashMap<>();
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    int legendY = TOP + 22;
    for (Series s : series) {
      Color color =
          colors.computeIfAbsent(family(s.name()), k -> PALETTE[colors.size() % PALETTE.length]);
      boolean dashed = s.name().endsWith("boot");
      g.setColor(color);
      g.setStroke(stroke(dashed));
      Path2D.Double line = new Path2D.Double();
      boolean started = false;
      for (int i = 0; i < s.x().length; i++) {
        if (!(s.y()[i] > 0)) {
          continue;
        }
        if (started) {
          line.lineTo(frame.x(s.x()[i]), frame.y(s.y()[i]));
        } else {
          line.moveTo(frame.x(s.x()[i]), frame.y(s.y()[i]));
          started = true;
        }
      }
      g.draw(line);
      g.drawLine(LEFT + 15, legendY - 5, LEFT + 55, legendY - 5);
      g.setColor(Color.BLACK);
      g.drawString(s.name(), LEFT + 62, legendY);
      legendY += 20;
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(image, "png", png.toFile());
  }

  /** Where values land on the canvas. */
  private record Frame(double maxX, int lowDecade, int highDecade) {
    int x(double value) {
      return LEFT + (int) Math.round(value / maxX * (WIDTH - LEFT - RIGHT));
    }

    int y(double value) {
      double fraction = (Math.log10(value) - lowDecade) / (highDecade - lowDecade);
      return HEIGHT - BOTTOM - (int) Math.round(fraction * (HEIGHT - TOP - BOTTOM));
    }
  }

  private static BasicStroke stroke(boolean dashed) {
    return dashed
        ? new BasicStroke(
            2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {7f, 5f}, 0f)
        : new BasicStroke(2f);
  }

  /** The series name without its last word: "chaos pooled create" and "... boot" are one family. */
  static String family(String name) {
    int space = name.lastIndexOf(' ');
    return space < 0 ? name : name.substring(0, space);
  }

  static String formatMillis(double ms) {
    return ms >= 1000
        ? Math.round(ms / 1000) + " s"
        : (ms >= 1 ? Math.round(ms) + " ms" : ms + " ms");
  }

  /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
  static double niceStep(double rough) {
    double power = Math.pow(10, Math.floor(Math.log10(Math.max(rough, 1e-9))));
    for (double factor : new double[] {1, 2, 5, 10}) {
      if (factor * power >= rough) {
        return factor * power;
      }
    }
    return 10 * power;
  }
}
