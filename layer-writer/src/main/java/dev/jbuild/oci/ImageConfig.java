package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An image config (OCI {@code application/vnd.oci.image.config.v1+json} or Docker
 * {@code application/vnd.docker.container.image.v1+json}, the same document). Docker-only
 * members ({@code container_config}, {@code docker_version}, …) are kept in
 * {@link #unknown()}. Written with its top-level members in sorted order, as BuildKit's
 * exporter emits them.
 */
public record ImageConfig(
    Instant created,
    String author,
    String architecture,
    String os,
    String osVersion,
    List<String> osFeatures,
    String variant,
    ContainerConfig config,
    RootFs rootfs,
    List<HistoryEntry> history,
    UnknownFields unknown)
    implements OciDocument {

  private static final Set<String> KNOWN =
      Set.of("created", "author", "architecture", "os", "os.version", "os.features", "variant",
          "config", "rootfs", "history");

  public ImageConfig {
    author = Json.emptyToNull(author);
    architecture = architecture == null ? "" : architecture;
    os = os == null ? "" : os;
    osVersion = Json.emptyToNull(osVersion);
    osFeatures = Json.copy(osFeatures);
    variant = Json.emptyToNull(variant);
    config = config == null ? ContainerConfig.empty() : config;
    rootfs = rootfs == null ? RootFs.layers(List.of()) : rootfs;
    history = List.copyOf(history == null ? List.of() : history);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  /** An empty config for {@code FROM scratch} on the given platform. */
  public static ImageConfig scratch(Platform platform) {
    return new ImageConfig(null, null, platform.architecture(), platform.os(),
        platform.osVersion(), platform.osFeatures(), platform.variant(), null, null, null, null);
  }

  /** Parses a config; throws {@link InvalidDocumentException} naming what is wrong. */
  public static ImageConfig parse(byte[] json) {
    String where = "image config";
    JsonNode n = Json.readObject(json, where);
    String created = Json.string(n, "created", where);
    JsonNode config = Json.object(n, "config", where);
    JsonNode rootfs = Json.object(n, "rootfs", where);
    List<HistoryEntry> history = new ArrayList<>();
    List<JsonNode> historyNodes = Json.objects(n, "history", where);
    for (int i = 0; i < historyNodes.size(); i++) {
      history.add(HistoryEntry.fromJson(historyNodes.get(i), where + " history[" + i + "]"));
    }
    return new ImageConfig(
        created == null ? null : GoTime.parse(created, where + " created"),
        Json.string(n, "author", where),
        Json.string(n, "architecture", where),
        Json.string(n, "os", where),
        Json.string(n, "os.version", where),
        Json.stringList(n, "os.features", where),
        Json.string(n, "variant", where),
        config == null ? null : ContainerConfig.fromJson(config, where),
        rootfs == null ? null : RootFs.fromJson(rootfs, where),
        history,
        UnknownFields.from(n, KNOWN));
  }

  @Override
  public String effectiveMediaType() {
    return MediaTypes.OCI_CONFIG;
  }

  /** The platform this config declares; null when os or architecture is missing. */
  public Platform platform() {
    if (os.isEmpty() || architecture.isEmpty()) {
      return null;
    }
    return new Platform(os, architecture, variant, osVersion, osFeatures, null);
  }

  public ImageConfig withConfig(ContainerConfig newConfig) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        newConfig, rootfs, history, unknown);
  }

  public ImageConfig withCreated(Instant newCreated) {
    return new ImageConfig(newCreated, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, history, unknown);
  }

  public ImageConfig withAuthor(String newAuthor) {
    return new ImageConfig(created, newAuthor, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, history, unknown);
  }

  public ImageConfig withRootFs(RootFs newRootfs) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, newRootfs, history, unknown);
  }

  public ImageConfig withHistory(List<HistoryEntry> newHistory) {
    return new ImageConfig(created, author, architecture, os, osVersion, osFeatures, variant,
        config, rootfs, newHistory, unknown);
  }

  /** This config with a layer appended (diffID and its history entry). */
  public ImageConfig withLayer(Digest diffId, HistoryEntry entry) {
    List<Digest> ids = new ArrayList<>(rootfs.diffIds());
    ids.add(diffId);
    List<HistoryEntry> h = new ArrayList<>(history);
    h.add(entry);
    return withRootFs(new RootFs(rootfs.type(), ids, rootfs.unknown())).withHistory(h);
  }

  /** This config with a config-only history entry appended ({@code empty_layer: true}). */
  public ImageConfig withEmptyLayerHistory(HistoryEntry entry) {
    List<HistoryEntry> h = new ArrayList<>(history);
    h.add(entry);
    return withHistory(h);
  }

  @Override
  public byte[] toJson() {
    return Json.write(out -> {
      // Sorted top level, unknown members included, as BuildKit's map-based patching emits
      TreeMap<String, Json.Writer> members = new TreeMap<>();
      if (created != null) {
        members.put("created", o -> o.string("created", GoTime.format(created)));
      }
      if (author != null) {
        members.put("author", o -> o.string("author", author));
      }
      members.put("architecture", o -> o.string("architecture", architecture));
      members.put("os", o -> o.string("os", os));
      if (osVersion != null) {
        members.put("os.version", o -> o.string("os.version", osVersion));
      }
      if (!osFeatures.isEmpty()) {
        members.put("os.features", o -> o.stringList("os.features", osFeatures));
      }
      if (variant != null) {
        members.put("variant", o -> o.string("variant", variant));
      }
      members.put("config", o -> {
        o.name("config");
        config.write(o);
      });
      members.put("rootfs", o -> {
        o.name("rootfs");
        rootfs.write(o);
      });
      if (!history.isEmpty()) {
        members.put("history", o -> {
          o.startArray("history");
          for (HistoryEntry h : history) {
            h.write(o);
          }
          o.endArray();
        });
      }
      for (Map.Entry<String, JsonNode> e : unknown.asMap().entrySet()) {
        members.put(e.getKey(), o -> o.tree(e.getKey(), e.getValue()));
      }
      out.startObject();
      for (Json.Writer w : members.values()) {
        w.write(out);
      }
      out.endObject();
    });
  }
}
