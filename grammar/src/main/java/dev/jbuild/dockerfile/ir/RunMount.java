package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.internal.GoStrings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/**
 * One {@code RUN --mount=<csv>} (spec §2.3), parsed and validated like BuildKit's
 * {@code parseMount}. String values ({@code target}, {@code source}, {@code id}, {@code env})
 * stay as written: the builder expands them; {@code from} is never expanded. A {@code mode},
 * {@code uid}, {@code gid} or {@code size} that holds a variable cannot be checked before
 * expansion: it is kept as written in {@link #unexpanded} and the builder re-parses the mount with
 * {@link #parse(String, UnaryOperator)}. {@code type} and {@code sharing} must be literal.
 *
 * <p>Defaults not applied here because they depend on the build state: a cache {@code id}
 * defaults to the cleaned target, a secret id to the target's basename, a secret target to
 * {@code /run/secrets/<id>}, an ssh id to {@code default}.
 *
 * @param type the mount type ({@code bind} when not given)
 * @param target {@code target}, {@code dst} or {@code destination}
 * @param source {@code source} or {@code src}
 * @param from a stage, image or context to mount from
 * @param id {@code id} (cache, secret, ssh)
 * @param env the environment variable a secret is exposed as; present but empty for
 *     {@code env=}
 * @param readOnly after BuildKit's defaulting: bind, secret and ssh are read-only unless
 *     {@code rw}; cache and tmpfs are writable unless {@code ro}
 * @param sharing cache sharing mode (cache only)
 * @param required secret or ssh must exist
 * @param mode file mode (cache, secret, ssh), parsed as octal
 * @param uid owner uid (cache, secret, ssh)
 * @param gid owner gid (cache, secret, ssh)
 * @param size tmpfs size limit in bytes
 * @param unexpanded numeric options whose value holds a variable, as written, in order
 */
