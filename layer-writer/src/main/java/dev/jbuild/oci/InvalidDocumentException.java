package dev.jbuild.oci;

/**
 * A manifest, index or image config that is not valid JSON or lacks a required field. The
 * message names the document kind and the field; callers add where the bytes came from (the
 * registry and digest, or the blob path in the store).
 */
public class InvalidDocumentException extends RuntimeException {

  public InvalidDocumentException(String message) {
    super(message);
  }

  public InvalidDocumentException(String message, Throwable cause) {
    super(message, cause);
  }
}
