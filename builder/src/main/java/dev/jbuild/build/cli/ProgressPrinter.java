package dev.jbuild.build.cli;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Renders pull and push events. Plain mode (a log, a pipe, CI) prints one line per finished
 * blob and per notable event; on a terminal the bytes of the blob in flight are shown on one
 * line that is rewritten in place.
 */
final class ProgressPrinter implements BuildListener, BuildEvent.Visitor<Void> {

  private final PrintWriter err;
  private final boolean live;
  private boolean lineOpen;

  ProgressPrinter(PrintWriter err, boolean live) {
    this.err = err;
    this.live = live;
  }

  @Override
  public synchronized void onEvent(BuildEvent event) {
    event.accept(this);
    err.flush();
  }

  private void line(String text) {
    if (lineOpen) {
      err.print("\r\033[K");
      lineOpen = false;
    }
    err.println(text);
  }

  @Override
  public Void visit(BuildEvent.ManifestResolved e) {
    line(e.image() + ": resolved to " + e.digest() + (e.platform().isEmpty() ? "" : " (" + e.platform() + ")"));
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobProgress e) {
    String verb = e.direction() == BuildEvent.Direction.PULL ? "pulled" : "pushed";
    String blob = e.blob().algorithm() + ":" + e.blob().shortHex();
    if (e.done()) {
      line(blob + ": " + verb + " " + size(e.total()));
    } else if (live) {
      String doing = e.direction() == BuildEvent.Direction.PULL ? "pulling" : "pushing";
      err.print("\r\033[K" + blob + ": " + doing + " " + size(e.bytes())
          + (e.total() >= 0 ? " / " + size(e.total()) : ""));
      lineOpen = true;
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobSkipped e) {
    String blob = e.blob().algorithm() + ":" + e.blob().shortHex();
    switch (e.reason()) {
      case IN_STORE:
        line(blob + ": already in the local store");
        break;
      case EXISTS:
        line(blob + ": already in the registry");
        break;
      case MOUNTED:
      default:
        line(blob + ": mounted from another repository");
        break;
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.ManifestPushed e) {
    line(e.image() + ": pushed manifest " + e.digest());
    return null;
  }

  @Override
  public Void visit(BuildEvent.Retrying e) {
    line("retrying " + e.what() + " in " + String.format(Locale.ROOT, "%.1f", e.delayMillis() / 1000.0)
        + "s (attempt " + e.attempt() + " failed: " + e.reason() + ")");
    return null;
  }

  @Override
  public Void visit(BuildEvent.Warning e) {
    line("warning: " + e.message());
    return null;
  }

  /** Bytes as docker shows them: B, kB, MB, GB (decimal). */
  static String size(long bytes) {
    if (bytes < 0) {
      return "?";
    }
    if (bytes < 1000) {
      return bytes + "B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = bytes;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, units[u]);
  }
}
