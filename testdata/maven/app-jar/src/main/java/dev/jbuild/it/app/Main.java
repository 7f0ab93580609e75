package dev.jbuild.it.app;

/** The application in the image. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("hello from the jbuild Maven plugin test");
  }
}
