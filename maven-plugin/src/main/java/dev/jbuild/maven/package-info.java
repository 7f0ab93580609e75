/** The jbuild Maven goals (build, push, check, save). Filled by the Maven plugin issue. */
package dev.jbuild.maven;
