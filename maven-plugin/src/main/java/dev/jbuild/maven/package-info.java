/**
 * The jbuild Maven goals: {@code jbuild:build} (package), {@code jbuild:push} (deploy), {@code
 * jbuild:check} and {@code jbuild:save}. Each goal turns its configuration into a {@link
 * dev.jbuild.build.BuildRequest} and calls the builder in Maven's JVM; events become log lines
 * and errors one {@link org.apache.maven.plugin.MojoFailureException} with the same positioned
 * messages as the CLI.
 */
package dev.jbuild.maven;
