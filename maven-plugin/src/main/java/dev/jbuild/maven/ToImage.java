package dev.jbuild.maven;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code <to>} block: where the image goes, as Jib spells it.
 *
 * <pre>{@code
 * <to>
 *   <image>registry.example.com/team/app</image>
 *   <tags><tag>${project.version}</tag><tag>latest</tag></tags>
 *   <auth><username>…</username><password>…</password></auth>
 * </to>
 * }</pre>
 */
public class ToImage {

  /** The image name, with or without a tag (default {@code ARTIFACTID:VERSION}). */
  String image;

  /** More tags of the same repository. */
  List<String> tags = new ArrayList<>();

  /** Credentials for the image's registry; properties and settings.xml are other sources. */
  Auth auth;

  /** Setters Maven calls when the block is configured; also for tests. */
  public void setImage(String image) {
    this.image = image;
  }

  public void setTags(List<String> tags) {
    this.tags = tags == null ? new ArrayList<>() : new ArrayList<>(tags);
  }

  public void setAuth(Auth auth) {
    this.auth = auth;
  }

  /** {@code <auth>}: a username and password for the target registry. */
  public static class Auth {
    String username;
    String password;

    public void setUsername(String username) {
      this.username = username;
    }

    public void setPassword(String password) {
      this.password = password;
    }

    @Override
    public String toString() {
      return "Auth[username=" + username + "]";
    }
  }
}
