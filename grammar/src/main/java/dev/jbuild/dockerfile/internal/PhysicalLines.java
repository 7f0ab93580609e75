package dev.jbuild.dockerfile.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The file as BuildKit's {@code bufio.Scanner} with {@code scanLines} hands it out: lines split
 * after each {@code \n}, a UTF-8 BOM dropped from the first, and scanning stopping at a line
 * longer than the scanner's 64 KiB buffer (spec §1.1).
 */
final class PhysicalLines {

  /** bufio.MaxScanTokenSize - 1: the longest line (without its \n) the scanner accepts. */
  static final int MAX_LINE = 65535;

  private final byte[] content;
  private final List<String> lines = new ArrayList<>();
  private int pos;
  private int number;
  private boolean tooLong;

  private String text;
  private int textStart;
  private int textEnd;
  private boolean newline;

  PhysicalLines(byte[] content) {
    this.content = content;
  }

  /** Advances to the next line; false at the end or at a line that is too long. */
  boolean scan() {
    if (tooLong || pos >= content.length) {
      return false;
    }
    int start = pos;
    int nl = indexOf(content, (byte) '\n', start);
    int end = nl < 0 ? content.length : nl;
    if (end - start > MAX_LINE) {
      tooLong = true;
      return false;
    }
    pos = nl < 0 ? content.length : nl + 1;
    newline = nl >= 0;
    if (number == 0 && end - start >= 3 && (content[start] & 0xFF) == 0xEF
        && (content[start + 1] & 0xFF) == 0xBB && (content[start + 2] & 0xFF) == 0xBF) {
      start += 3;
    }
    number++;
    textStart = start;
    textEnd = end;
    text = new String(content, start, end - start, StandardCharsets.UTF_8);
    lines.add(end > start && content[end - 1] == '\r' ? text.substring(0, text.length() - 1) : text);
    return true;
  }

  private static int indexOf(byte[] a, byte b, int from) {
    for (int i = from; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** The current line without its {@code \n} (a {@code \r} before it is kept). */
  String text() {
    return text;
  }

  /** The current line as the scanner returns it: with its {@code \n} when it has one. */
  String textWithNewline() {
    return newline ? text + "\n" : text;
  }

  /** 1-based number of the current line. */
  int number() {
    return number;
  }

  /** True once scanning stopped at an over-long line. */
  boolean stoppedAtLongLine() {
    return tooLong;
  }

  /**
   * {@code strings.TrimSpace(string(bytesRead[1:]))}: BuildKit drops the first byte of a comment
   * line, which is the {@code #} only when the line does not start with whitespace.
   */
  String commentText() {
    if (textEnd > textStart && content[textStart] >= 0) {
      return GoStrings.trimSpace(text.substring(1));
    }
    if (textEnd <= textStart) {
      return "";
    }
    return GoStrings.trimSpace(
        new String(content, textStart + 1, textEnd - textStart - 1, StandardCharsets.UTF_8));
  }

  /** The lines scanned so far for rendering: BOM removed, no terminators (nor a CR before LF). */
  List<String> scanned() {
    return lines;
  }
}
