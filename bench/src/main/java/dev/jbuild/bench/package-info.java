/** JMH benchmarks of the hot paths. Run: java -jar bench/target/benchmarks.jar. */
package dev.jbuild.bench;
