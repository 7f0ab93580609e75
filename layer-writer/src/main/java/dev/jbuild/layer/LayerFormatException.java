package dev.jbuild.layer;

import java.io.IOException;

/** A layer tar that is malformed or hostile; the message names the entry and what is wrong. */
public class LayerFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public LayerFormatException(String message) {
    super(message);
  }
}
