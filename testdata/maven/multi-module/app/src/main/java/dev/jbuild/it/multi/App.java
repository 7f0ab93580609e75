package dev.jbuild.it.multi;

/** The application of the multi-module test. */
public final class App {
  private App() {}

  public static void main(String[] args) {
    System.out.println("app");
  }
}
