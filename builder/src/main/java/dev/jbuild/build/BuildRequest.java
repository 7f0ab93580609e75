package dev.jbuild.build;

import dev.jbuild.layer.Compression;
import dev.jbuild.oci.Platform;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one build needs to know, as {@code docker build}'s flags say it. Made with {@link
 * #builder(Path)} (a context directory) or {@link #builder(InputStream)} (a context tar, {@code
 * jbuild build -}); immutable.
 *
 * @param context where the build context comes from
 * @param dockerfile the Dockerfile: a path on disk for a directory context (default {@code
 *     CONTEXT/Dockerfile}), a path inside the archive for a tar context (default {@code
 *     Dockerfile})
 * @param tags the {@code -t} names, as given
 * @param buildArgs the {@code --build-arg} values, in order
 * @param target the {@code --target} stage
 * @param platforms the {@code --platform} values; empty means the machine's platform, several
 *     build one image each under an OCI index
 * @param pull when base images are pulled
 * @param noCache {@code --no-cache}: no cache lookups (results are still recorded)
 * @param labels {@code --label} values, merged into the image's labels at the end
 * @param outputs where the image goes; empty means the local store
 * @param push {@code --push}: push every tag to its registry too
 * @param sourceDateEpoch {@code SOURCE_DATE_EPOCH}: history and config times, layer mtimes
 *     clamped
 * @param iidFile {@code --iidfile}: where to write the image ID
 * @param metadataFile {@code --metadata-file}: where to write the build's JSON metadata
 * @param compression how new layers are compressed (gzip by default, as BuildKit; zstd is
 *     several times faster to write and read by containerd 1.5+, Docker 23+ and podman)
 */
public record BuildRequest(
    ContextSource context,
    Optional<Path> dockerfile,
    List<String> tags,
    Map<String, String> buildArgs,
    Optional<String> target,
    List<Platform> platforms,
    PullPolicy pull,
    boolean noCache,
    Map<String, String> labels,
    List<OutputSpec> outputs,
    boolean push,
    Optional<Instant> sourceDateEpoch,
    Optional<Path> iidFile,
    Optional<Path> metadataFile,
    Compression compression) {

  /** Where the build context comes from. */
  public sealed interface ContextSource {
    /** A directory on disk. */
    record Directory(Path dir) implements ContextSource {
      public Directory {
        Objects.requireNonNull(dir, "dir");
      }
    }

    /** A tar stream (plain, gzip or bzip2), read once. */
    record Tar(InputStream stream) implements ContextSource {
      public Tar {
        Objects.requireNonNull(stream, "stream");
      }
    }
  }

  public BuildRequest {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(dockerfile, "dockerfile");
    tags = List.copyOf(tags);
    buildArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(buildArgs));
    Objects.requireNonNull(target, "target");
    platforms = List.copyOf(platforms);
    Objects.requireNonNull(pull, "pull");
    labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(sourceDateEpoch, "sourceDateEpoch");
    Objects.requireNonNull(iidFile, "iidFile");
    Objects.requireNonNull(metadataFile, "metadataFile");
    Objects.requireNonNull(compression, "compression");
  }

  /** A request for the context directory {@code dir}. */
  public static Builder builder(Path dir) {
    return new Builder(new ContextSource.Directory(dir));
  }

  /** A request whose context is a tar stream. */
  public static Builder builder(InputStream contextTar) {
    return new Builder(new ContextSource.Tar(contextTar));
  }

  /** The outputs in effect: the local store when none were asked for, plus a push. */
  public List<OutputSpec> effectiveOutputs() {
    List<OutputSpec> out = new ArrayList<>(outputs);
    if (out.isEmpty()) {
      out.add(OutputSpec.localStore());
    }
    if (push && out.stream().noneMatch(o -> o.type() == OutputSpec.Type.REGISTRY)) {
      out.add(OutputSpec.registry());
    }
    return out;
  }

  /** Collects the fields of a request. */
  public static final class Builder {
    private final ContextSource context;
    private Path dockerfile;
    private final List<String> tags = new ArrayList<>();
    private final Map<String, String> buildArgs = new LinkedHashMap<>();
    private String target;
    private final List<Platform> platforms = new ArrayList<>();
    private PullPolicy pull = PullPolicy.MISSING;
    private boolean noCache;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final List<OutputSpec> outputs = new ArrayList<>();
    private boolean push;
    private Instant sourceDateEpoch;
    private Path iidFile;
    private Path metadataFile;
    private Compression compression = Compression.GZIP;

    private Builder(ContextSource context) {
      this.context = context;
    }

    public Builder dockerfile(Path v) {
      dockerfile = v;
      return this;
    }

    public Builder tag(String v) {
      tags.add(v);
      return this;
    }

    public Builder tags(List<String> v) {
      tags.addAll(v);
      return this;
    }

    public Builder buildArg(String name, String value) {
      buildArgs.put(name, value);
      return this;
    }

    public Builder buildArgs(Map<String, String> v) {
      buildArgs.putAll(v);
      return this;
    }

    public Builder target(String v) {
      target = v;
      return this;
    }

    public Builder platform(Platform v) {
      platforms.add(v);
      return this;
    }

    public Builder pull(PullPolicy v) {
      pull = v;
      return this;
    }

    public Builder noCache(boolean v) {
      noCache = v;
      return this;
    }

    public Builder label(String name, String value) {
      labels.put(name, value);
      return this;
    }

    public Builder output(OutputSpec v) {
      outputs.add(v);
      return this;
    }

    public Builder push(boolean v) {
      push = v;
      return this;
    }

    public Builder sourceDateEpoch(Instant v) {
      sourceDateEpoch = v;
      return this;
    }

    public Builder iidFile(Path v) {
      iidFile = v;
      return this;
    }

    public Builder metadataFile(Path v) {
      metadataFile = v;
      return this;
    }

    public Builder compression(Compression v) {
      compression = v;
      return this;
    }

    public BuildRequest build() {
      return new BuildRequest(
          context,
          Optional.ofNullable(dockerfile),
          tags,
          buildArgs,
          Optional.ofNullable(target),
          platforms,
          pull,
          noCache,
          labels,
          outputs,
          push,
          Optional.ofNullable(sourceDateEpoch),
          Optional.ofNullable(iidFile),
          Optional.ofNullable(metadataFile),
          compression);
    }
  }
}
