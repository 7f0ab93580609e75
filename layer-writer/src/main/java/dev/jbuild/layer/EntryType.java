package dev.jbuild.layer;

/** The kinds of tar entry a layer holds; sockets have none and are never written. */
public enum EntryType {
  FILE('0'),
  HARDLINK('1'),
  SYMLINK('2'),
  CHAR_DEVICE('3'),
  BLOCK_DEVICE('4'),
  DIRECTORY('5'),
  FIFO('6');

  private final char flag;

  EntryType(char flag) {
    this.flag = flag;
  }

  /** The ustar typeflag byte. */
  public char typeflag() {
    return flag;
  }

  /** True for character and block devices. */
  public boolean isDevice() {
    return this == CHAR_DEVICE || this == BLOCK_DEVICE;
  }
}
