package dev.jbuild.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code config} member of an image config: how a container of the image runs. Docker's
 * extra members ({@code Hostname}, {@code AttachStdin}, …) are kept in {@link #unknown()}.
 * {@code exposedPorts} and {@code volumes} are the keys of Go {@code map[string]struct{}}
 * (sorted, distinct).
 */
public record ContainerConfig(
    String user,
    List<String> exposedPorts,
    List<String> env,
    List<String> entrypoint,
    List<String> cmd,
    List<String> volumes,
    String workingDir,
    Map<String, String> labels,
    String stopSignal,
    boolean argsEscaped,
    Healthcheck healthcheck,
    List<String> onBuild,
    List<String> shell,
    UnknownFields unknown) {

  private static final Set<String> KNOWN =
      Set.of("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
          "Labels", "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell");

  public ContainerConfig {
    user = Json.emptyToNull(user);
    exposedPorts = List.copyOf(new TreeSet<>(exposedPorts == null ? List.of() : exposedPorts));
    env = Json.copy(env);
    entrypoint = Json.copy(entrypoint);
    cmd = Json.copy(cmd);
    volumes = List.copyOf(new TreeSet<>(volumes == null ? List.of() : volumes));
    workingDir = Json.emptyToNull(workingDir);
    labels = Json.sortedCopy(labels);
    stopSignal = Json.emptyToNull(stopSignal);
    onBuild = Json.copy(onBuild);
    shell = Json.copy(shell);
    unknown = unknown == null ? UnknownFields.none() : unknown;
  }

  public static ContainerConfig empty() {
    return new ContainerConfig(null, null, null, null, null, null, null, null, null, false, null,
        null, null, null);
  }

  /** A builder seeded with this config's values, for deriving a changed copy. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  static ContainerConfig fromJson(JsonNode n, String where) {
    String w = where + " config";
    JsonNode hc = Json.object(n, "Healthcheck", w);
    return new ContainerConfig(
        Json.string(n, "User", w),
        Json.keySet(n, "ExposedPorts", w),
        Json.stringList(n, "Env", w),
        Json.stringList(n, "Entrypoint", w),
        Json.stringList(n, "Cmd", w),
        Json.keySet(n, "Volumes", w),
        Json.string(n, "WorkingDir", w),
        Json.stringMap(n, "Labels", w),
        Json.string(n, "StopSignal", w),
        Json.bool(n, "ArgsEscaped", w),
        hc == null ? null : Healthcheck.fromJson(hc, w),
        Json.stringList(n, "OnBuild", w),
        Json.stringList(n, "Shell", w),
        UnknownFields.from(n, KNOWN));
  }

  void write(Json.Out out) throws IOException {
    // the order of Go's ocispec.ImageConfig, then BuildKit's DockerOCIImageConfigExt
    out.startObject();
    out.stringOmitEmpty("User", user);
    out.keySetOmitEmpty("ExposedPorts", exposedPorts);
    out.stringListOmitEmpty("Env", env);
    out.stringListOmitEmpty("Entrypoint", entrypoint);
    out.stringListOmitEmpty("Cmd", cmd);
    out.keySetOmitEmpty("Volumes", volumes);
    out.stringOmitEmpty("WorkingDir", workingDir);
    out.stringMapOmitEmpty("Labels", labels);
    out.stringOmitEmpty("StopSignal", stopSignal);
    out.boolOmitEmpty("ArgsEscaped", argsEscaped);
    if (healthcheck != null) {
      out.name("Healthcheck");
      healthcheck.write(out);
    }
    out.stringListOmitEmpty("OnBuild", onBuild);
    out.stringListOmitEmpty("Shell", shell);
    out.unknown(unknown);
    out.endObject();
  }

  /** Mutable companion for building a changed copy; records stay immutable. */
  public static final class Builder {
    private String user;
    private List<String> exposedPorts;
    private List<String> env;
    private List<String> entrypoint;
    private List<String> cmd;
    private List<String> volumes;
    private String workingDir;
    private Map<String, String> labels;
    private String stopSignal;
    private boolean argsEscaped;
    private Healthcheck healthcheck;
    private List<String> onBuild;
    private List<String> shell;
    private final UnknownFields unknown;

    private Builder(ContainerConfig c) {
      user = c.user;
      exposedPorts = c.exposedPorts;
      env = c.env;
      entrypoint = c.entrypoint;
      cmd = c.cmd;
      volumes = c.volumes;
      workingDir = c.workingDir;
      labels = c.labels;
      stopSignal = c.stopSignal;
      argsEscaped = c.argsEscaped;
      healthcheck = c.healthcheck;
      onBuild = c.onBuild;
      shell = c.shell;
      unknown = c.unknown;
    }

    public Builder user(String v) { user = v; return this; }
    public Builder exposedPorts(List<String> v) { exposedPorts = v; return this; }
    public Builder env(List<String> v) { env = v; return this; }
    public Builder entrypoint(List<String> v) { entrypoint = v; return this; }
    public Builder cmd(List<String> v) { cmd = v; return this; }
    public Builder volumes(List<String> v) { volumes = v; return this; }
    public Builder workingDir(String v) { workingDir = v; return this; }
    public Builder labels(Map<String, String> v) { labels = v; return this; }
    public Builder stopSignal(String v) { stopSignal = v; return this; }
    public Builder argsEscaped(boolean v) { argsEscaped = v; return this; }
    public Builder healthcheck(Healthcheck v) { healthcheck = v; return this; }
    public Builder onBuild(List<String> v) { onBuild = v; return this; }
    public Builder shell(List<String> v) { shell = v; return this; }

    public ContainerConfig build() {
      return new ContainerConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir,
          labels, stopSignal, argsEscaped, healthcheck, onBuild, shell, unknown);
    }
  }
}
