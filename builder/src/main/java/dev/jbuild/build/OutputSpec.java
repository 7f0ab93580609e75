package dev.jbuild.build;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a built image goes: {@code --output type=TYPE[,dest=PATH]}.
 *
 * @param type the kind of output
 * @param dest the file or directory for {@code oci}, {@code oci-archive} and {@code
 *     docker-archive}
 */
public record OutputSpec(Type type, Optional<Path> dest) {

  /** The output kinds. */
  public enum Type {
    /** The local image store, tagged with every {@code -t} name (the default). */
    LOCAL_STORE("local-store"),
    /** A push of every {@code -t} name to its registry ({@code --push}). */
    REGISTRY("registry"),
    /** An OCI image layout directory. */
    OCI("oci"),
    /** A tar of an OCI image layout. */
    OCI_ARCHIVE("oci-archive"),
    /** A tar that {@code docker load} reads. */
    DOCKER_ARCHIVE("docker-archive");

    private final String text;

    Type(String text) {
      this.text = text;
    }

    /** The name {@code --output type=} takes. */
    public String text() {
      return text;
    }

    /** Whether the output writes a file or directory and so needs {@code dest}. */
    public boolean needsDest() {
      return this == OCI || this == OCI_ARCHIVE || this == DOCKER_ARCHIVE;
    }
  }

  public OutputSpec {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(dest, "dest");
    if (type.needsDest() && dest.isEmpty()) {
      throw new IllegalArgumentException(
          "--output type=" + type.text() + " needs a destination: type=" + type.text()
              + ",dest=PATH");
    }
  }

  public static OutputSpec localStore() {
    return new OutputSpec(Type.LOCAL_STORE, Optional.empty());
  }

  public static OutputSpec registry() {
    return new OutputSpec(Type.REGISTRY, Optional.empty());
  }

  /**
   * Parses {@code type=oci,dest=out} (the keys of {@code docker buildx build --output}).
   * Relative destinations are kept relative (the caller resolves them).
   *
   * @throws IllegalArgumentException naming the problem and the accepted forms
   */
  public static OutputSpec parse(String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : text.split(",", -1)) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "invalid --output \"" + text + "\": expected type=TYPE[,dest=PATH], e.g."
                + " type=oci-archive,dest=image.tar (a bare path is not supported: jbuild"
                + " writes images, not filesystems)");
      }
      String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      if (fields.put(key, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("invalid --output \"" + text + "\": " + key
            + " is given twice");
      }
    }
    String typeText = fields.remove("type");
    if (typeText == null) {
      throw new IllegalArgumentException(
          "invalid --output \"" + text + "\": type is required (local-store, registry, oci,"
              + " oci-archive or docker-archive)");
    }
    Type type = null;
    for (Type t : Type.values()) {
      if (t.text.equals(typeText.toLowerCase(Locale.ROOT))) {
        type = t;
      }
    }
    if (type == null && typeText.equalsIgnoreCase("image")) {
      // docker buildx's name for a push-able image output
      type = fields.getOrDefault("push", "false").equals("true") ? Type.REGISTRY : Type.LOCAL_STORE;
      fields.remove("push");
    }
    if (type == null) {
      throw new IllegalArgumentException(
          "unsupported --output type \"" + typeText + "\": use local-store, registry, oci,"
              + " oci-archive or docker-archive");
    }
    String dest = fields.remove("dest");
    fields.remove("name");
    if (!fields.isEmpty()) {
      throw new IllegalArgumentException(
          "unsupported --output option " + fields.keySet().iterator().next() + " in \"" + text
              + "\": only type and dest are understood");
    }
    if (dest != null && !type.needsDest()) {
      throw new IllegalArgumentException(
          "--output type=" + type.text() + " takes no dest (it writes to the "
              + (type == Type.REGISTRY ? "registry of each -t name" : "local image store") + ")");
    }
    if (dest != null && dest.isEmpty()) {
      throw new IllegalArgumentException("invalid --output \"" + text + "\": dest is empty");
    }
    return new OutputSpec(type, Optional.ofNullable(dest).map(Path::of));
  }
}
