package dev.jbuild.maven;

import static dev.jbuild.build.event.ProgressText.bytes;
import static dev.jbuild.build.event.ProgressText.seconds;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.maven.plugin.logging.Log;

/**
 * Build events as Maven log lines, one per event, in the shape of BuildKit's plain progress
 * ({@code [build 2/4] COPY target/app.jar /app/}, {@code [build 2/4] CACHED}, {@code [build 2/4]
 * DONE 0.4s}). Steps and transfers are info (so {@code mvn -q} hides them), warnings are
 * warnings, per-blob skips are debug. Several goals may log at once under {@code mvn -T}: each
 * line is written whole.
 */
final class LogListener implements BuildListener, BuildEvent.Visitor<Void> {

  private final Log log;
  private final Map<String, Boolean> announced = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger layersWritten =
      new java.util.concurrent.atomic.AtomicInteger();

  LogListener(Log log) {
    this.log = log;
  }

  @Override
  public void onEvent(BuildEvent event) {
    event.accept(this);
  }

  @Override
  public Void visit(BuildEvent.StepStarted e) {
    log.info(e.step().prefix() + " " + e.step().text());
    return null;
  }

  @Override
  public Void visit(BuildEvent.StepCached e) {
    log.info(e.step().prefix() + " CACHED");
    return null;
  }

  @Override
  public Void visit(BuildEvent.StepFinished e) {
    if (!e.cached()) {
      log.info(e.step().prefix() + " DONE " + seconds(e.millis()));
    }
    return null;
  }

  /** How many new layers the build wrote: 0 when every filesystem step was a cache hit. */
  int layersWritten() {
    return layersWritten.get();
  }

  @Override
  public Void visit(BuildEvent.LayerWritten e) {
    layersWritten.incrementAndGet();
    log.info(e.step().prefix() + " layer " + e.digest().shortHex() + " " + bytes(e.size()));
    return null;
  }

  @Override
  public Void visit(BuildEvent.OutputLine e) {
    log.info(e.step().prefix() + " | " + e.line());
    return null;
  }

  @Override
  public Void visit(BuildEvent.ManifestResolved e) {
    log.info(
        "resolve " + e.image() + "@" + e.digest()
            + (e.platform().isEmpty() ? "" : " (" + e.platform() + ")"));
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobProgress e) {
    if (e.done() && announced.putIfAbsent(e.direction() + e.blob().toString(), true) == null) {
      log.info(direction(e.direction()) + " " + e.blob().shortHex() + " " + bytes(e.total()) + " done");
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.BlobSkipped e) {
    if (log.isDebugEnabled()) {
      log.debug(
          direction(e.direction()) + " " + e.blob().shortHex() + " "
              + e.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
    return null;
  }

  @Override
  public Void visit(BuildEvent.ManifestPushed e) {
    log.info("pushed " + e.image() + "@" + e.digest());
    return null;
  }

  @Override
  public Void visit(BuildEvent.Retrying e) {
    log.warn("retrying " + e.what() + " (attempt " + e.attempt() + " failed: " + e.reason() + ")");
    return null;
  }

  @Override
  public Void visit(BuildEvent.Warning e) {
    log.warn(e.message());
    return null;
  }

  private static String direction(BuildEvent.Direction d) {
    return d == BuildEvent.Direction.PULL ? "pull" : "push";
  }
}
