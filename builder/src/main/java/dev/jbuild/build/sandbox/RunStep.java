package dev.jbuild.build.sandbox;

import dev.jbuild.cache.BlobStore;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.ir.NetworkMode;
import dev.jbuild.dockerfile.ir.RunMount;
import dev.jbuild.dockerfile.ir.SecurityMode;
import dev.jbuild.layer.LayerWriter;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.Digest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One RUN step, everything expanded and resolved.
 *
 * @param span the RUN instruction, for errors
 * @param args the argument vector (shell form already wrapped in the SHELL)
 * @param env the process environment, {@code KEY=VALUE}
 * @param user the USER in effect ({@code name[:group]} or ids), empty for root
 * @param workdir the absolute working directory
 * @param layers the stage's layer blobs, bottom first, with their diffIDs
 * @param mounts the {@code --mount} values, expanded (a relative or empty target is relative to
 *     {@code workdir}, as in BuildKit)
 * @param network the network mode
 * @param security the security mode
 * @param pipes files to provide read-only in {@code /dev/pipes/} (a RUN here-document that
 *     starts with {@code #!} is run from there, as BuildKit does)
 * @param output receives the process's output, line by line
 * @param resolvedMounts the mounts as the engine resolved them for this run (sources, cache
 *     directories, secret values), in {@code mounts} order, absent optional ones left out
 * @param layerOptions how the step's layer is written (compression, SOURCE_DATE_EPOCH), as the
 *     builder writes its other layers
 */
public record RunStep(
    SourceSpan span,
    List<String> args,
    List<String> env,
    String user,
    String workdir,
    List<Layer> layers,
    List<RunMount> mounts,
    NetworkMode network,
    SecurityMode security,
    List<InlineFile> pipes,
    Consumer<String> output,
    List<ResolvedMount> resolvedMounts,
    LayerWriter.Options layerOptions) {

  /** A file the step needs that is not in any layer: a here-document to execute. */
  public record InlineFile(String name, byte[] content, int mode) {
    public InlineFile {
      Objects.requireNonNull(name, "name");
      content = content.clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }
  }

  /**
   * One layer of the stage's filesystem: where the blob is and its uncompressed digest; or, with
   * an {@code earlyStep} other than 0 (and neither), the layer that a step started with {@link
   * Sandbox#start} still writes ({@link Sandbox.Started#early}).
   */
  public record Layer(Path blob, Digest diffId, long earlyStep) {
    public Layer {
      if (earlyStep == 0) {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(diffId, "diffId");
      }
    }

    /** A stored layer. */
    public Layer(Path blob, Digest diffId) {
      this(blob, diffId, 0);
    }

    /**
     * The stored layers of an image, bottom first: each manifest layer's blob in {@code blobs}
     * with the config's diffID at the same index.
     */
    public static List<Layer> stored(BlobStore blobs, List<Descriptor> layers,
        List<Digest> diffIds) {
      List<Layer> out = new ArrayList<>(layers.size());
      for (int k = 0; k < layers.size(); k++) {
        out.add(new Layer(blobs.path(layers.get(k).digest()), diffIds.get(k)));
      }
      return out;
    }

    /** Whether this is a layer still being written ({@link Sandbox.Started#early}). */
    public boolean early() {
      return earlyStep != 0;
    }
  }

  public RunStep {
    Objects.requireNonNull(span, "span");
    args = List.copyOf(args);
    env = List.copyOf(env);
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(workdir, "workdir");
    layers = List.copyOf(layers);
    mounts = List.copyOf(mounts);
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(security, "security");
    pipes = List.copyOf(pipes);
    Objects.requireNonNull(output, "output");
    resolvedMounts = List.copyOf(resolvedMounts);
    Objects.requireNonNull(layerOptions, "layerOptions");
  }

  /** A step without resolved mounts. */
  public RunStep(
      SourceSpan span,
      List<String> args,
      List<String> env,
      String user,
      String workdir,
      List<Layer> layers,
      List<RunMount> mounts,
      NetworkMode network,
      SecurityMode security,
      List<InlineFile> pipes,
      Consumer<String> output,
      LayerWriter.Options layerOptions) {
    this(span, args, env, user, workdir, layers, mounts, network, security, pipes, output, List.of(),
        layerOptions);
  }

  /** This step with {@code resolved} as its resolved mounts and {@code env} as its environment. */
  public RunStep withResolvedMounts(List<ResolvedMount> resolved, List<String> env) {
    return new RunStep(
        span, args, env, user, workdir, layers, mounts, network, security, pipes, output, resolved,
        layerOptions);
  }
}
