package dev.jbuild.build.event;

/**
 * Durations and sizes as the progress of a build shows them, the CLI's lines and the Maven
 * plugin's log alike: {@code 1.2s}, {@code 512B}, {@code 199.8kB}.
 */
public final class ProgressText {

  private ProgressText() {}

  /*
   * Both give what String.format(Locale.ROOT, "%.1f…") gave (half up, checked against it on
   * millions of values), in integers: the first String.format of a run initialises the
   * Formatter and the locale's number symbols, 10-30 ms on the stage thread at the first step's
   * DONE line.
   */

  public static String seconds(long millis) {
    return tenths((Math.max(millis, 0) + 50) / 100) + "s";
  }

  public static String bytes(long n) {
    if (n < 0) {
      return "?";
    }
    if (n < 1024) {
      return n + "B";
    }
    double v = n;
    String[] units = {"kB", "MB", "GB", "TB"};
    int u = -1;
    long unit = 1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
      unit *= 1000;
    }
    // n / unit in tenths, half up, without the overflow of 10n (unit is a power of 1000)
    long tenth = unit / 10;
    return tenths(n / tenth + (n % tenth >= tenth / 2 ? 1 : 0)) + units[Math.max(u, 0)];
  }

  private static String tenths(long t) {
    return (t / 10) + "." + (t % 10);
  }
}
