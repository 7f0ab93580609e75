package dev.jbuild.build.cli;

import static dev.jbuild.build.event.ProgressText.bytes;
import static dev.jbuild.build.event.ProgressText.seconds;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.oci.Digest;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Shows build events to a person. {@link Mode#PLAIN} writes one line per event, numbered per
 * step as BuildKit's plain progress does ({@code #3 [build 2/4] COPY app.jar /app/}, {@code #3
 * CACHED}, {@code #3 DONE 0.4s}): stable for CI logs. {@link Mode#TTY} prints each finished
 * step once and keeps one status line at the bottom, redrawn in place, with the running steps
 * and the bytes moving to or from registries.
 */
final class ProgressRenderer implements BuildListener, BuildEvent.Visitor<Void> {

  /** How progress is shown. */
  enum Mode {
    TTY,
    PLAIN
  }

  private final PrintWriter out;
  private final Mode mode;
  private final Map<String, Integer> stepNumbers = new LinkedHashMap<>();
  private final Map<String, Long> started = new LinkedHashMap<>();
  private final Map<String, BuildEvent.Step> running = new LinkedHashMap<>();
  private final Map<Digest, long[]> transfers = new LinkedHashMap<>();
  private final Map<Digest, Boolean> announced = new LinkedHashMap<>();
  private boolean statusShown;
  private int next = 1;

  ProgressRenderer(PrintWriter out, Mode mode) {
    this.out = out;
    this.mode = mode;
  }

  @Override
  public synchronized void onEvent(BuildEvent event) {
    clearStatus();
    event.accept(this);
    drawStatus();
    out.flush();
  }

  /** Removes the status line (before the final messages). */
  synchronized void finish() {
    clearStatus();
    out.flush();
  }

  private String key(BuildEvent.Step s) {
    return s.stage() + "\u0000" + s.index();
  }

  private int number(BuildEvent.Step s) {
    return stepNumbers.computeIfAbsent(key(s), k -> next++);
  }

  @Override
  public Void visit(BuildEvent.StepStarted e) {
    BuildEvent.Step s = e.step();
    started.put(key(s), System.nanoTime());
    running.put(key(s), s);
    if (mode == Mode.PLAIN) {
      out.println("#" + number(s) + " " + s.prefix() + " " + s.text());
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.StepCached e) {
    if (mode == Mode.PLAIN) {
      out.println("#" + number(e.step()) + " CACHED");
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.StepFinished e) {
    BuildEvent.Step s = e.step();
    running.remove(key(s));
    String time = seconds(e.millis());
    if (mode == Mode.PLAIN) {
      if (!e.cached()) {
        out.println("#" + number(s) + " DONE " + time);
      }
    } else {
      out.println(
          "=> " + (e.cached() ? "CACHED " : "") + s.prefix() + " " + s.text()
              + (e.cached() ? "" : "  " + time));
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.LayerWritten e) {
    if (mode == Mode.PLAIN) {
      out.println(
          "#" + number(e.step()) + " layer " + e.digest().shortHex() + " " + bytes(e.size()));
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.OutputLine e) {
    String prefix = mode == Mode.PLAIN ? "#" + number(e.step()) + " " : "   ";
    out.println(prefix + e.line());
    return null;
  }

  @Override
  public Void visit(BuildEvent.ManifestResolved e) {
    out.println(
        (mode == Mode.PLAIN ? "" : "=> ") + "resolve " + e.image() + "@" + e.digest()
            + (e.platform().isEmpty() ? "" : " (" + e.platform() + ")"));
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobProgress e) {
    transfers.put(e.blob(), new long[] {e.bytes(), e.total(), e.direction().ordinal()});
    if (e.done() && announced.putIfAbsent(e.blob(), true) == null) {
      transfers.remove(e.blob());
      if (mode == Mode.PLAIN || e.total() > 0) {
        out.println(
            (mode == Mode.PLAIN ? "" : "=> ") + direction(e.direction()) + " " + e.blob().shortHex()
                + " " + bytes(e.total()) + " done");
      }
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobSkipped e) {
    if (mode == Mode.PLAIN) {
      out.println(
          direction(e.direction()) + " " + e.blob().shortHex() + " "
              + e.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.ManifestPushed e) {
    out.println((mode == Mode.PLAIN ? "" : "=> ") + "pushed " + e.image() + "@" + e.digest());
    return null;
  }

  @Override
  public Void visit(BuildEvent.Retrying e) {
    out.println(
        "retrying " + e.what() + " (attempt " + e.attempt() + " failed: " + e.reason() + ")");
    return null;
  }

  @Override
  public Void visit(BuildEvent.Warning e) {
    out.println("warning: " + e.message());
    return null;
  }

  private static String direction(BuildEvent.Direction d) {
    return d == BuildEvent.Direction.PULL ? "pull" : "push";
  }

  private void clearStatus() {
    if (mode == Mode.TTY && statusShown) {
      out.print("\r\033[K");
      statusShown = false;
    }
  }

  private void drawStatus() {
    if (mode != Mode.TTY || (running.isEmpty() && transfers.isEmpty())) {
      return;
    }
    StringBuilder line = new StringBuilder();
    long now = System.nanoTime();
    for (Map.Entry<String, BuildEvent.Step> r : running.entrySet()) {
      BuildEvent.Step s = r.getValue();
      long ms = (now - started.getOrDefault(r.getKey(), now)) / 1_000_000;
      if (line.length() > 0) {
        line.append(" | ");
      }
      line.append(s.prefix()).append(' ').append(s.text()).append(' ').append(seconds(ms));
    }
    long done = 0;
    long total = 0;
    for (long[] t : transfers.values()) {
      done += t[0];
      total += Math.max(t[1], 0);
    }
    if (!transfers.isEmpty()) {
      line.append(line.length() > 0 ? " | " : "").append(bytes(done)).append(" / ").append(bytes(total));
    }
    String text = line.length() > 118 ? line.substring(0, 117) + "…" : line.toString();
    out.print("=> " + text);
    statusShown = true;
  }
}