public record RunMount(
    MountType type,
    Optional<String> target,
    Optional<String> source,
    Optional<String> from,
    Optional<String> id,
    Optional<String> env,
    boolean readOnly,
    Optional<CacheSharing> sharing,
    boolean required,
    OptionalLong mode,
    OptionalLong uid,
    OptionalLong gid,
    OptionalLong size,
    List<KeyValue> unexpanded) {

  private static final List<String> ALL_KEYS =
      List.of(
          "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
          "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env");

  public RunMount {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(sharing, "sharing");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(size, "size");
    unexpanded = List.copyOf(unexpanded);
  }

  /**
   * Parses a {@code --mount} value with BuildKit's rules and messages. Values are taken
   * literally (call it again on expanded values to validate them after expansion).
   *
   * @throws InvalidValueException with BuildKit's message
   */
  public static RunMount parse(String spec) {
    return parse(spec, null);
  }

  /**
   * Parses a {@code --mount} value after expanding every option value but {@code from} with
   * {@code expander}, as BuildKit does at build time; then nothing is left unexpanded.
   *
   * @param expander expands one word; null to take values literally (IR time)
   * @throws InvalidValueException with BuildKit's message
   */
  public static RunMount parse(String spec, UnaryOperator<String> expander) {
    List<KeyValue> unexpanded = new ArrayList<>();
    List<String> fields = CsvValue.fields(spec, "mounts");
    MountType type = MountType.BIND;
    String target = null;
    String source = null;
    String from = null;
    String id = null;
    String env = null;
    boolean readOnly = false;
    boolean roAuto = true;
    CacheSharing sharing = null;
    boolean required = false;
    Long mode = null;
    Long uid = null;
    Long gid = null;
    Long size = null;
    for (String field : fields) {
      int eq = field.indexOf('=');
      String key = (eq < 0 ? field : field.substring(0, eq)).toLowerCase(Locale.ROOT);
      if (eq < 0) {
        switch (key) {
          case "readonly":
          case "ro":
            readOnly = true;
            roAuto = false;
            continue;
          case "readwrite":
          case "rw":
            readOnly = false;
            roAuto = false;
            continue;
          case "required":
            if (type == MountType.SECRET || type == MountType.SSH) {
              required = true;
              continue;
            }
            throw new InvalidValueException(
                "unexpected key '" + key + "' for mount type '" + type.value() + "'");
          default:
            throw new InvalidValueException("invalid field '" + field + "' must be a key=value pair");
        }
      }
      String value = field.substring(eq + 1);
      if (expander != null && !key.equals("from")) {
        value = expander.apply(value);
      } else if (expander == null
          && value.indexOf('$') >= 0
          && (key.equals("mode") || key.equals("uid") || key.equals("gid") || key.equals("size"))) {
        // Checked by the builder once expanded; presence still counts for the type checks below.
        unexpanded.add(new KeyValue(key, value));
        if (key.equals("size") && type != MountType.TMPFS) {
          throw new InvalidValueException(
              "unexpected key '" + key + "' for mount type '" + type.value() + "'");
        }
        continue;
      }
      if (key.equals("from")) {
        // BuildKit: 'from' is never expanded; a '$' anywhere but last is refused.
        int dollar = value.indexOf('$');
        if (dollar >= 0 && dollar != value.length() - 1) {
          throw new InvalidValueException(
              "'from' doesn't support variable expansion, define alias stage instead");
        }
      }
      switch (key) {
        case "type":
          String typeValue = value;
          type =
              MountType.of(value)
                  .orElseThrow(
                      () ->
                          new InvalidValueException(
                              Suggestions.wrap(
                                  "unsupported mount type " + GoStrings.quote(typeValue),
                                  typeValue,
                                  List.of("bind", "cache", "tmpfs", "secret", "ssh"),
                                  true)));
          break;
        case "from":
          from = value;
          break;
        case "source":
        case "src":
          source = value;
          break;
        case "target":
        case "dst":
        case "destination":
          target = value;
          break;
        case "readonly":
        case "ro":
          readOnly = GoSyntax.parseBool(value, key);
          roAuto = false;
          break;
        case "readwrite":
        case "rw":
          readOnly = !GoSyntax.parseBool(value, key);
          roAuto = false;
          break;
        case "required":
          if (type != MountType.SECRET && type != MountType.SSH) {
            throw new InvalidValueException(
                "unexpected key '" + key + "' for mount type '" + type.value() + "'");
          }
          required = GoSyntax.parseBool(value, key);
          break;
        case "size":
          if (type != MountType.TMPFS) {
            throw new InvalidValueException(
                "unexpected key '" + key + "' for mount type '" + type.value() + "'");
          }
          size = GoSyntax.ramInBytes(value, key);
          break;
        case "id":
          id = value;
          break;
        case "sharing":
          String sharingValue = value;
          sharing =
              CacheSharing.of(value)
                  .orElseThrow(
                      () ->
                          new InvalidValueException(
                              Suggestions.wrap(
                                  "unsupported sharing value " + GoStrings.quote(sharingValue),
                                  sharingValue,
                                  List.of("shared", "private", "locked"),
                                  true)));
          break;
        case "mode":
          mode = uint(value, 8, "mode");
          break;
        case "uid":
          uid = uint(value, 10, "uid");
          break;
        case "gid":
          gid = uint(value, 10, "gid");
          break;
        case "env":
          env = value;
          break;
        default:
          throw new InvalidValueException(
              Suggestions.wrap("unexpected key '" + key + "' in '" + field + "'", key, ALL_KEYS, true));
      }
    }
    for (KeyValue d : unexpanded) {
      switch (d.key()) {
        case "mode":
          mode = mode == null ? -1L : mode;
          break;
        case "uid":
          uid = uid == null ? -1L : uid;
          break;
        case "gid":
          gid = gid == null ? -1L : gid;
          break;
        default:
          break;
      }
    }
    if (!type.allowsFileInfo()) {
      String quoted = GoStrings.quote(type.value());
      if (mode != null) {
        throw new InvalidValueException("mode not allowed for " + quoted + " type mounts");
      }
      if (uid != null) {
        throw new InvalidValueException("uid not allowed for " + quoted + " type mounts");
      }
      if (gid != null) {
        throw new InvalidValueException("gid not allowed for " + quoted + " type mounts");
      }
    }
    if (roAuto) {
      readOnly = type.readOnlyByDefault();
    }
    if (type == MountType.SECRET) {
      if (from != null && !from.isEmpty()) {
        throw new InvalidValueException("secret mount should not have a from");
      }
      if (sharing != null) {
        throw new InvalidValueException("secret mount should not define sharing");
      }
      if (isEmpty(source) && isEmpty(target) && isEmpty(id)) {
        throw new InvalidValueException("invalid secret mount. one of source, target required");
      }
      if (!isEmpty(source) && !isEmpty(id)) {
        throw new InvalidValueException("both source and id can't be set");
      }
    }
    if (sharing != null && type != MountType.CACHE) {
      throw new InvalidValueException("invalid cache sharing set for " + type.value() + " mount");
    }
    if (mode != null && mode < 0) {
      mode = null;
    }
    if (uid != null && uid < 0) {
      uid = null;
    }
    if (gid != null && gid < 0) {
      gid = null;
    }
    return new RunMount(
        type,
        Optional.ofNullable(target),
        Optional.ofNullable(source),
        Optional.ofNullable(from),
        Optional.ofNullable(id),
        Optional.ofNullable(env),
        readOnly,
        Optional.ofNullable(sharing),
        required,
        optional(mode),
        optional(uid),
        optional(gid),
        optional(size),
        unexpanded);
  }

  /**
   * This mount with every option value but {@code from} expanded and checked, as BuildKit does
   * at build time: a new object, nothing left in {@link #unexpanded}.
   *
   * @throws InvalidValueException when an expanded value is invalid
   */
  public RunMount expand(UnaryOperator<String> expander) {
    return parse(toSpec(), expander);
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  private static OptionalLong optional(Long v) {
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  private static long uint(String value, int radix, String key) {
    OptionalLong v = GoSyntax.parseUint32(value, radix);
    if (v.isEmpty()) {
      throw new InvalidValueException("invalid value " + value + " for " + key);
    }
    return v.getAsLong();
  }

  /**
   * The canonical CSV spec: {@code type} first, then every option that is set, then
   * {@code ro}/{@code rw} when it differs from the type's default. {@link #parse} gives an equal
   * mount back.
   */
  public String toSpec() {
    List<String> out = new ArrayList<>();
    out.add("type=" + type.value());
    id.ifPresent(v -> out.add(CsvValue.quote("id=" + v)));
    source.ifPresent(v -> out.add(CsvValue.quote("source=" + v)));
    from.ifPresent(v -> out.add(CsvValue.quote("from=" + v)));
    target.ifPresent(v -> out.add(CsvValue.quote("target=" + v)));
    env.ifPresent(v -> out.add(CsvValue.quote("env=" + v)));
    if (readOnly != type.readOnlyByDefault()) {
      out.add(readOnly ? "ro" : "rw");
    }
    sharing.ifPresent(v -> out.add("sharing=" + v.value()));
    size.ifPresent(v -> out.add("size=" + v));
    mode.ifPresent(v -> out.add("mode=0" + Long.toOctalString(v)));
    uid.ifPresent(v -> out.add("uid=" + v));
    gid.ifPresent(v -> out.add("gid=" + v));
    if (required) {
      out.add("required");
    }
    for (KeyValue d : unexpanded) {
      out.add(CsvValue.quote(d.key() + "=" + d.value()));
    }
    return String.join(",", out);
  }
}
