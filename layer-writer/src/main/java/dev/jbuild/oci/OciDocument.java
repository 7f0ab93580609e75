package dev.jbuild.oci;

/** A JSON document with a canonical serialisation: manifest, index or image config. */
public interface OciDocument {

  /** The canonical bytes: what jbuild writes for a new document. */
  byte[] toJson();

  /** The media type the document is stored and served under. */
  String effectiveMediaType();
}
