package dev.jbuild.build;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.event.BuildListener;
import dev.jbuild.build.output.ExportTarget;
import dev.jbuild.build.output.ImageExporter;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.PushImage;
import dev.jbuild.build.registry.Registries;
import dev.jbuild.build.registry.RegistryOptions;
import dev.jbuild.build.sandbox.Sandbox;
import dev.jbuild.cache.AtomicFile;
import dev.jbuild.cache.BlobStore;
import dev.jbuild.cache.BuildCache;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.JbuildRoot;
import dev.jbuild.dockerfile.Dockerfiles;
import dev.jbuild.dockerfile.ir.Dockerfile;
import dev.jbuild.dockerfile.shell.BuildArgs;
import dev.jbuild.dockerfile.shell.GlobalArgs;
import dev.jbuild.dockerfile.shell.ShellLexer;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.Platform;
import dev.jbuild.oci.RawJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Builds images: the entry point the CLI and the Maven goal call.
 *
 * <pre>{@code
 * Builder builder = new Builder(JbuildRoot.fromEnvironment(), RegistryOptions.defaults(),
 *     Sandbox.unavailable(), listener);
 * BuildResult r = builder.build(BuildRequest.builder(Path.of(".")).tag("app:1").build());
 * }</pre>
 *
 * <p>A build parses the Dockerfile, plans the stages the target needs, runs them (independent
 * stages in parallel, every filesystem step through the build cache), stores the image and
 * then writes the outputs. Events go to the listener; nothing is printed. Errors are {@link
 * dev.jbuild.dockerfile.DockerfileException} (bad Dockerfile, positioned), {@link
 * BuildStepException} (a step failed, positioned) or another {@link JbuildException}; none
 * leaves a tag on a partial image. Thread-safe: builds may run concurrently on one root.
 */
public final class Builder {

  private final JbuildRoot root;
  private final RegistryOptions registryOptions;
  private final Sandbox sandbox;
  private final BuildListener listener;

  public Builder(
      JbuildRoot root, RegistryOptions registryOptions, Sandbox sandbox, BuildListener listener) {
    this.root = root;
    this.registryOptions = registryOptions;
    this.sandbox = sandbox;
    this.listener = listener;
  }

