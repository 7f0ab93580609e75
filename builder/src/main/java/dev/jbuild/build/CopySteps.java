package dev.jbuild.build;

import dev.jbuild.build.context.BuildContext;
import dev.jbuild.build.context.ContextEntry;
import dev.jbuild.build.context.ContextException;
import dev.jbuild.build.context.PatternMatcher;
import dev.jbuild.build.context.SourceMatch;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.build.registry.InvalidReferenceException;
import dev.jbuild.cache.CacheKey;
import dev.jbuild.dockerfile.DockerfileException;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.Add;
import dev.jbuild.dockerfile.ir.Copy;
import dev.jbuild.dockerfile.ir.CopySource;
import dev.jbuild.dockerfile.ir.Instruction;
import dev.jbuild.dockerfile.ir.IrPrinter;
import dev.jbuild.dockerfile.syntax.Heredoc;
import dev.jbuild.layer.LayerBlob;
import dev.jbuild.layer.LayerEntry;
import dev.jbuild.layer.LayerStack;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import java.util.ArrayList;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * COPY and ADD: expands the instruction's words (sources, destination, {@code --chown},
 * {@code --chmod}, {@code --checksum}, here-document bodies; never {@code --from} or {@code
 * --exclude}), resolves where the files come from (the build context, a stage, an image),
 * computes the cache key from what the sources hold — context files by content and metadata
 * through the context's stat cache, a stage by its filesystem key, an image by its manifest —
 * and only on a miss produces the layer.
 */
final class CopySteps {

  private final BuildRun run;

  CopySteps(BuildRun run) {
    this.run = run;
  }

