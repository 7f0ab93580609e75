package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.dockerfile.ir.CacheSharing;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cache-mount instances and BuildKit's sharing modes, in one JVM and across two. */
class CacheMountsTest {

  @TempDir Path tmp;

  @Test
  void oneKeyIsOneDirectoryAcrossUsesAndTheKeyIsRecorded() throws Exception {
    CacheMounts caches = new CacheMounts(tmp.resolve("cache-mounts"));
    Path first;
    try (CacheMounts.Lease l = caches.acquire("/root/.m2", CacheSharing.SHARED)) {
      first = l.dir();
      assertThat(first).isDirectory();
      assertThat(first.getFileName().toString()).isEqualTo("0");
    }
    try (CacheMounts.Lease l = caches.acquire("/root/.m2", CacheSharing.LOCKED)) {
      assertThat(l.dir()).isEqualTo(first);
    }
    try (CacheMounts.Lease l = caches.acquire("/other", CacheSharing.SHARED)) {
      assertThat(l.dir().getParent()).isNotEqualTo(first.getParent());
    }
    assertThat(Files.readString(first.getParent().resolve("key"))).isEqualTo("/root/.m2\n");
  }

  @Test
  void sharedUsersShareOneInstancePrivateUsersGetTheirOwn() {
    CacheMounts caches = new CacheMounts(tmp);
    try (CacheMounts.Lease a = caches.acquire("k", CacheSharing.SHARED);
        CacheMounts.Lease b = caches.acquire("k", CacheSharing.SHARED);
        CacheMounts.Lease c = caches.acquire("k", CacheSharing.PRIVATE);
        CacheMounts.Lease d = caches.acquire("k", CacheSharing.PRIVATE)) {
      assertThat(a.dir()).isEqualTo(b.dir());
      assertThat(c.dir()).isNotEqualTo(a.dir());
      assertThat(d.dir()).isNotEqualTo(a.dir()).isNotEqualTo(c.dir());
    }
    // all released: a private user takes the first instance again
    try (CacheMounts.Lease e = caches.acquire("k", CacheSharing.PRIVATE)) {
      assertThat(e.dir().getFileName().toString()).isEqualTo("0");
    }
  }

  @Test
  void lockedWaitsForTheHolderInThisJvm() throws Exception {
    CacheMounts caches = new CacheMounts(tmp);
    CacheMounts.Lease held = caches.acquire("k", CacheSharing.LOCKED);
    CompletableFuture<Path> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              try (CacheMounts.Lease l = caches.acquire("k", CacheSharing.LOCKED)) {
                return l.dir();
              }
            });
    try {
      waiter.get(700, TimeUnit.MILLISECONDS);
      throw new AssertionError("a locked cache mount was taken twice");
    } catch (TimeoutException expected) {
      // still waiting, as it must
    }
    held.close();
    assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(held.dir());
  }

  @Test
  void lockedWaitsForAnotherProcessAndPrivateGoesAround() throws Exception {
    Path dir = tmp.resolve("cache-mounts");
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CacheMountLockHolder.class.getName(),
                dir.toString(),
                "k",
                "LOCKED")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      Path theirs = Path.of(out.readLine());
      CacheMounts caches = new CacheMounts(dir);
      try (CacheMounts.Lease mine = caches.acquire("k", CacheSharing.PRIVATE)) {
        assertThat(mine.dir()).isNotEqualTo(theirs);
      }
      try (CacheMounts.Lease shared = caches.acquire("k", CacheSharing.SHARED)) {
        assertThat(shared.dir()).isNotEqualTo(theirs);
      }
      long start = System.nanoTime();
      CompletableFuture<Path> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                // instance 1 (made by the private user) is free: take it first
                try (CacheMounts.Lease a = caches.acquire("k", CacheSharing.LOCKED);
                    CacheMounts.Lease b = caches.acquire("k", CacheSharing.LOCKED)) {
                  return b.dir();
                }
              });
      Thread.sleep(700);
      assertThat(waiter).isNotDone();
      holder.getOutputStream().close();
      assertThat(waiter.get(20, TimeUnit.SECONDS)).isEqualTo(theirs);
      assertThat(System.nanoTime() - start).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(700));
    } finally {
      holder.destroy();
      holder.waitFor(20, TimeUnit.SECONDS);
    }
  }
}
