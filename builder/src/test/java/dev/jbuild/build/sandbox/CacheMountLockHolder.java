package dev.jbuild.build.sandbox;

import dev.jbuild.dockerfile.ir.CacheSharing;
import java.nio.file.Path;

/**
 * Run in a second JVM by {@link CacheMountsTest}: takes a cache instance, prints its
 * directory, and holds it until standard input closes.
 */
public final class CacheMountLockHolder {
  private CacheMountLockHolder() {}

  public static void main(String[] args) throws Exception {
    CacheMounts caches = new CacheMounts(Path.of(args[0]));
    try (CacheMounts.Lease lease = caches.acquire(args[1], CacheSharing.valueOf(args[2]))) {
      System.out.println(lease.dir());
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold until the parent closes our standard input
      }
    }
  }
}
