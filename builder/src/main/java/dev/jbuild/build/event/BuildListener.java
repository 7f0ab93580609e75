package dev.jbuild.build.event;

/**
 * Receives the events of a build, pull or push. Called from worker threads: implementations
 * must be thread-safe. The core never prints; the CLI and the Maven goal render events.
 */
@FunctionalInterface
public interface BuildListener {

  /** A listener that drops every event. */
  BuildListener NONE = event -> {};

  void onEvent(BuildEvent event);
}
