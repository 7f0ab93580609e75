package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.Diagnostic;
import dev.jbuild.dockerfile.SourceSpan;
import dev.jbuild.dockerfile.syntax.Directives;
import dev.jbuild.dockerfile.syntax.Heredoc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the IR as canonical Dockerfile text: flags in a fixed order, defaults left out, words
 * as written. Parsing the output gives an equal IR (spans aside). Golden tests, image history
 * and cache keys all use this one rendering.
 */
public final class IrPrinter {

  private final char escape;

  private IrPrinter(char escape) {
    this.escape = escape;
  }

  /** One instruction, with {@code \} as the escape character (may span lines for heredocs). */
  public static String print(Instruction instruction) {
    return print(instruction, '\\');
  }

  /** One instruction, quoting flag values for the given escape character. */
  public static String print(Instruction instruction, char escape) {
    return instruction.accept(new IrPrinter(escape).new Renderer());
  }

  /** The whole file as a Dockerfile: directives, global ARGs, stages separated by blank lines. */
  public static String print(Dockerfile dockerfile) {
    return render(dockerfile, false);
  }

  /**
   * The whole file for golden tests: each instruction prefixed by its span {@code [line:col-end]},
   * stage headers and parser warnings on {@code ===} lines. Not meant to be parsed back.
   */
  public static String printWithSpans(Dockerfile dockerfile) {
    return render(dockerfile, true);
  }

  private static String render(Dockerfile d, boolean spans) {
    IrPrinter p = new IrPrinter(d.directives().escape());
    StringBuilder out = new StringBuilder();
    Directives dir = d.directives();
    dir.syntax().ifPresent(s -> out.append("# syntax=").append(s).append('\n'));
    if (dir.escape() != '\\') {
      out.append("# escape=").append(dir.escape()).append('\n');
    }
    dir.check().ifPresent(c -> out.append("# check=").append(c).append('\n'));
    if (out.length() > 0) {
      out.append('\n');
    }
    if (!d.globalArgs().isEmpty()) {
      if (spans) {
        out.append("=== global args\n");
      }
      for (Arg a : d.globalArgs()) {
        p.appendInstruction(out, a, spans);
      }
      out.append('\n');
    }
    for (Stage s : d.stages()) {
      if (spans) {
        out.append("=== stage ").append(s.index());
        s.name().ifPresent(n -> out.append(' ').append(n));
        out.append('\n');
      }
      s.docComment().ifPresent(c -> out.append("# ").append(s.name().orElse("")).append(' ').append(c).append('\n'));
      p.appendInstruction(out, s.from(), spans);
      for (Instruction i : s.instructions()) {
        p.appendInstruction(out, i, spans);
      }
      out.append('\n');
    }
    if (spans && !d.warnings().isEmpty()) {
      out.append("=== warnings\n");
      for (Diagnostic w : d.warnings()) {
        out.append(w.span()).append(": ").append(w.message());
        w.rule().ifPresent(r -> out.append(" [").append(r).append(']'));
        out.append('\n');
      }
    }
    // one trailing newline
    while (out.length() > 1 && out.charAt(out.length() - 1) == '\n' && out.charAt(out.length() - 2) == '\n') {
      out.setLength(out.length() - 1);
    }
    return out.toString();
  }

  private void appendInstruction(StringBuilder out, Instruction i, boolean spans) {
    if (i instanceof Arg) {
      for (ArgDeclaration a : ((Arg) i).declarations()) {
        a.description().ifPresent(c -> out.append("# ").append(a.name()).append(' ').append(c).append('\n'));
      }
    }
    if (spans) {
      SourceSpan s = i.span();
      out.append('[').append(s.startLine()).append(':').append(s.startColumn()).append('-').append(s.endLine()).append("] ");
    }
    out.append(i.accept(new Renderer())).append('\n');
  }

  /** A flag word {@code --name=value}, quoted when the value needs it. */
  private String flag(String name, String value) {
    return "--" + name + "=" + quoteIfNeeded(value);
  }

