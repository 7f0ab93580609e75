package dev.jbuild.bench;

import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Parses a generated 10,000-line Dockerfile (every instruction kind, continuations, heredocs,
 * exec-form JSON, flags, comments). Goal: under 50 ms per parse.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ParseBenchmark {

  static final int LINES = 10_000;

  byte[] dockerfile;

  @Setup(Level.Trial)
  public void generate() {
    dockerfile = generate(LINES, new Random(42));
  }

  @Benchmark
  public SyntaxTree parse() {
    return Dockerfiles.parseSyntax("Dockerfile", dockerfile);
  }

  /** A Dockerfile of at least {@code lines} physical lines. */
  static byte[] generate(int lines, Random r) {
    StringBuilder sb = new StringBuilder(lines * 40);
    sb.append("# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\n\n");
    sb.append("ARG BASE=debian:12\n");
    int n = 4;
    int stage = 0;
    while (n < lines) {
      switch (r.nextInt(16)) {
        case 0:
          sb.append("FROM --platform=$BUILDPLATFORM ${BASE} AS stage").append(stage++).append('\n');
          n++;
          break;
        case 1: {
          sb.append("# install the tools\nRUN apt-get update \\\n");
          int k = 2 + r.nextInt(6);
          for (int i = 0; i < k; i++) {
            sb.append("    && apt-get install -y --no-install-recommends pkg").append(i).append(" \\\n");
          }
          sb.append("    && rm -rf /var/lib/apt/lists/*\n");
          n += k + 3;
          break;
        }
        case 2:
          sb.append("RUN --mount=type=cache,target=/root/.m2 --network=none <<EOF\n")
              .append("set -e\nmvn -B -q package\ncp target/app.jar /app.jar\nEOF\n");
          n += 5;
          break;
        case 3:
          sb.append("COPY --chown=app:app --chmod=0644 <<conf.properties <<run.sh /etc/app/\n")
              .append("a=1\nb=\"two\"\nconf.properties\n#!/bin/sh\nexec java -jar /app.jar\nrun.sh\n");
          n += 7;
          break;
        case 4:
          sb.append("CMD [\"java\", \"-XX:+UseZGC\", \"-Dfile.encoding=UTF-8\", \"-jar\", \"/app.jar\"]\n");
          n++;
          break;
        case 5:
          sb.append("ENTRYPOINT [\"/usr/bin/tini\", \"--\"]\n");
          n++;
          break;
        case 6:
          sb.append("ENV JAVA_HOME=/opt/java PATH=\"/opt/java/bin:$PATH\" LANG=C.UTF-8\n");
          n++;
          break;
        case 7:
          sb.append("LABEL org.opencontainers.image.title=\"app\" \\\n")
              .append("      org.opencontainers.image.version=\"1.").append(n).append("\"\n");
          n += 2;
          break;
        case 8:
          sb.append("COPY --from=stage0 --link /src/target/*.jar /app/lib/\n");
          n++;
          break;
        case 9:
          sb.append("ADD --checksum=sha256:0123abcd https://example.com/x.tar.gz /tmp/\n");
          n++;
          break;
        case 10:
          sb.append("WORKDIR /app\nUSER 1000:1000\nEXPOSE 8080/tcp 8443\n");
          n += 3;
          break;
        case 11:
          sb.append("HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1\n");
          n++;
          break;
        case 12:
          sb.append("ARG VERSION=1.0 REVISION\nVOLUME [\"/data\", \"/logs\"]\n");
          n += 2;
          break;
        case 13:
          sb.append("SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nSTOPSIGNAL SIGTERM\n");
          n += 2;
          break;
        case 14:
          sb.append("ONBUILD RUN echo building on top \\\n  && ls -la\n");
          n += 2;
          break;
        default:
          sb.append("\nRUN echo \"step ").append(n).append("\" > /tmp/step && cat /tmp/step\n");
          n += 2;
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