  /** Runs one build. */
  public BuildResult build(BuildRequest request) {
    Instant now = Instant.now();
    request = withEpochFromBuildArgs(request);
    List<Platform> targets =
        request.platforms().isEmpty() ? List.of(defaultPlatform()) : request.platforms();
    for (int i = 0; i < targets.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (targets.get(i).normalized().equals(targets.get(j).normalized())) {
          throw new JbuildException("--platform " + targets.get(i) + " is given twice");
        }
      }
    }
    BlobStore blobs = BlobStore.open(root);
    try (BuildContext context = openContext(request)) {
      DockerfileSource source = readDockerfile(request, context);
      Dockerfile dockerfile = Dockerfiles.parse(source.displayName(), source.content());
      validateOutputs(request);
      ImageStore store = new ImageStore(blobs);
      AtomicReference<Registries> registries = new AtomicReference<>();
      Supplier<Registries> lazyRegistries =
          () ->
              registries.updateAndGet(
                  r -> r != null ? r : new Registries(registryOptions, listener));
      List<Built> built = new ArrayList<>();
      for (Platform target : targets) {
        built.add(buildFor(request, dockerfile, store, context, lazyRegistries, target, now));
      }
      return output(request, store, lazyRegistries, built, context.hasher().filesRead());
    }
  }

  /** One platform's image, stored. */
  private record Built(FinalImage.Stored image, Platform platform, int steps, int cachedSteps) {}

  private Built buildFor(
      BuildRequest request,
      Dockerfile dockerfile,
      ImageStore store,
      BuildContext context,
      Supplier<Registries> registries,
      Platform target,
      Instant now) {
    String targetStage = request.target().orElse(dockerfile.lastStage().name().orElse("default"));
    BuildArgs args =
        new BuildArgs(
            request.buildArgs(), shellPlatform(defaultPlatform()), shellPlatform(target),
            targetStage);
    BuildPlan plan =
        BuildPlan.create(
            dockerfile,
            GlobalArgs.start(args, new ShellLexer(dockerfile.directives().escape())),
            request.target());
    int threads =
        Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), plan.neededStages().size()));
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "jbuild-stage");
              t.setDaemon(true);
              return t;
            });
    BuildRun run = null;
    boolean built = false;
    try {
      run =
          new BuildRun(
              request, plan, store, BuildCache.open(store.blobs()), context, registries, sandbox,
              listener, pool, target, now);
      StageResult result = run.execute();
      FinalImage.Stored image = FinalImage.store(run, result);
      // the cache entries are durable before the image is named
      run.awaitCacheWrites();
      built = true;
      return new Built(image, result.platform(), run.steps(), run.cachedSteps());
    } finally {
      if (run != null && !built) {
        run.awaitCacheWritesQuietly();
      }
      pool.shutdownNow();
    }
  }

  /**
   * Tags, pushes and exports the image: one platform's manifest, or an OCI index over every
   * platform's manifest (its digest is then the image ID, as docker shows it).
   */
  private BuildResult output(
      BuildRequest request, ImageStore store, Supplier<Registries> registries, List<Built> built,
      long filesRead) {
    Descriptor root;
    dev.jbuild.oci.Digest imageId;
    Platform platform = built.get(0).platform();
    if (built.size() == 1) {
      root = built.get(0).image().manifest();
      imageId = built.get(0).image().config().digest();
    } else {
      List<Descriptor> manifests = new ArrayList<>();
      for (Built b : built) {
        manifests.add(b.image().manifest().withPlatform(b.platform()));
      }
      root = store.blobs().put(RawJson.of(ImageIndex.oci(manifests)));
      imageId = root.digest();
      platform = null;
    }
    List<String> tags = new ArrayList<>();
    List<String> pushed = new ArrayList<>();
    for (OutputSpec output : request.effectiveOutputs()) {
      switch (output.type()) {
        case LOCAL_STORE:
          for (String t : request.tags()) {
            tags.add(store.tag(t, root).name());
          }
          break;
        case REGISTRY:
          PushImage push = new PushImage(registries.get(), store, listener);
          for (String t : request.tags()) {
            PushImage.PushedImage p = push.push(root, t, ImageReference.parse(t));
            pushed.add(p.reference() + "@" + p.digest());
          }
          break;
        default:
          new ImageExporter(store.blobs())
              .export(
                  root,
                  request.tags(),
                  platform,
                  ExportTarget.of(output.type().text(), output.dest().orElseThrow()));
      }
    }
    Descriptor manifest = root;
    request.iidFile().ifPresent(f -> writeFile(f, imageId.toString()));
    request.metadataFile().ifPresent(f -> writeFile(f, metadata(manifest, imageId, tags)));
    int steps = built.stream().mapToInt(Built::steps).sum();
    int cached = built.stream().mapToInt(Built::cachedSteps).sum();
    return new BuildResult(root, imageId, tags, pushed, steps, cached, filesRead);
  }

  private BuildContext openContext(BuildRequest request) {
    if (request.context() instanceof BuildRequest.ContextSource.Tar) {
      String name = request.dockerfile().map(Path::toString).orElse(null);
      return BuildContext.fromTar(
          ((BuildRequest.ContextSource.Tar) request.context()).stream(), name, root.dir());
    }
    Path dir = ((BuildRequest.ContextSource.Directory) request.context()).dir();
    if (!Files.isDirectory(dir)) {
      throw new JbuildException(
          "the build context " + dir + " is not a directory: pass the directory that holds the"
              + " files COPY reads (usually .)");
    }
    Path dockerfile = request.dockerfile().orElse(BuildContext.defaultDockerfile(dir));
    return BuildContext.ofDirectory(dir, dockerfile, root.dir());
  }

  /** linux on this machine's architecture: what BuildKit targets by default. */
  static Platform defaultPlatform() {
    Platform host = Platform.host();
    return Platform.of("linux", host.architecture(), host.variant());
  }

  static dev.jbuild.dockerfile.shell.Platform shellPlatform(Platform p) {
    return new dev.jbuild.dockerfile.shell.Platform(
        p.os(),
        p.architecture(),
        p.variant() == null ? "" : p.variant(),
        p.osVersion() == null ? "" : p.osVersion());
  }

  /** {@code --build-arg SOURCE_DATE_EPOCH=…} sets the epoch, as in BuildKit. */
  private static BuildRequest withEpochFromBuildArgs(BuildRequest request) {
    String value = request.buildArgs().get("SOURCE_DATE_EPOCH");
    if (value == null || request.sourceDateEpoch().isPresent() || value.isEmpty()) {
      return request;
    }
    return request.withSourceDateEpoch(parseEpoch(value));
  }

  /** Parses a SOURCE_DATE_EPOCH value: whole seconds since 1970. */
  public static Instant parseEpoch(String value) {
    try {
      return Instant.ofEpochSecond(Long.parseLong(value.trim()));
    } catch (NumberFormatException | java.time.DateTimeException e) {
      throw new JbuildException(
          "invalid SOURCE_DATE_EPOCH \"" + value + "\": expected whole seconds since 1970-01-01,"
              + " e.g. $(git log -1 --format=%ct)");
    }
  }

  private void validateOutputs(BuildRequest request) {
    for (String t : request.tags()) {
      try {
        ImageStore.normalizeName(t);
      } catch (IllegalArgumentException e) {
        throw new JbuildException("invalid tag \"" + t + "\": " + e.getMessage());
      }
    }
    for (OutputSpec o : request.effectiveOutputs()) {
      if (o.type() == OutputSpec.Type.REGISTRY && request.tags().isEmpty()) {
        throw new JbuildException(
            "--push and --output type=registry need a name to push to: add -t REGISTRY/NAME:TAG");
      }
    }
  }

  /** The Dockerfile's name for messages and its bytes. */
  record DockerfileSource(String displayName, byte[] content) {}

  private DockerfileSource readDockerfile(BuildRequest request, BuildContext context) {
    Path file;
    String display;
    if (request.context() instanceof BuildRequest.ContextSource.Tar) {
      String name = request.dockerfile().map(Path::toString).orElse("Dockerfile");
      file = context.directory().resolve(name);
      if (request.dockerfile().isEmpty()) {
        file = BuildContext.defaultDockerfile(context.directory());
      }
      display = request.dockerfile().map(Path::toString).orElse(file.getFileName().toString());
    } else if (request.dockerfile().isPresent()) {
      file = request.dockerfile().get();
      display = file.toString();
    } else {
      file = BuildContext.defaultDockerfile(context.directory());
      display = file.getFileName().toString();
    }
    try {
      return new DockerfileSource(display, Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new JbuildException(
          "cannot read the Dockerfile: " + file + " does not exist; name it with -f FILE");
    } catch (IOException e) {
      throw new JbuildException("cannot read the Dockerfile " + file + ": " + e.getMessage());
    }
  }

  private static void writeFile(Path file, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    if (holds(file, bytes)) {
      // a rebuild naming the same image writes the same ID: the temp file, rename and two
      // fsyncs cost up to 15 ms of a 0.6 s cached rebuild, and the file already says it
      return;
    }
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new JbuildException("cannot write " + file + ": " + e.getMessage());
    }
    AtomicFile.write(file, bytes);
  }

  /** Whether {@code file} is a regular file (not a link to one) holding exactly {@code bytes}. */
  private static boolean holds(Path file, byte[] bytes) {
    try {
      java.nio.file.attribute.BasicFileAttributes a =
          Files.readAttributes(
              file,
              java.nio.file.attribute.BasicFileAttributes.class,
              java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile()
          && a.size() == bytes.length
          && java.util.Arrays.equals(Files.readAllBytes(file), bytes);
    } catch (IOException e) {
      return false; // absent or unreadable: write it (and report what fails then)
    }
  }

  /** The {@code --metadata-file} document, with the keys docker buildx writes. */
  static String metadata(Descriptor image, dev.jbuild.oci.Digest imageId, List<String> tags) {
    Map<String, String> fields = new TreeMap<>();
    fields.put("containerimage.config.digest", imageId.toString());
    fields.put("containerimage.digest", image.digest().toString());
    if (!tags.isEmpty()) {
      fields.put("image.name", String.join(",", tags));
    }
    StringBuilder out = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<String, String> e : fields.entrySet()) {
      out.append("  ").append(GoFormat.quote(e.getKey())).append(": ").append(GoFormat.quote(e.getValue()));
      out.append(++i < fields.size() ? ",\n" : "\n");
    }
    out.append("  \"containerimage.descriptor\": {\"mediaType\": ")
        .append(GoFormat.quote(image.mediaType()))
        .append(", \"digest\": ")
        .append(GoFormat.quote(image.digest().toString()))
        .append(", \"size\": ")
        .append(image.size())
        .append("}\n");
    out.append("}\n");
    return out.toString();
  }
}
