package dev.jbuild.build.sandbox;

import org.junit.jupiter.api.Tag;

/** {@link RunMountSandboxTest} on the copying snapshotter: mounts must not reach its layers either. */
@Tag("sandbox")
class RunMountCopySandboxTest extends RunMountSandboxTest {

  @Override
  String snapshotter() {
    return "copy";
  }
}
