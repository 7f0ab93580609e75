package dev.jbuild.build;

import java.util.Locale;
import java.util.Set;

/** moby's {@code signal.ParseSignal} for Linux: STOPSIGNAL values. */
final class Signals {

  private Signals() {}

  private static final Set<String> NAMES =
      Set.of(
          "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
          "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
          "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU",
          "XFSZ", "RTMIN", "RTMAX");

  /** Whether the signal is a name (any case, with or without SIG) or a number 1–255. */
  static boolean isValid(String raw) {
    if (!raw.isEmpty() && raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
      if (raw.length() > 3) {
        return false;
      }
      int n = Integer.parseInt(raw);
      return n > 0 && n <= 255;
    }
    String name = raw.toUpperCase(Locale.ROOT);
    if (name.startsWith("SIG")) {
      name = name.substring(3);
    }
    if (NAMES.contains(name)) {
      return true;
    }
    for (int i = 1; i <= 15; i++) {
      if (name.equals("RTMIN+" + i)) {
        return true;
      }
    }
    for (int i = 1; i <= 14; i++) {
      if (name.equals("RTMAX-" + i)) {
        return true;
      }
    }
    return false;
  }
}
