package dev.jbuild.build.registry;

import dev.jbuild.build.JbuildException;

/** An image reference that does not follow Docker's grammar; the message names the text and why. */
public final class InvalidReferenceException extends JbuildException {

  private final String reference;

  public InvalidReferenceException(String reference, String reason) {
    super("invalid image reference \"" + reference + "\": " + reason);
    this.reference = reference;
  }

  /** The text as the user typed it. */
  public String reference() {
    return reference;
  }
}
