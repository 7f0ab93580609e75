package dev.jbuild.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Draws the jbuild/buildah ratios of {@code bench/e2e.sh} as a PNG: one panel per mode (root,
 * rootless), one group of bars per case, one bar per measure (pull, cold, cached, changed, push) at
 * the median ratio with a whisker from the smallest to the largest ratio of a round. The y axis
 * is logarithmic (2× faster and 2× slower are the same distance from 1); lines mark parity and
 * the 0.5× budget. Headless AWT only, so it runs on a CI machine without a display.
 *
 * <p>{@code RatioChart IN.tsv OUT.png}; each input line is {@code mode TAB case TAB measure TAB
 * "median min max n"}.
 */
public final class RatioChart {

  /** One ratio: median and the range over the rounds. */
  record Ratio(String mode, String caseName, String measure, double median, double min, double max, int rounds) {}

  private static final List<String> MEASURES = List.of("pull", "cold", "cached", "changed", "push");
  private static final Color[] COLORS = {
    new Color(0x8c564b), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
    new Color(0x9467bd)
  };
  private static final int WIDTH = 1200;
  private static final int PANEL_HEIGHT = 330;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 70;
  private static final int GAP = 60;

  private RatioChart() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: RatioChart IN.tsv OUT.png");
      System.exit(2);
    }
    List<Ratio> ratios = read(Path.of(args[0]));
    if (ratios.isEmpty()) {
      System.err.println("RatioChart: no ratios in " + args[0] + ": nothing drawn");
      System.exit(1);
    }
    BufferedImage image = draw(ratios);
    Path out = Path.of(args[1]).toAbsolutePath();
    Path tmp = Files.createTempFile(out.getParent(), "." + out.getFileName(), ".tmp");
    try {
      if (!ImageIO.write(image, "png", tmp.toFile())) {
        throw new IOException("no PNG writer in this JDK");
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static List<Ratio> read(Path tsv) throws IOException {
    List<Ratio> out = new ArrayList<>();
    int line = 0;
    for (String l : Files.readAllLines(tsv, StandardCharsets.UTF_8)) {
      line++;
      if (l.isBlank()) {
        continue;
      }
      String[] f = l.split("\t");
      String[] v = f.length == 4 ? f[3].trim().split(" +") : new String[0];
      if (v.length != 4 || v[0].equals("-")) {
        if (v.length == 4) {
          continue; // no pair of runs
        }
        throw new IOException(tsv + ":" + line + ": expected mode, case, measure, \"median min max n\"");
      }
      try {
        out.add(new Ratio(f[0], f[1], f[2], Double.parseDouble(v[0]), Double.parseDouble(v[1]),
            Double.parseDouble(v[2]), Integer.parseInt(v[3])));
      } catch (NumberFormatException e) {
        throw new IOException(tsv + ":" + line + ": not a number: " + e.getMessage(), e);
      }
    }
    return out;
  }

  static BufferedImage draw(List<Ratio> ratios) {
    Set<String> modes = new LinkedHashSet<>();
    Set<String> cases = new LinkedHashSet<>();
    Map<String, Ratio> byKey = new LinkedHashMap<>();
    double lo = 0.25;
    double hi = 2;
    int rounds = 0;
    for (Ratio r : ratios) {
      modes.add(r.mode());
      cases.add(r.caseName());
      byKey.put(r.mode() + "/" + r.caseName() + "/" + r.measure(), r);
      lo = Math.min(lo, r.min());
      hi = Math.max(hi, r.max());
      rounds = Math.max(rounds, r.rounds());
    }
    // whole powers of two around the data
    double logLo = Math.floor(log2(Math.max(lo, 1.0 / 64)));
    double logHi = Math.ceil(log2(Math.min(hi, 64)));

    int height = TOP + modes.size() * (PANEL_HEIGHT + GAP) + 10;
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, height);

    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString("jbuild / buildah wall time (median of per-round ratios, whiskers min–max, "
        + rounds + " rounds); below 1 = jbuild faster", LEFT, 28);
    // legend
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    int lx = LEFT;
    for (int i = 0; i < MEASURES.size(); i++) {
      g.setColor(COLORS[i]);
      g.fillRect(lx, 42, 14, 14);
      g.setColor(Color.BLACK);
      String label = MEASURES.get(i).equals("changed") ? "one file changed" : MEASURES.get(i);
      g.drawString(label, lx + 20, 54);
      lx += 40 + g.getFontMetrics().stringWidth(label);
    }
    g.setColor(new Color(0xd62728));
    g.drawString("- - budget 0.5×", lx, 54);

    int py = TOP;
    for (String mode : modes) {
      panel(g, mode, new ArrayList<>(cases), byKey, py, logLo, logHi);
      py += PANEL_HEIGHT + GAP;
    }
    g.dispose();
    return image;
  }

  private static void panel(Graphics2D g, String mode, List<String> cases, Map<String, Ratio> byKey,
      int top, double logLo, double logHi) {
    int x0 = LEFT;
    int x1 = WIDTH - RIGHT;
    int y0 = top + 20;
    int y1 = top + PANEL_HEIGHT - 30;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(mode, x0, top + 12);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    // grid: one line per power of two
    for (double e = logLo; e <= logHi + 1e-9; e++) {
      int y = y(Math.pow(2, e), y0, y1, logLo, logHi);
      g.setColor(e == 0 ? Color.BLACK : new Color(0xdddddd));
      g.setStroke(new BasicStroke(e == 0 ? 1.5f : 1f));
      g.drawLine(x0, y, x1, y);
      g.setColor(Color.DARK_GRAY);
      String label = e >= 0 ? String.format(Locale.ROOT, "%.0f×", Math.pow(2, e))
          : String.format(Locale.ROOT, "1/%.0f", Math.pow(2, -e));
      g.drawString(label, x0 - 8 - fm.stringWidth(label), y + 4);
    }
    int budget = y(0.5, y0, y1, logLo, logHi);
    g.setColor(new Color(0xd62728));
    g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 5f}, 0f));
    g.drawLine(x0, budget, x1, budget);
    g.setStroke(new BasicStroke(1f));

    int groupWidth = (x1 - x0) / Math.max(1, cases.size());
    int barWidth = Math.min(40, (groupWidth - 30) / MEASURES.size());
    int one = y(1, y0, y1, logLo, logHi);
    for (int ci = 0; ci < cases.size(); ci++) {
      String c = cases.get(ci);
      int gx = x0 + ci * groupWidth + (groupWidth - barWidth * MEASURES.size()) / 2;
      for (int mi = 0; mi < MEASURES.size(); mi++) {
        Ratio r = byKey.get(mode + "/" + c + "/" + MEASURES.get(mi));
        int bx = gx + mi * barWidth;
        if (r == null) {
          g.setColor(Color.GRAY);
          g.drawString("–", bx + barWidth / 2 - 3, one - 4);
          continue;
        }
        int ym = y(r.median(), y0, y1, logLo, logHi);
        g.setColor(COLORS[mi]);
        g.fillRect(bx + 2, Math.min(ym, one), barWidth - 4, Math.max(1, Math.abs(one - ym)));
        g.setColor(Color.BLACK);
        int cx = bx + barWidth / 2;
        int ya = y(r.min(), y0, y1, logLo, logHi);
        int yb = y(r.max(), y0, y1, logLo, logHi);
        g.drawLine(cx, ya, cx, yb);
        g.drawLine(cx - 4, ya, cx + 4, ya);
        g.drawLine(cx - 4, yb, cx + 4, yb);
        String v = String.format(Locale.ROOT, r.median() < 10 ? "%.2f" : "%.0f", r.median());
        int ty = r.median() <= 1 ? Math.max(ya, ym) + 13 : Math.min(yb, ym) - 4;
        g.drawString(v, cx - fm.stringWidth(v) / 2, ty);
      }
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
      int w = g.getFontMetrics().stringWidth(c);
      g.drawString(c, x0 + ci * groupWidth + (groupWidth - w) / 2, y1 + 24);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }
  }

  private static int y(double ratio, int y0, int y1, double logLo, double logHi) {
    double l = Math.max(logLo, Math.min(logHi, log2(ratio)));
    return (int) Math.round(y1 - (l - logLo) / (logHi - logLo) * (y1 - y0));
  }

  private static double log2(double v) {
    return Math.log(v) / Math.log(2);
  }
}
