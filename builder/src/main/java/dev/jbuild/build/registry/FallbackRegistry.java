package dev.jbuild.build.registry;

import dev.jbuild.build.event.BuildEvent;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.oci.Digest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Pulls through mirrors: each request goes to the first candidate that has not failed yet (the
 * mirrors in order, the registry itself last); a candidate that fails is dropped with a warning
 * and the request moves on. Pushes always go to the registry itself, the last candidate.
 */
final class FallbackRegistry implements Registry {

  /** A mirror or the registry, opened on first use. */
  record Candidate(String name, Supplier<Registry> opener) {}

  private final String name;
  private final List<Candidate> candidates;
  private final List<Registry> opened;
  private final BuildListener listener;
  private int current;

  FallbackRegistry(String name, List<Candidate> candidates, BuildListener listener) {
    this.name = name;
    this.candidates = List.copyOf(candidates);
    this.opened = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      opened.add(null);
    }
    this.listener = listener;
  }

  @Override
  public String name() {
    return name;
  }

  private synchronized Registry registry(int index) {
    Registry r = opened.get(index);
    if (r == null) {
      r = candidates.get(index).opener().get();
      opened.set(index, r);
    }
    return r;
  }

  private synchronized int current() {
    return current;
  }

  private synchronized void failed(int index, RegistryException e) {
    if (current == index && index < candidates.size() - 1) {
      current = index + 1;
      listener.onEvent(
          new BuildEvent.Warning(
              "mirror " + candidates.get(index).name() + " failed (" + e.getMessage()
                  + "); falling back to " + candidates.get(index + 1).name()));
    }
  }

  private <T> T withFallback(Function<Registry, T> request) {
    while (true) {
      int index = current();
      try {
        return request.apply(registry(index));
      } catch (RegistryException e) {
        if (index == candidates.size() - 1) {
          throw e;
        }
        failed(index, e);
      }
    }
  }

  @Override
  public RemoteManifest pullManifest(String tagOrDigest) {
    return withFallback(r -> r.pullManifest(tagOrDigest));
  }

  @Override
  public Optional<Long> checkBlob(Digest digest) {
    return withFallback(r -> r.checkBlob(digest));
  }

  @Override
  public void pullBlob(Digest digest, Path target, LongConsumer progress) {
    withFallback(
        r -> {
          r.pullBlob(digest, target, progress);
          return null;
        });
  }

  @Override
  public boolean pushBlob(Digest digest, Path file, Optional<String> mountFrom, LongConsumer progress) {
    return registry(candidates.size() - 1).pushBlob(digest, file, mountFrom, progress);
  }

  @Override
  public Digest pushManifest(byte[] manifest, String mediaType, String tagOrDigest) {
    return registry(candidates.size() - 1).pushManifest(manifest, mediaType, tagOrDigest);
  }

  @Override
  public synchronized void close() {
    for (Registry r : opened) {
      if (r != null) {
        r.close();
      }
    }
  }
}
