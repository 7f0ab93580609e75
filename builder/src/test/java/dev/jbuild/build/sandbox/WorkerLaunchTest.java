package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerLaunchTest {
  @TempDir Path tmp;

  @Test
  void jnasNativeLibraryIsCopiedOnceForTheWorkerAndPassedOn() throws Exception {
    Optional<Path> dir = WorkerLaunch.jnaBootDir(tmp);
    assertThat(dir).isPresent();
    Path lib = dir.get().resolve(System.mapLibraryName("jnidispatch"));
    byte[] expected;
    try (InputStream in = com.sun.jna.Native.class.getResourceAsStream(
        "/com/sun/jna/" + com.sun.jna.Platform.RESOURCE_PREFIX + "/" + lib.getFileName())) {
      expected = in.readAllBytes();
    }
    assertThat(Files.readAllBytes(lib)).isEqualTo(expected);
    try (var s = Files.list(dir.get())) {
      assertThat(s.toList()).containsExactly(lib); // no part file left
    }
    long written = Files.getLastModifiedTime(lib).toMillis();
    Files.setLastModifiedTime(lib, java.nio.file.attribute.FileTime.fromMillis(written - 60_000));
    assertThat(WorkerLaunch.jnaBootDir(tmp)).isEqualTo(dir);
    assertThat(Files.getLastModifiedTime(lib).toMillis()).isEqualTo(written - 60_000); // kept

    Kernel.geteuid(); // a first native call, as decide makes: JNA sets its library search path
    List<String> cmd = WorkerLaunch.javaCommand(dir);
    assertThat(cmd).contains("-Djna.boot.library.path=" + dir.get());
    assertThat(cmd).contains("-Djna.platform.library.path="
        + System.getProperty("jna.platform.library.path"));
  }

  @Test
  void anUnwritableDirectoryLeavesTheWorkerToUnpackTheLibraryItself() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-directory"), "x");
    assertThat(WorkerLaunch.jnaBootDir(file)).isEmpty();
    assertThat(WorkerLaunch.javaCommand(Optional.empty()))
        .noneMatch(a -> a.startsWith("-Djna.boot.library.path="));
  }

  @Test
  void theWorkersClassPathIsThisJvmsWhenItHoldsTheWorkersClasses() throws Exception {
    // a test run: class directories and jars, JNA's among them
    String jna = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI()).toString();
    assertThat(WorkerLaunch.classPath()).isEqualTo(System.getProperty("java.class.path"));
    assertThat(WorkerLaunch.classPath().split(java.io.File.pathSeparator)).contains(jna);
  }

  @Test
  void theLaunchersArchiveIsPassedOnByItsProperty() {
    String before = System.getProperty(WorkerLaunch.SHARED_ARCHIVE_PROPERTY);
    try {
      System.setProperty(WorkerLaunch.SHARED_ARCHIVE_PROPERTY, "/x/cli.jsa");
      assertThat(WorkerLaunch.javaCommand(Optional.empty())).containsSubsequence(
          "-XX:SharedArchiveFile=/x/cli.jsa", "-XX:+UnlockDiagnosticVMOptions",
          "-XX:ArchiveRelocationMode=0");
      System.clearProperty(WorkerLaunch.SHARED_ARCHIVE_PROPERTY);
      assertThat(WorkerLaunch.javaCommand(Optional.empty()))
          .noneMatch(a -> a.startsWith("-XX:SharedArchiveFile="))
          // the worker is root in its namespace: its messages name the user who builds
          .contains("-D" + WorkerLaunch.HOST_USER_PROPERTY + "=" + System.getProperty("user.name"));
    } finally {
      if (before != null) {
        System.setProperty(WorkerLaunch.SHARED_ARCHIVE_PROPERTY, before);
      }
    }
  }
}
