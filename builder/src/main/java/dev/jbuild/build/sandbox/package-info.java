/**
 * Running RUN steps: the {@link dev.jbuild.build.sandbox.Sandbox} seam between the build
 * engine and the machine, and {@link dev.jbuild.build.sandbox.NamespaceSandbox}, which runs
 * steps rootless (or as root) in Linux namespaces through a worker JVM ({@link
 * dev.jbuild.build.sandbox.SandboxWorker}) on overlayfs snapshots. {@link
 * dev.jbuild.build.sandbox.RunPreparation} is the hook for {@code RUN --mount}.
 */
package dev.jbuild.build.sandbox;
