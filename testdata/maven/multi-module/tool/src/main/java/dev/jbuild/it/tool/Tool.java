package dev.jbuild.it.tool;

/** The tool of the multi-module test. */
public final class Tool {
  private Tool() {}

  public static void main(String[] args) {
    System.out.println("tool");
  }
}
