package dev.jbuild.maven;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbuild.build.registry.Credentials;
import dev.jbuild.build.registry.ImageReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MavenCredentialsTest {

  @TempDir Path tmp;

  /** Records info lines, so the test sees which source was logged. */
  static final class RecordingLog extends SystemStreamLog {
    final List<String> info = new ArrayList<>();

    @Override
    public void info(CharSequence content) {
      info.add(content.toString());
    }

    @Override
    public void debug(CharSequence content) {}
  }

  private Credentials files(String registry, String user) throws Exception {
    Path file = tmp.resolve("config.json");
    String auth = Base64.getEncoder().encodeToString((user + ":pw").getBytes(StandardCharsets.UTF_8));
    Files.writeString(file, "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + auth + "\"}}}");
    return new Credentials(List.of(file));
  }

  private static Settings settings(String id, String user) {
    Settings s = new Settings();
    Server server = new Server();
    server.setId(id);
    server.setUsername(user);
    server.setPassword("pw");
    s.addServer(server);
    return s;
  }

  @Test
  void propertiesThenPomThenSettingsThenFilesEachLoggedOnce() throws Exception {
    ImageReference target = ImageReference.parse("reg.example:5000/app:1");
    RecordingLog log = new RecordingLog();
    MavenCredentials all =
        new MavenCredentials(
            target,
            List.of(
                new MavenCredentials.Pair("prop", "pw", "jbuild.to.auth.username/password"),
                new MavenCredentials.Pair("pom", "pw", "<to><auth> in the pom")),
            settings("reg.example:5000", "settings"),
            null,
            files("reg.example:5000", "file"),
            log);
    assertThat(all.find("reg.example:5000").get().username()).isEqualTo("prop");
    all.find("reg.example:5000");
    assertThat(log.info)
        .containsExactly("registry reg.example:5000: using the credentials from jbuild.to.auth.username/password");

    MavenCredentials pom =
        new MavenCredentials(
            target,
            List.of(new MavenCredentials.Pair("pom", "pw", "<to><auth> in the pom")),
            settings("reg.example:5000", "settings"),
            null,
            files("reg.example:5000", "file"),
            log);
    assertThat(pom.find("reg.example:5000").get().username()).isEqualTo("pom");

    MavenCredentials settings =
        new MavenCredentials(
            target, List.of(), settings("reg.example:5000", "settings"), null,
            files("reg.example:5000", "file"), log);
    assertThat(settings.find("reg.example:5000").get().origin())
        .isEqualTo("settings.xml <server> \"reg.example:5000\"");

    MavenCredentials fileOnly =
        new MavenCredentials(
            target, List.of(), settings("other:5000", "settings"), null,
            files("reg.example:5000", "file"), log);
    Credentials.Given fromFile = fileOnly.find("reg.example:5000").get();
    assertThat(fromFile.username()).isEqualTo("file");
    assertThat(fromFile.origin()).isEqualTo(tmp.resolve("config.json").toString());
  }

  @Test
  void explicitCredentialsAreOnlyForTheTargetRegistry() throws Exception {
    MavenCredentials c =
        new MavenCredentials(
            ImageReference.parse("reg.example:5000/app:1"),
            List.of(new MavenCredentials.Pair("prop", "pw", "jbuild.to.auth.username/password")),
            settings("docker.io", "hub"),
            null,
            new Credentials(List.of()),
            new RecordingLog());
    assertThat(c.find("base.example")).isEmpty();
    // Docker Hub's server id may be any of its names
    assertThat(c.find("docker.io").get().username()).isEqualTo("hub");
  }
}
