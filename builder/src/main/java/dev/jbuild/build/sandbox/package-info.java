/**
 * Running RUN steps: the {@link dev.jbuild.build.sandbox.Sandbox} seam between the build
 * engine and the machine. Until the rootless sandbox lands, {@link
 * dev.jbuild.build.sandbox.Sandbox#unavailable()} makes RUN a positioned error.
 */
package dev.jbuild.build.sandbox;