  /**
   * Starts hashing, on one background thread, the build-context files that the plan's COPY
   * and ADD steps will read, so that the hashing overlaps the pull of the base image instead
   * of following it: the step's own key computation then finds the digests in the stat cache.
   * Only sources known before the build runs are taken (no {@code $}, no {@code --from}, no
   * URL); a file changed in between is hashed again by the step (the stat cache decides), and
   * errors are left for the step to report. It stops when the first step starts hashing
   * context files itself.
   *
   * @return stops the hashing and waits for it (call when the build ends)
   */
  Runnable prefetchContextHashes(BuildPlan plan) {
    List<String> words = new ArrayList<>();
    List<List<String>> excludes = new ArrayList<>();
    for (BuildPlan.PlannedStage s : plan.neededStages()) {
      for (Instruction i : s.stage().instructions()) {
        List<CopySource> sources;
        List<String> ex;
        if (i instanceof Copy && ((Copy) i).from().isEmpty() && !((Copy) i).parents()) {
          sources = ((Copy) i).sources();
          ex = ((Copy) i).excludes();
        } else if (i instanceof Add) {
          sources = ((Add) i).sources();
          ex = ((Add) i).excludes();
        } else {
          continue;
        }
        for (CopySource c : sources) {
          if (c instanceof CopySource.PathSource) {
            String w = ((CopySource.PathSource) c).path();
            if (!w.contains("$") && !w.contains("://") && !w.contains(":")) {
              words.add(w);
              excludes.add(ex);
            }
          }
        }
      }
    }
    if (words.isEmpty()) {
      return () -> {};
    }
    BuildContext context = run.context();
    java.util.concurrent.atomic.AtomicBoolean stop = prefetchStop;
    Thread t =
        new Thread(
            () -> {
              for (int k = 0; k < words.size() && !stop.get(); k++) {
                try {
                  PatternMatcher exclude =
                      excludes.get(k).isEmpty() ? null : PatternMatcher.compile(excludes.get(k));
                  for (SourceMatch m : context.resolve(words.get(k))) {
                    if (stop.get()) {
                      return;
                    }
                    // nothing to do when the stat cache remembers the selection as it is
                    context.hasher().prefetch(context.walk(m, null, exclude), stop::get);
                  }
                } catch (RuntimeException e) {
                  // the step itself reports what is wrong with its sources
                }
              }
            },
            "jbuild-prehash");
    t.setDaemon(true);
    t.start();
    return () -> {
      stop.set(true);
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  /** Set when a step starts hashing context files itself: the prefetch then stops. */
  private final java.util.concurrent.atomic.AtomicBoolean prefetchStop =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Where a COPY reads its files. */
  sealed interface Origin {}

  /** The build context. */
  record ContextOrigin(BuildContext context) implements Origin {}

  /** A stage of this build ({@code --from=stage}). */
  record StageOrigin(StageResult stage) implements Origin {}

  /** An image ({@code --from=image}). */
  record ImageOrigin(BaseImages.Resolved image) implements Origin {}

  /**
   * A COPY or ADD with its words expanded.
   *
   * @param keyword COPY or ADD
   * @param sources the expanded path sources, in order
   * @param heredocs the here-document sources (name and expanded body)
   * @param dest the expanded destination as written
   * @param absoluteDest the destination made absolute against WORKDIR, trailing slash kept
   * @param chown the expanded {@code --chown}, or empty
   * @param chmod the expanded {@code --chmod}, or empty
   * @param checksum the expanded {@code --checksum} (ADD), or empty
   */
  record Expanded(
      String keyword,
      List<String> sources,
      List<Heredoc> heredocs,
      String dest,
      String absoluteDest,
      Optional<String> chown,
      Optional<String> chmod,
      Optional<String> checksum) {}

  void copy(StageExecutor stage, Copy copy) {
    Expanded x =
        expand(stage, copy, "COPY", copy.sources(), copy.destination(), copy.chown(), copy.chmod(),
            Optional.empty());
    for (String source : x.sources()) {
      if (gitRef(source, copy).isPresent()) {
        throw new DockerfileException("source can't be a git ref for COPY", copy.span());
      }
      if (isHttp(source)) {
        throw new DockerfileException("source can't be a URL for COPY", copy.span());
      }
    }
    Origin origin = origin(stage, copy);
    Copy canonical =
        new Copy(
            copy.span(),
            expandedSources(x),
            x.absoluteDest(),
            copy.from(),
            x.chown(),
            x.chmod(),
            copy.link(),
            copy.parents(),
            copy.excludes());
    boolean link = linked(copy.link(), x, copy);
    CacheKey.Builder key = CacheKey.builder("COPY").field("instruction", IrPrinter.print(canonical));
    if (!link) {
      key.parent(stage.fsKey());
    }
    addOriginInputs(key, origin, x, copy.parents(), copy.excludes(), Map.of(), copy);
    String createdBy = createdBy(x, copy.parents());
    Chmod chmod = chmod(x, copy);
    layerStep(
        stage, link, key.build(), createdBy,
        () -> produceCopyLayer(stage, copy, x, origin, copy.parents(), copy.excludes(), false, chmod,
            link, Map.of()));
  }

  /**
   * BuildKit's {@code --link}: honoured only without {@code --chmod} ({@code cfg.link &&
   * cfg.chmod == ""} in dispatchCopy); the copy then runs onto an empty filesystem, so a
   * {@code --chown} name cannot be looked up (BuildKit fails with "invalid user index: -1").
   */
  private static boolean linked(boolean flag, Expanded x, Instruction i) {
    if (!flag || x.chmod().isPresent()) {
      return false;
    }
    if (x.chown().isPresent() && UserDb.needsLookup(x.chown().get())) {
      throw new DockerfileException(
          x.keyword() + " --link --chown=" + x.chown().get() + ": user and group names cannot be"
              + " resolved with --link, which copies without reading the stage's /etc/passwd and"
              + " /etc/group; use numeric ids (--chown=UID:GID) or drop --link",
          i.span());
    }
    return true;
  }

  /**
   * Runs the layer step: a linked layer's key leaves out the filesystem below it, so the
   * layer is reused whatever the earlier steps produced, and it is merged on top.
   */
  private static void layerStep(
      StageExecutor stage, boolean link, CacheKey key, String createdBy,
      java.util.function.Supplier<LayerBlob> produce) {
    if (link) {
      stage.linkedLayerStep(key, createdBy, produce);
    } else {
      stage.copyLayerStep(key, createdBy, produce);
    }
  }

  void add(StageExecutor stage, Add add) {
    Expanded x =
        expand(stage, add, "ADD", add.sources(), add.destination(), add.chown(), add.chmod(),
            add.checksum());
    if (x.checksum().isPresent()) {
      if (x.sources().size() + x.heredocs().size() > 1) {
        throw new DockerfileException("checksum can't be specified for multiple sources", add.span());
      }
      if (x.sources().isEmpty()
          || !(isHttp(x.sources().get(0)) || gitRef(x.sources().get(0), add).isPresent())) {
        throw new DockerfileException("checksum requires HTTP(S) or Git sources", add.span());
      }
    }
    Map<String, GitFetch.Resolved> git = resolveGit(stage, add, x);
    Origin origin = new ContextOrigin(run.context());
    Add canonical =
        new Add(
            add.span(),
            expandedSources(x),
            x.absoluteDest(),
            x.chown(),
            x.chmod(),
            add.link(),
            add.excludes(),
            add.keepGitDir(),
            x.checksum(),
            add.unpack());
    boolean link = linked(add.link(), x, add);
    CacheKey.Builder key = CacheKey.builder("ADD").field("instruction", IrPrinter.print(canonical));
    if (!link) {
      key.parent(stage.fsKey());
    }
    addOriginInputs(key, origin, x, false, add.excludes(), git, add);
    Chmod chmod = chmod(x, add);
    boolean unpack = add.unpack().orElse(true);
    layerStep(
        stage, link, key.build(), createdBy(x, false),
        () -> produceCopyLayer(stage, add, x, origin, false, add.excludes(), unpack, chmod, link, git));
  }

  /** BuildKit's {@code ParseGitRef} on one source; bad options of a git URL are errors. */
  private static Optional<GitRef> gitRef(String source, Instruction i) {
    try {
      return GitRef.parse(source);
    } catch (GitRef.InvalidGitRefException e) {
      throw new DockerfileException(source + ": " + e.getMessage(), i.span());
    }
  }

  /**
   * The git sources of an ADD resolved to commits now ({@code git ls-remote}), as BuildKit's
   * git source computes its cache key: the step is reused while the ref names the same
   * commit, and rebuilt when it moves.
   */
  private Map<String, GitFetch.Resolved> resolveGit(StageExecutor stage, Add add, Expanded x) {
    Map<String, GitFetch.Resolved> out = new LinkedHashMap<>();
    for (String source : x.sources()) {
      Optional<GitRef> parsed = gitRef(source, add);
      if (parsed.isEmpty() || out.containsKey(source)) {
        continue;
      }
      GitRef ref;
      try {
        ref = parsed.get().withFlags(
            x.checksum(), add.keepGitDir() ? Optional.of(true) : Optional.empty());
      } catch (GitRef.InvalidGitRefException e) {
        throw new DockerfileException(e.getMessage(), add.span());
      }
      GitFetch fetch = git(stage, add, ref);
      try {
        out.put(source, fetch.resolve(ref));
      } catch (java.io.IOException e) {
        throw new BuildStepException(
            stage.spanOf(add), "ADD " + ref.redactedRemote() + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private GitFetch git(StageExecutor stage, Instruction i, GitRef ref) {
    if (gitFetch == null) {
      gitFetch =
          GitFetch.find(System.getenv("PATH"))
              .orElseThrow(
                  () ->
                      new BuildStepException(
                          stage.spanOf(i),
                          "ADD " + ref.redactedRemote() + ": adding a git repository needs the git"
                              + " command, and there is none on PATH; install git (for example"
                              + " apt-get install git) or clone the repository into the build"
                              + " context and COPY it"));
    }
    return gitFetch;
  }

  private volatile GitFetch gitFetch;

  /**
   * Writes the layer of a COPY or ADD on a cache miss: the sources selected again, the
   * destination read from the stage's layers (an empty filesystem for {@code --link}), the
   * entries written as one layer.
   */
  private LayerBlob produceCopyLayer(
      StageExecutor stage, Instruction i, Expanded x, Origin origin, boolean parents,
      List<String> excludes, boolean unpack, Chmod chmod, boolean link,
      Map<String, GitFetch.Resolved> git) {
    SourceSpan span = stage.spanOf(i);
    try {
      FileCopy.Source source = source(origin, stage, span);
      PatternMatcher exclude = excludes.isEmpty() ? null : PatternMatcher.compile(excludes);
      List<java.nio.file.Path> checkouts = new ArrayList<>();
      List<java.nio.file.Path> downloads = new ArrayList<>();
      StageExecutor.FilesystemRead<List<LayerEntry>> fill = dest -> {
        UserDb.Owner owner =
            x.chown().isPresent() ? new UserDb(dest).resolve(x.chown().get()) : null;
        FileCopy copy = new FileCopy(dest, owner, chmod, run.created());
        for (String word : x.sources()) {
          GitFetch.Resolved repo = git.get(word);
          if (repo != null) {
            checkouts.add(addRepository(copy, repo, x, exclude, span));
            continue;
          }
          if (isHttp(word)) {
            Download d = download(word, x.checksum(), span);
            downloads.add(d.file());
            copy.downloaded(d.name(), d.file(), d.size(), d.mtime(), x.absoluteDest());
            continue;
          }
          copyLocal(copy, source, origin, word, x, parents, exclude, unpack, span);
        }
        for (Heredoc h : x.heredocs()) {
          copy.heredoc(
              h.name(), h.content().getBytes(java.nio.charset.StandardCharsets.UTF_8),
              x.absoluteDest());
        }
        return copy.entries();
      };
      try {
        List<LayerEntry> entries;
        if (link) {
          // --link copies onto an empty filesystem: no destination symlink is followed, no
          // existing directory is kept, and the parents it creates replace those below it
          entries = fill.apply(LayerStack.of(List.of()));
        } else if (x.sources().stream().anyMatch(w -> git.containsKey(w) || isHttp(w))) {
          // a fetch is not to be repeated: the whole filesystem from the start
          entries = fill.apply(stage.stack());
        } else {
          // the copy reads the destination, its parents and what lies under it, and the user
          // database for --chown names: only that part of the stage's layers is read, unless
          // the copy turns out to need more
          List<String> paths = x.chown().map(UserDb::filesRead).orElse(List.of());
          String dest = SlashPaths.clean(x.absoluteDest()).substring(1);
          entries = stage.readFilesystem(paths, List.of(dest), fill);
        }
        return stage.writeLayer(entries, span);
      } finally {
        for (java.nio.file.Path p : downloads) {
          java.nio.file.Files.deleteIfExists(p);
        }
        for (java.nio.file.Path p : checkouts) {
          TempTrees.delete(p);
        }
      }
    } catch (ContextException e) {
      throw new BuildStepException(span, e.getMessage(), e);
    } catch (java.io.IOException e) {
      throw new BuildStepException(span, x.keyword() + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * ADD of a git repository: the resolved commit checked out, its tree (or subdirectory)
   * copied into the destination like a directory source; returns the checkout to delete.
   */
  private java.nio.file.Path addRepository(
      FileCopy copy, GitFetch.Resolved repo, Expanded x, PatternMatcher exclude, SourceSpan span)
      throws java.io.IOException {
    GitFetch.Checkout c;
    try {
      c = gitFetch.checkout(repo, run.store().blobs().root().tmp());
    } catch (java.io.IOException e) {
      throw new BuildStepException(
          span, "ADD " + repo.ref().redactedRemote() + ": " + e.getMessage(), e);
    }
    try {
      Instant mtime = repo.ref().commitMtime() ? c.commitTime() : run.created();
      FileCopy.Source tree = FileCopy.directory(c.root(), mtime, repo.ref().keepsGitDir());
      for (FileCopy.Match m : tree.resolve("/")) {
        copy.copy(tree, m, x.absoluteDest(), null, exclude, false);
      }
      // the layer is written after this returns: the caller deletes the checkout then
      return c.dir();
    } catch (java.io.IOException | RuntimeException e) {
      TempTrees.delete(c.dir());
      throw e;
    }
  }

  private void copyLocal(
      FileCopy copy, FileCopy.Source source, Origin origin, String word, Expanded x,
      boolean parents, PatternMatcher exclude, boolean unpack, SourceSpan span)
      throws java.io.IOException {
    String walkRoot = word;
    PatternMatcher include = null;
    if (parents) {
      // BuildKit: the part before a /./ pivot (the source root without one) is walked with
      // the rest as include pattern, and a literal path must exist (its RequiredPaths)
      int pivot = word.indexOf("/./");
      String pattern = pivot < 0 ? word : word.substring(pivot + 3);
      walkRoot = pivot < 0 ? "/" : word.substring(0, pivot);
      String cleanPattern = SlashPaths.clean("/" + pattern).substring(1);
      include = PatternMatcher.compile(List.of(cleanPattern));
      if (!dev.jbuild.build.context.Glob.hasWildcards(walkRoot)
          && !dev.jbuild.build.context.Glob.hasWildcards(cleanPattern)) {
        source.resolve(SlashPaths.join("/", walkRoot, cleanPattern));
      }
    }
    for (FileCopy.Match m : source.resolve(walkRoot)) {
      copy.copy(source, m, x.absoluteDest(), include, exclude, unpack);
    }
  }

  /** A file fetched for ADD. */
  private record Download(String name, java.nio.file.Path file, long size, Instant mtime) {}

  /**
   * Fetches {@code url} into the store's tmp/ (BuildKit's HTTP source): the name is the last
   * segment of the path ({@code __unnamed__} without one), the mtime the Last-Modified header,
   * and {@code --checksum=sha256:…} is verified.
   */
  private Download download(String url, Optional<String> checksum, SourceSpan span)
      throws java.io.IOException {
    java.net.URI uri;
    try {
      uri = java.net.URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new BuildStepException(span, "ADD " + url + ": not a valid URL: " + e.getMessage());
    }
    java.nio.file.Path tmp = run.store().blobs().root().tmp();
    java.nio.file.Files.createDirectories(tmp);
    java.nio.file.Path file = java.nio.file.Files.createTempFile(tmp, ".add-", "");
    boolean ok = false;
    try {
      java.net.http.HttpClient client =
          java.net.http.HttpClient.newBuilder()
              .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
              .connectTimeout(java.time.Duration.ofSeconds(30))
              .build();
      java.net.http.HttpResponse<java.nio.file.Path> response;
      try {
        response =
            client.send(
                java.net.http.HttpRequest.newBuilder(uri).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofFile(file));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BuildStepException(span, "ADD " + url + ": interrupted");
      } catch (java.io.IOException e) {
        throw new BuildStepException(span, "ADD " + url + ": cannot download it: " + e, e);
      }
      if (response.statusCode() != 200) {
        throw new BuildStepException(
            span, "ADD " + url + ": the server answered HTTP " + response.statusCode());
      }
      if (checksum.isPresent()) {
        dev.jbuild.oci.Digest want;
        try {
          want = dev.jbuild.oci.Digest.parse(checksum.get());
        } catch (IllegalArgumentException e) {
          throw new BuildStepException(
              span, "invalid --checksum " + checksum.get() + ": expected sha256:<64 hex digits>");
        }
        java.security.MessageDigest sha = dev.jbuild.oci.Digest.newSha256();
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            sha.update(buf, 0, n);
          }
        }
        dev.jbuild.oci.Digest got = dev.jbuild.oci.Digest.sha256(sha.digest());
        if (!got.equals(want)) {
          throw new BuildStepException(
              span, "ADD " + url + ": digest mismatch: expected " + want + ", got " + got);
        }
      }
      Instant mtime =
          response
              .headers()
              .firstValue("Last-Modified")
              .map(
                  v -> {
                    try {
                      return java.time.ZonedDateTime.parse(
                              v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                          .toInstant();
                    } catch (java.time.format.DateTimeParseException e) {
                      return run.created();
                    }
                  })
              .orElse(run.created());
      String path = response.uri().getPath() == null ? "" : response.uri().getPath();
      String name = path.isEmpty() || path.endsWith("/") ? "__unnamed__" : path.substring(path.lastIndexOf('/') + 1);
      Download d = new Download(name, file, java.nio.file.Files.size(file), mtime);
      ok = true;
      return d;
    } finally {
      if (!ok) {
        java.nio.file.Files.deleteIfExists(file);
      }
    }
  }

  private FileCopy.Source source(Origin origin, StageExecutor stage, SourceSpan span) {
    if (origin instanceof ContextOrigin) {
      return FileCopy.context(((ContextOrigin) origin).context());
    }
    if (origin instanceof StageOrigin) {
      return FileCopy.layers(run.layerStack(((StageOrigin) origin).stage().layers(), stage.step(), span));
    }
    return FileCopy.layers(
        run.layerStack(((ImageOrigin) origin).image().manifest().layers(), stage.step(), span));
  }

  private static Chmod chmod(Expanded x, Instruction i) {
    if (x.chmod().isEmpty()) {
      return null;
    }
    try {
      return Chmod.parse(x.chmod().get());
    } catch (IllegalArgumentException e) {
      throw new DockerfileException(e.getMessage(), i.span());
    }
  }

  // ---- expansion (spec §3: sources, dest, --chown, --chmod, --checksum, heredoc bodies) ----

  private Expanded expand(
      StageExecutor stage,
      Instruction i,
      String keyword,
      List<CopySource> sources,
      String dest,
      Optional<String> chown,
      Optional<String> chmod,
      Optional<String> checksum) {
    List<String> paths = new ArrayList<>();
    List<Heredoc> heredocs = new ArrayList<>();
    for (CopySource s : sources) {
      if (s instanceof CopySource.PathSource) {
        paths.add(stage.expandWord(((CopySource.PathSource) s).path(), i));
      } else {
        Heredoc h = ((CopySource.HeredocSource) s).heredoc();
        String body = h.expand() ? stage.expandHeredoc(h.content(), i) : h.content();
        heredocs.add(new Heredoc(h.name(), body, false, h.chomp(), h.fileDescriptor()));
      }
    }
    String d = stage.expandWord(dest, i);
    String workdir = stage.config().config().workingDir();
    return new Expanded(
        keyword,
        paths,
        heredocs,
        d,
        destination(workdir == null ? "/" : workdir, d),
        chown.map(v -> stage.expandWord(v, i)).filter(v -> !v.isEmpty()),
        chmod.map(v -> stage.expandWord(v, i)).filter(v -> !v.isEmpty()),
        checksum.map(v -> stage.expandWord(v, i)).filter(v -> !v.isEmpty()));
  }

  /**
   * BuildKit's {@code pathRelativeToWorkingDir}: an absolute destination is cleaned, a
   * relative one (and {@code ""} or {@code .}) joins WORKDIR; a trailing slash is kept.
   */
  static String destination(String workdir, String dest) {
    boolean slash = dest.endsWith("/") || dest.isEmpty() || dest.equals(".") || dest.endsWith("/.");
    String joined = dest.startsWith("/") ? SlashPaths.clean(dest) : SlashPaths.join("/", workdir, dest);
    if (joined.isEmpty()) {
      joined = "/";
    }
    return slash && !joined.equals("/") ? joined + "/" : joined;
  }

  private static List<CopySource> expandedSources(Expanded x) {
    List<CopySource> out = new ArrayList<>();
    for (String s : x.sources()) {
      out.add(new CopySource.PathSource(s));
    }
    for (Heredoc h : x.heredocs()) {
      out.add(new CopySource.HeredocSource(h));
    }
    return out;
  }

  /** {@code COPY [--parents] [--chown=…] [--chmod=…] <srcs> <<NAME… <dest>} (spec §8). */
  private static String createdBy(Expanded x, boolean parents) {
    StringBuilder out = new StringBuilder(x.keyword());
    if (parents) {
      out.append(" --parents");
    }
    x.chown().ifPresent(v -> out.append(" --chown=").append(v));
    x.chmod().ifPresent(v -> out.append(" --chmod=").append(v));
    for (String s : x.sources()) {
      out.append(' ').append(s);
    }
    for (Heredoc h : x.heredocs()) {
      out.append(" <<").append(h.name());
    }
    return out.append(' ').append(x.dest()).toString();
  }

  // ---- where the files come from ----

  private Origin origin(StageExecutor stage, Copy copy) {
    if (copy.from().isEmpty()) {
      return new ContextOrigin(run.context());
    }
    String from = copy.from().get();
    Optional<Integer> index = run.plan().stageIndex(from);
    if (index.isPresent()) {
      return new StageOrigin(run.stageResult(index.get()));
    }
    ImageReference ref;
    try {
      ref = ImageReference.parse(from);
    } catch (InvalidReferenceException e) {
      throw new DockerfileException(
          "COPY --from=" + from + ": there is no stage of that name, and it is not an image"
              + " reference either (" + e.getMessage() + ")",
          stage.spanOf(copy));
    }
    try {
      return new ImageOrigin(run.baseImages().resolve(ref, stage.platform(), stage.spanOf(copy)));
    } catch (BuildStepException e) {
      throw new BuildStepException(
          e.span(),
          "COPY --from=" + from + ": no stage of the Dockerfile has that name, so it was taken"
              + " as an image, and " + e.getMessage(),
          e);
    }
  }

  /** The inputs of the key besides the instruction: what the sources hold. */
  private void addOriginInputs(
      CacheKey.Builder key, Origin origin, Expanded x, boolean parents, List<String> excludes,
      Map<String, GitFetch.Resolved> git, Instruction i) {
    for (Heredoc h : x.heredocs()) {
      key.field("heredoc", h.name() + "\u0000" + h.content());
    }
    if (origin instanceof StageOrigin) {
      key.field("from-stage", ((StageOrigin) origin).stage().fsKey().toString());
      return;
    }
    if (origin instanceof ImageOrigin) {
      Descriptor m = ((ImageOrigin) origin).image().manifestDescriptor();
      key.field("from-image", m.digest().toString());
      return;
    }
    BuildContext context = ((ContextOrigin) origin).context();
    // from here the step hashes on both cores; the prefetch would only hash the same files
    prefetchStop.set(true);
    PatternMatcher exclude;
    try {
      exclude = excludes.isEmpty() ? null : PatternMatcher.compile(excludes);
    } catch (RuntimeException e) {
      throw new DockerfileException("invalid --exclude pattern: " + e.getMessage(), i.span());
    }
    for (String source : x.sources()) {
      GitFetch.Resolved repo = git.get(source);
      if (repo != null) {
        // BuildKit keys a git source by the commit, with keep-git-dir and subdir
        GitRef r = repo.ref();
        key.field("git", String.join("\u0000", r.remote(), r.subdir(),
            String.valueOf(r.keepsGitDir()), String.valueOf(r.submodules().orElse(true)),
            r.commitMtime() ? "mtime=commit" : "mtime=checkout", r.checksum()));
        key.field("git-commit", repo.commit());
        continue;
      }
      if (isHttp(source)) {
        // ADD of a URL or git repository: the content is known only after fetching it; a
        // --checksum pins it, otherwise the step is never served from the cache
        key.field("remote", source);
        key.field("checksum", x.checksum().orElse("unpinned:" + System.nanoTime()));
        continue;
      }
      String walkRoot = source;
      PatternMatcher include = null;
      if (parents) {
        int pivot = source.indexOf("/./");
        String pattern = pivot < 0 ? source : source.substring(pivot + 3);
        walkRoot = pivot < 0 ? "/" : source.substring(0, pivot);
        include = PatternMatcher.compile(List.of(SlashPaths.clean("/" + pattern).substring(1)));
      }
      List<SourceMatch> matches;
      try {
        matches = context.resolve(walkRoot);
      } catch (ContextException e) {
        throw new BuildStepException(i.span(), e.getMessage(), e);
      }
      for (SourceMatch m : matches) {
        List<ContextEntry> entries;
        try {
          entries = context.walk(m, include, exclude);
        } catch (ContextException e) {
          throw new BuildStepException(i.span(), e.getMessage(), e);
        }
        Digest d;
        try {
          d = context.hasher().selectionDigest(entries);
        } catch (ContextException e) {
          throw new BuildStepException(i.span(), e.getMessage(), e);
        }
        key.field("match", m.path() + "\u0000" + m.type() + "\u0000" + d);
      }
    }
  }

  /** An HTTP(S) file source of ADD (a git URL is taken out before this is asked). */
  static boolean isHttp(String source) {
    return source.startsWith("http://") || source.startsWith("https://");
  }

  static SourceSpan span(Instruction i) {
    return i.span();
  }
}
