package dev.jbuild.build.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbuild.build.registry.ImageReference;
import dev.jbuild.cache.ImageStore;
import dev.jbuild.cache.TaggedImage;
import dev.jbuild.oci.Descriptor;
import dev.jbuild.oci.ImageConfig;
import dev.jbuild.oci.ImageIndex;
import dev.jbuild.oci.ImageManifest;
import dev.jbuild.oci.MediaTypes;
import dev.jbuild.oci.Platform;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code jbuild inspect REF}: a local image as JSON, with the fields of {@code skopeo inspect}
 * (Name, Digest, RepoTags, Created, Labels, Architecture, Os, Layers, LayersData, Env).
 * RepoTags lists the local names of the same manifest. A multi-platform image is shown for
 * {@code --platform}.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Shows a local image's metadata as JSON.")
final class InspectCommand extends ImageCommand {

  @Parameters(index = "0", paramLabel = "REF", description = "The local image: name, digest or ID prefix.")
  String ref;

  @Override
  int execute() throws Exception {
    ImageStore store = store();
    Descriptor root = store.resolve(ref).orElse(null);
    if (root == null) {
      err().println("error: no image \"" + ref + "\" in the local store (jbuild images lists them)");
      return Main.FAILED;
    }
    Descriptor manifestDescriptor = root;
    if (MediaTypes.isIndex(root.mediaType())) {
      Platform platform = globals().platform(cli());
      ImageIndex index = store.blobs().readIndex(root.digest()).value();
      manifestDescriptor = index.select(platform).orElse(null);
      if (manifestDescriptor == null || !store.blobs().has(manifestDescriptor.digest())) {
        err().println("error: " + ref + " has no image for " + platform + " in the local store (it lists "
            + index.platforms() + "); choose one with --platform");
        return Main.FAILED;
      }
    }
    ImageManifest manifest = store.blobs().readManifest(manifestDescriptor.digest()).value();
    ImageConfig config = store.blobs().readConfig(manifest.config().digest()).value();

    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode out = json.createObjectNode();
    out.put("Name", name(store, root));
    out.put("Digest", manifestDescriptor.digest().toString());
    ArrayNode tags = out.putArray("RepoTags");
    for (TaggedImage t : store.list()) {
      if (t.target().digest().equals(root.digest())) {
        tags.add(t.name());
      }
    }
    out.put("Created", config.created() == null ? null : config.created().toString());
    out.put("DockerVersion", "");
    ObjectNode labels = out.putObject("Labels");
    Map<String, String> sorted = new TreeMap<>(config.config().labels());
    sorted.forEach(labels::put);
    out.put("Architecture", config.architecture());
    if (config.variant() != null) {
      out.put("Variant", config.variant());
    }
    out.put("Os", config.os());
    ArrayNode layers = out.putArray("Layers");
    ArrayNode layersData = out.putArray("LayersData");
    for (Descriptor layer : manifest.layers()) {
      layers.add(layer.digest().toString());
      ObjectNode data = layersData.addObject();
      data.put("MIMEType", layer.mediaType());
      data.put("Digest", layer.digest().toString());
      data.put("Size", layer.size());
      if (layer.annotations().isEmpty()) {
        data.putNull("Annotations");
      } else {
        ObjectNode a = data.putObject("Annotations");
        layer.annotations().forEach(a::put);
      }
    }
    ArrayNode env = out.putArray("Env");
    config.config().env().forEach(env::add);
    out().println(json.writeValueAsString(out));
    return Main.OK;
  }

  /** The repository name, as skopeo shows it: without tag or digest. */
  private String name(ImageStore store, Descriptor root) {
    for (TaggedImage t : store.list()) {
      if (t.target().digest().equals(root.digest())) {
        try {
          return ImageReference.parse(t.name()).name();
        } catch (RuntimeException e) {
          return t.name();
        }
      }
    }
    return "";
  }
}
