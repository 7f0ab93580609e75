package dev.jbuild.build.output;

import dev.jbuild.build.JbuildException;
import java.nio.file.Path;

/** An image could not be written to its destination; the message says why and what to do. */
public class ExportException extends JbuildException {

  private final transient Path destination;

  public ExportException(Path destination, String message) {
    super(message);
    this.destination = destination;
  }

  public ExportException(Path destination, String message, Throwable cause) {
    super(message, cause);
    this.destination = destination;
  }

  /** The file or directory that was being written. */
  public Path destination() {
    return destination;
  }
}