  private String quoteIfNeeded(String value) {
    boolean needs = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isWhitespace(c) || c == '"' || c == '\'' || c == escape) {
        needs = true;
        break;
      }
    }
    if (!needs) {
      return value;
    }
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == escape) {
        out.append(escape);
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  /** JSON array of strings, {@code ["a", "b"]}. */
  static String json(List<String> words) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < words.size(); i++) {
      if (i > 0) {
        out.append(", ");
      }
      out.append('"');
      String w = words.get(i);
      for (int j = 0; j < w.length(); j++) {
        char c = w.charAt(j);
        switch (c) {
          case '"':
            out.append("\\\"");
            break;
          case '\\':
            out.append("\\\\");
            break;
          case '\n':
            out.append("\\n");
            break;
          case '\t':
            out.append("\\t");
            break;
          case '\r':
            out.append("\\r");
            break;
          default:
            if (c < 0x20) {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
        }
      }
      out.append('"');
    }
    return out.append(']').toString();
  }

  /** Keyword, flags, then the argument text; a leading {@code --} in it is protected. */
  private static String line(String keyword, List<String> flags, String args) {
    StringBuilder out = new StringBuilder(keyword);
    for (String f : flags) {
      out.append(' ').append(f);
    }
    if (args.startsWith("--")) {
      out.append(" --");
    }
    if (!args.isEmpty()) {
      out.append(' ').append(args);
    }
    return out.toString();
  }

  private static String command(CommandLine c) {
    return c.prependShell() ? ((CommandLine.ShellForm) c).script() : json(c.words());
  }

  private static String heredocBodies(List<Heredoc> heredocs) {
    StringBuilder out = new StringBuilder();
    for (Heredoc h : heredocs) {
      out.append('\n').append(h.content()).append(h.name());
    }
    return out.toString();
  }

  private static String heredocWord(Heredoc h) {
    return "<<" + (h.chomp() ? "-" : "") + (h.expand() ? h.name() : "'" + h.name() + "'");
  }

  private static boolean needsJson(List<String> words) {
    for (String w : words) {
      if (w.isEmpty()) {
        return true;
      }
      for (int i = 0; i < w.length(); i++) {
        if (Character.isWhitespace(w.charAt(i))) {
          return true;
        }
      }
    }
    return false;
  }

  /** COPY/ADD sources and destination, in JSON form only when a word needs it. */
  private static String sourcesAndDest(List<CopySource> sources, String dest) {
    List<String> words = new ArrayList<>();
    List<Heredoc> heredocs = new ArrayList<>();
    for (CopySource s : sources) {
      if (s instanceof CopySource.HeredocSource) {
        Heredoc h = ((CopySource.HeredocSource) s).heredoc();
        heredocs.add(h);
        words.add(heredocWord(h));
      } else {
        words.add(((CopySource.PathSource) s).path());
      }
    }
    words.add(dest);
    if (heredocs.isEmpty() && needsJson(words)) {
      return json(words);
    }
    return String.join(" ", words);
  }

  private static List<Heredoc> heredocsOf(List<CopySource> sources) {
    List<Heredoc> out = new ArrayList<>();
    for (CopySource s : sources) {
      if (s instanceof CopySource.HeredocSource) {
        out.add(((CopySource.HeredocSource) s).heredoc());
      }
    }
    return out;
  }

  private static String pairs(List<KeyValue> pairs, boolean legacy) {
    if (legacy) {
      return pairs.get(0).key() + " " + pairs.get(0).value();
    }
    List<String> out = new ArrayList<>();
    for (KeyValue kv : pairs) {
      out.add(kv.key() + "=" + kv.value());
    }
    return String.join(" ", out);
  }

  private final class Renderer implements InstructionVisitor<String> {
    @Override
    public String visitFrom(From f) {
      List<String> flags = new ArrayList<>();
      f.platform().ifPresent(p -> flags.add(flag("platform", p)));
      return line("FROM", flags, f.image() + f.name().map(n -> " AS " + n).orElse(""));
    }

    @Override
    public String visitRun(Run r) {
      List<String> flags = new ArrayList<>();
      for (RunMount m : r.mounts()) {
        flags.add(flag("mount", m.toSpec()));
      }
      r.network().ifPresent(n -> flags.add(flag("network", n.value())));
      r.security().ifPresent(s -> flags.add(flag("security", s.value())));
      for (Device d : r.devices()) {
        flags.add(flag("device", CsvValue.quote(d.name()) + (d.required() ? ",required" : "")));
      }
      return line("RUN", flags, command(r.command())) + heredocBodies(r.heredocs());
    }

    @Override
    public String visitCmd(Cmd c) {
      return line("CMD", List.of(), command(c.command()));
    }

    @Override
    public String visitEntrypoint(Entrypoint e) {
      return line("ENTRYPOINT", List.of(), command(e.command()));
    }

    @Override
    public String visitShell(Shell s) {
      return line("SHELL", List.of(), json(s.shell()));
    }

    @Override
    public String visitCopy(Copy c) {
      List<String> flags = new ArrayList<>();
      c.from().ifPresent(v -> flags.add(flag("from", v)));
      c.chown().ifPresent(v -> flags.add(flag("chown", v)));
      c.chmod().ifPresent(v -> flags.add(flag("chmod", v)));
      if (c.link()) {
        flags.add("--link");
      }
      if (c.parents()) {
        flags.add("--parents");
      }
      for (String e : c.excludes()) {
        flags.add(flag("exclude", e));
      }
      return line("COPY", flags, sourcesAndDest(c.sources(), c.destination()))
          + heredocBodies(heredocsOf(c.sources()));
    }

    @Override
    public String visitAdd(Add a) {
      List<String> flags = new ArrayList<>();
      a.chown().ifPresent(v -> flags.add(flag("chown", v)));
      a.chmod().ifPresent(v -> flags.add(flag("chmod", v)));
      if (a.link()) {
        flags.add("--link");
      }
      for (String e : a.excludes()) {
        flags.add(flag("exclude", e));
      }
      if (a.keepGitDir()) {
        flags.add("--keep-git-dir");
      }
      a.checksum().ifPresent(v -> flags.add(flag("checksum", v)));
      a.unpack().ifPresent(v -> flags.add("--unpack=" + v));
      return line("ADD", flags, sourcesAndDest(a.sources(), a.destination()))
          + heredocBodies(heredocsOf(a.sources()));
    }

    @Override
    public String visitEnv(Env e) {
      return line("ENV", List.of(), pairs(e.pairs(), e.legacyForm()));
    }

    @Override
    public String visitArg(Arg a) {
      List<String> words = new ArrayList<>();
      for (ArgDeclaration d : a.declarations()) {
        words.add(d.name() + d.defaultValue().map(v -> "=" + v).orElse(""));
      }
      return line("ARG", List.of(), String.join(" ", words));
    }

    @Override
    public String visitLabel(Label l) {
      return line("LABEL", List.of(), pairs(l.pairs(), l.legacyForm()));
    }

    @Override
    public String visitExpose(Expose e) {
      return line("EXPOSE", List.of(), String.join(" ", e.ports()));
    }

    @Override
    public String visitVolume(Volume v) {
      return line("VOLUME", List.of(), needsJson(v.paths()) ? json(v.paths()) : String.join(" ", v.paths()));
    }

    @Override
    public String visitUser(User u) {
      return line("USER", List.of(), u.user());
    }

    @Override
    public String visitWorkdir(Workdir w) {
      return line("WORKDIR", List.of(), w.path());
    }

    @Override
    public String visitHealthcheck(Healthcheck h) {
      if (h.isNone()) {
        return "HEALTHCHECK NONE";
      }
      List<String> flags = new ArrayList<>();
      duration(flags, "interval", h.interval());
      duration(flags, "timeout", h.timeout());
      duration(flags, "start-period", h.startPeriod());
      duration(flags, "start-interval", h.startInterval());
      if (h.retries() != 0) {
        flags.add("--retries=" + h.retries());
      }
      return line("HEALTHCHECK", flags, "CMD " + command(h.command().orElseThrow()));
    }

    private void duration(List<String> flags, String name, Duration d) {
      if (!d.isZero()) {
        flags.add("--" + name + "=" + GoDuration.format(d));
      }
    }

    @Override
    public String visitStopSignal(StopSignal s) {
      return line("STOPSIGNAL", List.of(), s.signal());
    }

    @Override
    public String visitOnbuild(Onbuild o) {
      return "ONBUILD " + o.trigger().accept(this);
    }

    @Override
    public String visitMaintainer(Maintainer m) {
      return line("MAINTAINER", List.of(), m.name());
    }
  }
}
