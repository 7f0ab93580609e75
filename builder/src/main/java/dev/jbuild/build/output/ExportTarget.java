package dev.jbuild.build.output;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/** A file or directory an image is written to, by format. */
public sealed interface ExportTarget {

  Path dest();

  <R> R accept(Visitor<R> visitor);

  /** One method per format, so that a new format breaks every switch over them. */
  interface Visitor<R> {
    R visit(OciDirectory target);

    R visit(OciArchive target);

    R visit(DockerArchive target);
  }

  /**
   * The target for {@code --output type=TYPE,dest=DEST}: {@code oci} (an image layout
   * directory), {@code oci-archive} (a tar of one) or {@code docker-archive} (what
   * {@code docker load} reads). Throws IllegalArgumentException naming the accepted types.
   */
  static ExportTarget of(String type, Path dest) {
    Objects.requireNonNull(dest, "dest");
    switch (type.toLowerCase(Locale.ROOT)) {
      case "oci":
      case "oci-dir":
      case "oci-layout":
        return new OciDirectory(dest);
      case "oci-archive":
        return new OciArchive(dest);
      case "docker-archive":
      case "docker":
        return new DockerArchive(dest);
      default:
        throw new IllegalArgumentException("unknown output type \"" + type
            + "\": expected oci, oci-archive or docker-archive");
    }
  }

  /** An OCI image layout directory ({@code skopeo copy oci:DIR:tag}, {@code umoci}). */
  record OciDirectory(Path dest) implements ExportTarget {
    public OciDirectory {
      Objects.requireNonNull(dest, "dest");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A tar of an OCI image layout ({@code oci-archive:FILE}). */
  record OciArchive(Path dest) implements ExportTarget {
    public OciArchive {
      Objects.requireNonNull(dest, "dest");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }

  /** A docker-archive ({@code docker load}, {@code podman load}, {@code docker-archive:FILE}). */
  record DockerArchive(Path dest) implements ExportTarget {
    public DockerArchive {
      Objects.requireNonNull(dest, "dest");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.visit(this);
    }
  }
}
