package dev.jbuild.build.sandbox;

import dev.jbuild.oci.Digest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One {@code RUN --mount} as the engine resolved it for the sandbox: the target is absolute and
 * clean, {@code from} is a stage's or image's layers, the build context is a directory on this
 * machine, a cache mount is an instance directory under the jbuild root (its lock held by the
 * engine for the step), a secret carries its value. Mounts that are optional and absent (a
 * secret or an SSH agent that was not given) are left out by the engine.
 *
 * <p>Instances cross to the sandbox worker with {@link #writeAll} and {@link #readAll}: a
 * secret's value travels over the worker's pipe and never touches a disk.
 */
public sealed interface ResolvedMount {

  /** Where the mount appears in the container: absolute, clean, never {@code /}. */
  String target();

  /** Where the files of a bind mount or of a cache mount's seed come from. */
  sealed interface Source {

    /** A directory on this machine (the build context, filtered by {@code .dockerignore}). */
    record Directory(Path dir) implements Source {
      public Directory {
        Objects.requireNonNull(dir, "dir");
      }
    }

    /** A stage's or an image's layers, bottom first: the sandbox stacks them. */
    record Layers(List<RunStep.Layer> layers) implements Source {
      public Layers {
        layers = List.copyOf(layers);
      }
    }
  }

  /**
   * {@code type=bind}: {@code path} inside {@code source} at the target. Read-only, or writable
   * with the writes thrown away after the step.
   *
   * @param path a relative slash path inside the source ({@code ""} for its root); symbolic links
   *     on the way resolve inside the source
   */
  record Bind(String target, Source source, String path, boolean readOnly)
      implements ResolvedMount {
    public Bind {
      target = checkTarget(target);
      Objects.requireNonNull(source, "source");
      path = relative(path);
    }
  }

  /**
   * {@code type=cache}: a persistent directory. {@code dir} is the instance the engine holds
   * for this step; its content lives in {@link #data()}. When that does not exist yet the
   * sandbox creates it: from {@code seedPath} in {@code seed}, else as an empty directory owned
   * by {@code uid:gid} with {@code mode} (BuildKit's cache mount defaults: 0:0, 0755).
   */
  record Cache(
      String target,
      Path dir,
      Optional<Source> seed,
      String seedPath,
      long uid,
      long gid,
      int mode,
      boolean readOnly)
      implements ResolvedMount {
    public Cache {
      target = checkTarget(target);
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(seed, "seed");
      seedPath = relative(seedPath);
    }

    /** The directory mounted at the target. */
    public Path data() {
      return dir.resolve("data");
    }
  }

  /** {@code type=tmpfs}: a fresh tmpfs ({@code nosuid}), {@code size} bytes at most. */
  record Tmpfs(String target, OptionalLong size, boolean readOnly) implements ResolvedMount {
    public Tmpfs {
      target = checkTarget(target);
      Objects.requireNonNull(size, "size");
    }
  }

  /**
   * {@code type=secret}: the value as a read-only file on a tmpfs at {@link #file()}, owned by
   * {@code uid:gid} with {@code mode}, and/or as the environment variable {@link #env()}. The
   * value is never printed ({@link #toString()} masks it).
   *
   * @param target the file's path, or {@code ""} for a secret exposed only as a variable
   */
  record Secret(
      String target, String id, Optional<String> env, byte[] value, long uid, long gid, int mode)
      implements ResolvedMount {
    public Secret {
      Objects.requireNonNull(target, "target");
      if (!target.isEmpty()) {
        target = checkTarget(target);
      }
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(env, "env");
      value = value.clone();
      if (target.isEmpty() && env.isEmpty()) {
        throw new IllegalArgumentException("a secret needs a target file or an env name");
      }
    }

    /** The file target, if the secret is a file. */
    public Optional<String> file() {
      return target.isEmpty() ? Optional.empty() : Optional.of(target);
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Secret
          && ((Secret) o).target.equals(target)
          && ((Secret) o).id.equals(id)
          && ((Secret) o).env.equals(env)
          && Arrays.equals(((Secret) o).value, value)
          && ((Secret) o).uid == uid
          && ((Secret) o).gid == gid
          && ((Secret) o).mode == mode;
    }

    @Override
    public int hashCode() {
      return Objects.hash(target, id, env, uid, gid, mode);
    }

    @Override
    public String toString() {
      return "Secret[id=" + id + ", target=" + target + ", env=" + env.orElse("")
          + ", value=****, uid=" + uid + ", gid=" + gid + ", mode=0" + Integer.toOctalString(mode)
          + "]";
    }
  }

  /**
   * {@code type=ssh}: a socket at the target, owned by {@code uid:gid} with {@code mode}, whose
   * connections are forwarded to the agent socket {@code agent} on this machine.
   */
  record Ssh(String target, String id, Path agent, long uid, long gid, int mode)
      implements ResolvedMount {
    public Ssh {
      target = checkTarget(target);
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(agent, "agent");
    }
  }

  private static String checkTarget(String target) {
    Objects.requireNonNull(target, "target");
    if (!target.startsWith("/") || target.equals("/")) {
      throw new IllegalArgumentException("invalid mount target \"" + target + "\"");
    }
    for (String part : target.substring(1).split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("mount target \"" + target + "\" is not clean");
      }
    }
    return target;
  }

  private static String relative(String path) {
    Objects.requireNonNull(path, "path");
    if (path.startsWith("/")) {
      throw new IllegalArgumentException("a mount source path is relative: " + path);
    }
    return path;
  }

  // ---- the wire form between the engine and the sandbox worker ----

  /** Writes {@code mounts} to the worker's pipe; {@link #readAll} reads them back. */
  public static void writeAll(List<ResolvedMount> mounts, DataOutputStream out) throws IOException {
    out.writeInt(mounts.size());
    for (ResolvedMount m : mounts) {
      if (m instanceof Bind) {
        Bind b = (Bind) m;
        out.writeByte('B');
        out.writeUTF(b.target());
        writeSource(b.source(), out);
        out.writeUTF(b.path());
        out.writeBoolean(b.readOnly());
      } else if (m instanceof Cache) {
        Cache c = (Cache) m;
        out.writeByte('C');
        out.writeUTF(c.target());
        out.writeUTF(c.dir().toString());
        out.writeBoolean(c.seed().isPresent());
        if (c.seed().isPresent()) {
          writeSource(c.seed().get(), out);
        }
        out.writeUTF(c.seedPath());
        out.writeLong(c.uid());
        out.writeLong(c.gid());
        out.writeInt(c.mode());
        out.writeBoolean(c.readOnly());
      } else if (m instanceof Tmpfs) {
        Tmpfs t = (Tmpfs) m;
        out.writeByte('T');
        out.writeUTF(t.target());
        out.writeLong(t.size().orElse(-1));
        out.writeBoolean(t.readOnly());
      } else if (m instanceof Secret) {
        Secret s = (Secret) m;
        out.writeByte('S');
        out.writeUTF(s.target());
        out.writeUTF(s.id());
        out.writeUTF(s.env().orElse(""));
        out.writeInt(s.value.length);
        out.write(s.value);
        out.writeLong(s.uid());
        out.writeLong(s.gid());
        out.writeInt(s.mode());
      } else {
        Ssh s = (Ssh) m;
        out.writeByte('H');
        out.writeUTF(s.target());
        out.writeUTF(s.id());
        out.writeUTF(s.agent().toString());
        out.writeLong(s.uid());
        out.writeLong(s.gid());
        out.writeInt(s.mode());
      }
    }
  }

  /** Reads what {@link #writeAll} wrote. */
  public static List<ResolvedMount> readAll(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<ResolvedMount> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int kind = in.readByte();
      switch (kind) {
        case 'B':
          out.add(new Bind(in.readUTF(), readSource(in), in.readUTF(), in.readBoolean()));
          break;
        case 'C':
          {
            String target = in.readUTF();
            Path dir = Path.of(in.readUTF());
            Optional<Source> seed = in.readBoolean() ? Optional.of(readSource(in)) : Optional.empty();
            out.add(
                new Cache(
                    target, dir, seed, in.readUTF(), in.readLong(), in.readLong(), in.readInt(),
                    in.readBoolean()));
            break;
          }
        case 'T':
          {
            String target = in.readUTF();
            long size = in.readLong();
            out.add(
                new Tmpfs(
                    target, size < 0 ? OptionalLong.empty() : OptionalLong.of(size),
                    in.readBoolean()));
            break;
          }
        case 'S':
          {
            String target = in.readUTF();
            String id = in.readUTF();
            String env = in.readUTF();
            byte[] value = new byte[in.readInt()];
            in.readFully(value);
            out.add(
                new Secret(
                    target, id, env.isEmpty() ? Optional.empty() : Optional.of(env), value,
                    in.readLong(), in.readLong(), in.readInt()));
            Arrays.fill(value, (byte) 0);
            break;
          }
        case 'H':
          out.add(
              new Ssh(
                  in.readUTF(), in.readUTF(), Path.of(in.readUTF()), in.readLong(), in.readLong(),
                  in.readInt()));
          break;
        default:
          throw new IOException("unknown mount kind " + kind + " on the sandbox pipe");
      }
    }
    return out;
  }

  private static void writeSource(Source s, DataOutputStream out) throws IOException {
    if (s instanceof Source.Directory) {
      out.writeByte('D');
      out.writeUTF(((Source.Directory) s).dir().toString());
      return;
    }
    List<RunStep.Layer> layers = ((Source.Layers) s).layers();
    out.writeByte('L');
    out.writeInt(layers.size());
    for (RunStep.Layer l : layers) {
      out.writeUTF(l.blob().toString());
      out.writeUTF(l.diffId().toString());
    }
  }

  private static Source readSource(DataInputStream in) throws IOException {
    int kind = in.readByte();
    if (kind == 'D') {
      return new Source.Directory(Path.of(in.readUTF()));
    }
    if (kind != 'L') {
      throw new IOException("unknown mount source kind " + kind + " on the sandbox pipe");
    }
    int n = in.readInt();
    List<RunStep.Layer> layers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      layers.add(new RunStep.Layer(Path.of(in.readUTF()), Digest.parse(in.readUTF())));
    }
    return new Source.Layers(layers);
  }
}
