package dev.jbuild.build.context;

/** The kinds of file a build context holds. Sockets, FIFOs and devices are left out. */
public enum EntryType {
  FILE,
  DIRECTORY,
  SYMLINK
}
