package dev.jbuild.cache;

import java.nio.file.Path;

/**
 * Run in a second JVM by the tests: writes the same blobs as its sibling and adds its own
 * tags, to show that processes sharing a store lose nothing.
 */
public final class StoreWorker {
  private StoreWorker() {}

  public static void main(String[] args) {
    ImageStore store = ImageStore.open(new JbuildRoot(Path.of(args[0])));
    String prefix = args[1];
    int count = Integer.parseInt(args[2]);
    TestImages.Image shared = TestImages.put(store.blobs(), "shared");
    for (int i = 0; i < count; i++) {
      TestImages.Image mine = TestImages.put(store.blobs(), "shared");
      store.tag("example.com/" + prefix + ":" + i, i % 2 == 0 ? shared.manifest()
          : mine.manifest());
    }
  }
}
