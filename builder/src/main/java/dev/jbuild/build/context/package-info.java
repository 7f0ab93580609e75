/**
 * The build context: a directory or a tar stream, filtered by {@code .dockerignore}
 * ({@link dev.jbuild.build.context.IgnoreFile}, {@link dev.jbuild.build.context.PatternMatcher}
 * with moby/patternmatcher semantics), COPY/ADD source resolution and walks ({@link
 * dev.jbuild.build.context.BuildContext}), and content hashing for cache keys with a
 * persistent stat cache ({@link dev.jbuild.build.context.ContextHasher}).
 */
package dev.jbuild.build.context;
