package dev.jbuild.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbuild.dockerfile.syntax.Heredoc;
import dev.jbuild.dockerfile.syntax.SyntaxDump;
import dev.jbuild.dockerfile.syntax.SyntaxNode;
import dev.jbuild.dockerfile.syntax.SyntaxTree;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The rules of spec §1 that BuildKit's vector files do not pin down. */
class SyntaxParserTest {

  static SyntaxTree parse(String text) {
    return Dockerfiles.parseSyntax("Dockerfile", text.getBytes(StandardCharsets.UTF_8));
  }

  static String dump(String text) {
    return SyntaxDump.dump(parse(text));
  }

  static DockerfileException failure(String text) {
    try {
      parse(text);
    } catch (DockerfileException e) {
      return e;
    }
    throw new AssertionError("parsed: " + text);
  }

  @Nested
  class Files {
    @Test
    void bomIsDroppedFromTheFirstLineOnly() {
      byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
      byte[] body = "# escape=`\nFROM a\nRUN x `\n y\n".getBytes(StandardCharsets.UTF_8);
      byte[] all = new byte[bom.length + body.length];
      System.arraycopy(bom, 0, all, 0, 3);
      System.arraycopy(body, 0, all, 3, body.length);
      SyntaxTree tree = Dockerfiles.parseSyntax("Dockerfile", all);
      assertThat(tree.directives().escape()).isEqualTo('`');
      assertThat(SyntaxDump.dump(tree)).isEqualTo("(from \"a\")\n(run \"x  y\")\n");
      assertThat(tree.lines()).containsExactly("# escape=`", "FROM a", "RUN x `", " y");
      // a BOM on a later line is ordinary text
      assertThat(dump("FROM a\n\uFEFFRUN x\n")).isEqualTo("(from \"a\")\n(\ufeffrun \"\")\n");
    }

    @Test
    void crlfIsTrimmed() {
      assertThat(dump("FROM a\r\nRUN echo \\\r\n  hi\r\nCMD [\"x\"]\r\n"))
          .isEqualTo("(from \"a\")\n(run \"echo   hi\")\n(cmd \"x\")\n");
    }

    @Test
    void crlfHeredocKeepsItsCarriageReturnsButFindsTheTerminator() {
      SyntaxNode run = parse("FROM a\r\nRUN <<EOF\r\nhello\r\nEOF\r\n").children().get(1);
      assertThat(run.heredocs()).containsExactly(new Heredoc("EOF", "hello\r\n", true, false, 0));
    }

    @Test
    void lineOf65535BytesIsAcceptedAndOneMoreIsNot() {
      String ok = "FROM a\nRUN " + "x".repeat(65535 - 4) + "\n";
      assertThat(parse(ok).children()).hasSize(2);
      String okLast = "FROM a\nRUN " + "x".repeat(65535 - 4);
      assertThat(parse(okLast).children()).hasSize(2);
      DockerfileException e = failure("FROM a\nRUN " + "x".repeat(65536 - 4) + "\nRUN y\n");
      assertThat(e.primary().message())
          .isEqualTo("dockerfile line greater than max allowed size of 65535");
      assertThat(e.primary().span().startLine()).isEqualTo(2);
      // the CR of a CRLF counts: BuildKit only trims it after the length check
      DockerfileException crlf = failure("FROM a\r\nRUN " + "x".repeat(65535 - 4) + "\r\n");
      assertThat(crlf.primary().message()).startsWith("dockerfile line greater");
    }

    @Test
    void aTooLongFirstLineMeansNoInstructions() {
      assertThat(failure("#" + "x".repeat(70000)).primary().message())
          .isEqualTo("file with no instructions");
    }

    @Test
    void noInstructions() {
      assertThat(failure("").primary().span()).isEqualTo(new SourceSpan("Dockerfile", 1, 1, 1));
      assertThat(failure("\n\n# c\n   \n").primary().message())
          .isEqualTo("file with no instructions");
      assertThat(failure("\n\n# c\n   \n").primary().span().startLine()).isEqualTo(4);
    }

    @Test
    void invalidUtf8IsReplacedNotFatal() {
      byte[] f = {'F', 'R', 'O', 'M', ' ', (byte) 0xFF, '\n'};
      assertThat(Dockerfiles.parseSyntax("D", f).children().get(0).args()).containsExactly("\uFFFD");
    }
  }

  @Nested
  class Keywords {
    @Test
    void keywordsAreCaseInsensitiveAndKeepTheirSpelling() {
      SyntaxNode n = parse("fRoM a\n").children().get(0);
      assertThat(n.keyword()).isEqualTo("from");
      assertThat(n.keywordAsWritten()).isEqualTo("fRoM");
      assertThat(n.args()).containsExactly("a");
    }

    @Test
    void unknownInstructionStillParses() {
      SyntaxNode n = parse("FROM a\nRUNN echo hi\n").children().get(1);
      assertThat(n.keyword()).isEqualTo("runn");
      assertThat(n.original()).isEqualTo("RUNN echo hi");
      assertThat(SyntaxDump.dump(n)).isEqualTo("runn \"\"");
    }

    @Test
    void leadingWhitespaceIsStrippedOnTheFirstLineAndKeptOnContinuations() {
      SyntaxNode n = parse("\t  RUN a \\\n\t  b\n").children().get(0);
      assertThat(n.args()).containsExactly("a \t  b");
      assertThat(n.span()).isEqualTo(new SourceSpan("Dockerfile", 1, 4, 2));
    }

    @Test
    void keywordSplitsOnAsciiBlanksOnly() {
      // NBSP is trimmed at the ends but does not separate the keyword from its arguments
      assertThat(dump("\u00a0FROM\u00a0a\n")).isEqualTo("(from\u00a0a \"\")\n");
      assertThat(dump("FROM\u000ba\n")).isEqualTo("(from \"a\")\n");
    }
  }

  @Nested
  class Comments {
    @Test
    void commentsAttachToTheNextInstruction() {
      List<SyntaxNode> c = parse("# one\n#two\n\n# three\nFROM a\nRUN b\n").children();
      assertThat(c.get(0).comments()).containsExactly("one", "two", "three");
      assertThat(c.get(1).comments()).isEmpty();
    }

    @Test
    void aBlankCommentResetsButABlankLineDoesNot() {
      List<SyntaxNode> c = parse("# one\n#\n# two\n\nFROM a\n").children();
      assertThat(c.get(0).comments()).containsExactly("two");
    }

    @Test
    void directiveLinesAreCommentsToo() {
      assertThat(parse("# syntax=x\nFROM a\n").children().get(0).comments())
          .containsExactly("syntax=x");
    }

    @Test
    void indentedCommentKeepsItsHashBecauseBuildKitDropsTheFirstByte() {
      assertThat(parse("FROM a\n  # hello\nRUN b\n").children().get(1).comments())
          .containsExactly("# hello");
    }

    @Test
    void commentsInsideAContinuationAreDroppedAndNotAttached() {
      List<SyntaxNode> c = parse("FROM a\nRUN a \\\n# inside\n  b\nRUN c\n").children();
      assertThat(c.get(1).args()).containsExactly("a   b");
      assertThat(c.get(2).comments()).isEmpty();
    }

    @Test
    void hashInsideALineIsLiteral() {
      assertThat(dump("FROM a\nRUN echo # not a comment\n"))
          .isEqualTo("(from \"a\")\n(run \"echo # not a comment\")\n");
    }

    @Test
    void aCommentDoesNotContinue() {
      assertThat(dump("# comment \\\nFROM a\n")).isEqualTo("(from \"a\")\n");
    }
  }

  @Nested
  class Directives {
    @Test
    void allThreeAreRead() {
      SyntaxTree t = parse("# syntax=docker/dockerfile:1\n#CHECK = skip=all ;error=true \n"
          + "# Escape=`\nFROM a\n");
      assertThat(t.directives().syntax()).contains("docker/dockerfile:1");
      assertThat(t.directives().check()).contains("skip=all ;error=true");
      assertThat(t.directives().escape()).isEqualTo('`');
    }

    @Test
    void leadingWhitespaceIsAllowed() {
      assertThat(parse("   # escape=`\nFROM a\n").directives().escape()).isEqualTo('`');
    }

    @Test
    void stopAtAnInstruction() {
      assertThat(parse("FROM a\n# escape=`\n").directives().escape()).isEqualTo('\\');
    }

    @Test
    void stopAtAnEmptyLine() {
      assertThat(parse("\n# escape=`\nFROM a\n").directives().escape()).isEqualTo('\\');
    }

    @Test
    void stopAtAnOrdinaryComment() {
      assertThat(parse("# hello\n# escape=`\nFROM a\n").directives().escape()).isEqualTo('\\');
    }

    @Test
    void stopAtAnUnknownKey() {
      SyntaxTree t = parse("# foo=bar\n# escape=`\n# escape=`\nFROM a\n");
      assertThat(t.directives()).isEqualTo(dev.jbuild.dockerfile.syntax.Directives.DEFAULT);
    }

    @Test
    void aShebangEndsDirectives() {
      assertThat(parse("#!/usr/bin/env buildctl\n# escape=`\nFROM a\n").directives().escape())
          .isEqualTo('\\');
    }

    @Test
    void duplicateIsAnError() {
      DockerfileException e = failure("# escape=`\n# ESCAPE=\\\nFROM a\n");
      assertThat(e.primary().message()).isEqualTo("only one escape parser directive can be used");
      assertThat(e.primary().span()).isEqualTo(new SourceSpan("Dockerfile", 2, 1, 2));
      assertThat(failure("#syntax=a\n#syntax=b\nFROM a\n").primary().message())
          .isEqualTo("only one syntax parser directive can be used");
      assertThat(failure("#check=a\n#check=b\nFROM a\n").primary().message())
          .isEqualTo("only one check parser directive can be used");
    }

    @Test
    void invalidEscapeIsAnError() {
      DockerfileException e = failure("# escape=x\nFROM a\n");
      assertThat(e.primary().message()).isEqualTo("invalid escape token 'x' does not match ` or \\");
      assertThat(e.primary().span().startLine()).isEqualTo(1);
    }

    @Test
    void valueIsTrimmedAndCaseKept() {
      assertThat(parse("#syntax =  Docker/X  \t\nFROM a\n").directives().syntax())
          .isEqualTo(Optional.of("Docker/X"));
    }
  }

  @Nested
  class Continuation {
    @Test
    void backtickEscapeContinuesAndBackslashIsLiteral() {
      assertThat(dump("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo\n"))
          .isEqualTo("(from \"a\")\n(run \"dir c:\\\\   && echo\")\n");
    }

    @Test
    void escapedEscapeDoesNotContinue() {
      assertThat(dump("FROM a\nRUN echo a\\\\\nRUN b\n"))
          .isEqualTo("(from \"a\")\n(run \"echo a\\\\\\\\\")\n(run \"b\")\n");
      // BuildKit's known limitation: three escapes do not continue either
      assertThat(parse("FROM a\nRUN echo a\\\\\\\nRUN b\n").children()).hasSize(3);
    }

    @Test
    void blanksAfterTheEscapeAreAllowed() {
      assertThat(dump("FROM a\nRUN a \\ \t \nb\n")).isEqualTo("(from \"a\")\n(run \"a b\")\n");
    }

    @Test
    void aLineWithOnlyTheEscapeContinues() {
      assertThat(dump("FROM a\nRUN a\\\n\\\nb\n")).isEqualTo("(from \"a\")\n(run \"ab\")\n");
      // even as the first line of an instruction
      SyntaxNode n = parse("\\\nFROM a\n").children().get(0);
      assertThat(n.args()).containsExactly("a");
      assertThat(n.span().startLine()).isEqualTo(1);
      assertThat(n.span().endLine()).isEqualTo(2);
    }

    @Test
    void emptyContinuationLinesWarn() {
      SyntaxTree t = parse("FROM a\nRUN a \\\n\n   \n  b\nRUN c \\\n# comment\n d\n");
      assertThat(SyntaxDump.dump(t)).isEqualTo("(from \"a\")\n(run \"a   b\")\n(run \"c  d\")\n");
      assertThat(t.warnings()).hasSize(1);
      Diagnostic w = t.warnings().get(0);
      assertThat(w.severity()).isEqualTo(Diagnostic.Severity.WARNING);
      assertThat(w.rule()).contains("NoEmptyContinuation");
      assertThat(w.message()).isEqualTo("Empty continuation line found in: RUN a   b");
      assertThat(w.span().startLine()).isEqualTo(5);
    }

    @Test
    void continuationAtEndOfFileEndsTheInstruction() {
      SyntaxNode n = parse("FROM a\nRUN a \\\n\n").children().get(1);
      assertThat(n.args()).containsExactly("a");
      assertThat(n.span().endLine()).isEqualTo(3);
    }
  }

  @Nested
  class Flags {
    @Test
    void quotesAndEscapesAreRemoved() {
      assertThat(parse("FROM a\nCOPY --chown=\"a b\" --x='c\\'d' --y=e\\ f g h\n")
              .children().get(1).flags())
          .containsExactly("--chown=a b", "--x=c'd", "--y=e f");
    }

    @Test
    void flagsUseTheDirectiveEscape() {
      SyntaxNode n = parse("# escape=`\nFROM a\nCOPY --x=a`\"b\\c --y='d`'e' f g\n")
          .children().get(1);
      assertThat(n.flags()).containsExactly("--x=a\"b\\c", "--y=d'e");
      assertThat(n.args()).containsExactly("f", "g");
    }

    @Test
    void flagsEndAtABareDoubleDash() {
      SyntaxNode n = parse("FROM a\nRUN --a -- --b c\n").children().get(1);
      assertThat(n.flags()).containsExactly("--a");
      assertThat(n.args()).containsExactly("--b c");
    }

    @Test
    void everyInstructionGetsFlags() {
      assertThat(dump("FROM --platform=linux/amd64 a AS b\nARG --x y\nSTOPSIGNAL --z 9\n"))
          .isEqualTo("(from [\"--platform=linux/amd64\"] \"a\" \"AS\" \"b\")\n"
              + "(arg [\"--x\"] \"y\")\n(stopsignal [\"--z\"] \"9\")\n");
    }

    @Test
    void flagsAreScannedBytewiseLikeBuildKit() {
      // extractBuilderFlags appends each byte as a rune: UTF-8 text comes out as Latin-1
      assertThat(parse("FROM a\nCOPY --chown=jos\u00e9 a b\n").children().get(1).flags())
          .containsExactly("--chown=jos\u00c3\u00a9");
    }

    @Test
    void unterminatedQuoteRunsToTheEnd() {
      SyntaxNode n = parse("FROM a\nRUN --mount=\"type=x echo\n").children().get(1);
      assertThat(n.flags()).containsExactly("--mount=type=x echo");
      assertThat(n.args()).isEmpty();
    }
  }

  @Nested
  class Shapes {
    @Test
    void execFormAndShellForm() {
      assertThat(dump("CMD [\"a\", \"b\"] trailing\nRUN [\"a\"\nENTRYPOINT [1x]\nSHELL ['sh']\n"))
          .isEqualTo("(cmd \"[\\\"a\\\", \\\"b\\\"] trailing\")\n(run \"[\\\"a\\\"\")\n"
              + "(entrypoint \"[1x]\")\n(shell \"['sh']\")\n");
      // json.Unmarshal wants exactly one value: anything after the array makes it shell form,
      // even when the array itself holds a non-string
      assertThat(parse("ENTRYPOINT [1]x\n").children().get(0).args()).containsExactly("[1]x");
      assertThat(parse("CMD  [ \"a\" ] \t\n").children().get(0).args()).containsExactly("a");
      assertThat(parse("CMD [\"a\"]\n").children().get(0).json()).isTrue();
      assertThat(parse("CMD a\n").children().get(0).json()).isFalse();
    }

    @Test
    void nonStringElementsAreAnError() {
      for (String bad : List.of("[1]", "[\"a\", null]", "[true]", "[{}]", "[[\"a\"]]",
          "[{\"a\": [1, {\"b\": null}]}, \"x\"]")) {
        DockerfileException e = failure("FROM a\nCMD " + bad + "\n");
        assertThat(e.primary().message())
            .isEqualTo("when using JSON array syntax, arrays must be comprised of strings only");
        assertThat(e.primary().span()).isEqualTo(new SourceSpan("Dockerfile", 2, 1, 2));
      }
    }

    @Test
    void invalidJsonIsShellForm() {
      for (String s : List.of("[01]", "[1.]", "[\"a\",]", "[\"a\" \"b\"]", "[\"\\x\"]",
          "[\"a\tb\"]", "[-]", "[tru]", "[{\"a\"}]", "[\u00a0\"a\"]")) {
        SyntaxNode n = parse("CMD " + s + "\n").children().get(0);
        assertThat(n.json()).as(s).isFalse();
        assertThat(n.args()).as(s).containsExactly(s);
      }
    }

    @Test
    void jsonEscapesAndSurrogates() {
      assertThat(parse("CMD [\"\\ud83d\\ude00\", \"\\ud83d\", \"\\ude00\\ud83d\", \"\\u00e9\"]\n")
              .children().get(0).args())
          .containsExactly("\ud83d\ude00", "\ufffd", "\ufffd\ufffd", "\u00e9");
    }

    @Test
    void deeplyNestedJson() {
      String deep = "[" + "[".repeat(5000) + "1" + "]".repeat(5000) + "]";
      assertThat(failure("CMD " + deep + "\n").primary().message()).contains("strings only");
      String tooDeep = "[".repeat(10002) + "]".repeat(10002);
      assertThat(parse("CMD " + tooDeep + "\n").children().get(0).json()).isFalse();
    }

    @Test
    void copyAddVolumeSplitWithoutQuotes() {
      assertThat(dump("COPY \"a b\" /x\nVOLUME [\"/a\", \"/b c\"]\nADD a\t\u000bb\n"))
          .isEqualTo("(copy \"\\\"a\" \"b\\\"\" \"/x\")\n(volume \"/a\" \"/b c\")\n"
              + "(add \"a\" \"b\")\n");
    }

    @Test
    void wholeRestIsOneArgument() {
      assertThat(dump("USER a b\nWORKDIR  /x y \nMAINTAINER me <m@x>\nSTOPSIGNAL\n"))
          .isEqualTo("(user \"a b\")\n(workdir \"/x y\")\n(maintainer \"me <m@x>\")\n"
              + "(stopsignal)\n");
    }

    @Test
    void envAndLabelForms() {
      assertThat(dump("ENV a=1 b=\"2 3\"\nLABEL k v w\nENV ONE TWO= THREE=world\nENV =x\n"))
          .isEqualTo("(env \"a\" \"1\" \"=\" \"b\" \"\\\"2 3\\\"\" \"=\")\n"
              + "(label \"k\" \"v w\" \"\")\n"
              + "(env \"ONE\" \"TWO= THREE=world\" \"\")\n"
              + "(env \"\" \"x\" \"=\")\n");
      assertThat(failure("LABEL k\n").primary().message()).isEqualTo("LABEL must have two arguments");
      assertThat(failure("ENV a=1 b\n").primary().message())
          .isEqualTo("Syntax error - can't find = in \"b\". Must be of the form: name=value");
    }

    @Test
    void wordsFollowTheEscapeDirective() {
      assertThat(dump("# escape=`\nENV a=x`\"y b=c\\\n"))
          .isEqualTo("(env \"a\" \"x`\\\"y\" \"=\" \"b\" \"c\\\\\" \"=\")\n");
      assertThat(parse("# escape=`\nARG a=x`\"y b=c\\ d `\n").children().get(0).args())
          .containsExactly("a=x`\"y", "b=c\\", "d");
    }

    @Test
    void argKeepsRawWords() {
      assertThat(parse("ARG a=\"x y\" 'b c'd e\\ f \\\n").children().get(0).args())
          .containsExactly("a=\"x y\"", "'b c'd", "e\\ f");
    }

    @Test
    void healthcheck() {
      assertThat(dump("HEALTHCHECK NONE\nHEALTHCHECK --retries=3 CMD [\"a\", \"b\"]\n"))
          .isEqualTo("(healthcheck \"NONE\")\n(healthcheck [\"--retries=3\"] \"CMD\" \"a\" \"b\")\n");
      assertThat(parse("HEALTHCHECK CMD [\"a\"]\n").children().get(0).json()).isTrue();
    }

    @Test
    void onbuildNestsAnInstruction() {
      SyntaxNode n = parse("ONBUILD --x RUN --mount=a [\"b\"]\nONBUILD\n").children().get(0);
      assertThat(SyntaxDump.dump(n)).isEqualTo("onbuild [\"--x\"] (run [\"--mount=a\"] \"b\")");
      SyntaxNode inner = n.nested().orElseThrow();
      assertThat(inner.original()).isEqualTo("RUN --mount=a [\"b\"]");
      assertThat(inner.json()).isTrue();
      assertThat(dump("ONBUILD\nONBUILD ONBUILD ENV a b\n"))
          .isEqualTo("(onbuild)\n(onbuild (onbuild (env \"a\" \"b\" \"\")))\n");
      assertThat(failure("ONBUILD CMD [2]\n").primary().message()).contains("strings only");
    }
  }

  @Nested
  class Heredocs {
    /** The file of BuildKit's TestParseExtractsHeredoc (parser_heredoc_test.go). */
    static final String BUILDKIT_CASES = "\nFROM alpine:3.6\n\nENV NAME=me\n\nRUN ls\n\n"
        + "USER <<INVALID\nINVALID\n\nRUN <<EMPTY\nEMPTY\n\nRUN 3<<EMPTY2\nEMPTY2\n\n"
        + "RUN \"<<NOHEREDOC\"\n\nRUN <<INDENT\n\tfoo\n\tbar\nINDENT\n\n"
        + "RUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT\n\n"
        + "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n\n"
        + "RUN <<-EXPAND\n\texpand $NAME\nEXPAND\n\n"
        + "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n\n"
        + "RUN <<COPY\necho hello world\necho foo bar\nCOPY\n\n"
        + "RUN <<COMMENT\n# internal comment\necho hello world\necho foo bar # trailing comment\n"
        + "COMMENT\n\n"
        + "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n\n"
        + "COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n\n"
        + "COPY <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n\n"
        + "COPY <<X <<Y /dest\nY\nX\nX\nY\n\n"
        + "RUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n\n"
        + "COPY <<file.txt /dest\nhello world\nfile.txt\n\n"
        + "RUN <<eo'f'\necho foo\neof\n\n"
        + "RUN <<eo\\'f\necho foo\neo'f\n\n"
        + "RUN <<'e'o\\'f\necho foo\neo'f\n\n"
        + "RUN <<'one two'\necho bar\none two\n\n"
        + "RUN <<$EOF\n$EOF\n\n"
        + "RUN <<  EOF\nEOF\n\n"
        + "RUN <<  EOF  > foo\nEOF\n\t";

    @Test
    void buildKitHeredocCases() {
      List<SyntaxNode> c = parse(BUILDKIT_CASES).children();
      List<List<Heredoc>> expected = List.of(
          List.of(), // ENV
          List.of(), // RUN ls
          List.of(), // USER <<INVALID
          List.of(), // INVALID, its own instruction
          List.of(new Heredoc("EMPTY", "", true, false, 0)),
          List.of(new Heredoc("EMPTY2", "", true, false, 3)),
          List.of(), // RUN "<<NOHEREDOC"
          List.of(new Heredoc("INDENT", "\tfoo\n\tbar\n", true, false, 0)),
          // chomped content (BuildKit chomps when it uses the body; we store it chomped)
          List.of(new Heredoc("UNINDENT", "baz\nquux\n", true, true, 0)),
          List.of(new Heredoc("UNINDENT2", "baz\nquux\n", true, true, 0)),
          List.of(new Heredoc("EXPAND", "expand $NAME\n", true, true, 0)),
          List.of(new Heredoc("NOEXPAND", "don't expand $NAME\n", false, true, 0)),
          List.of(new Heredoc("COPY", "echo hello world\necho foo bar\n", true, false, 0)),
          List.of(new Heredoc("COMMENT",
              "# internal comment\necho hello world\necho foo bar # trailing comment\n",
              true, false, 0)),
          List.of(new Heredoc("MOUNT", "echo hello\n", true, false, 0)),
          List.of(new Heredoc("FILE1", "content 1\n", true, false, 0),
              new Heredoc("FILE2", "content 2\n", true, false, 0)),
          List.of(new Heredoc("EOF", "\"foo\"\n'bar'\n", true, false, 0)),
          List.of(new Heredoc("X", "Y\n", true, false, 0), new Heredoc("Y", "X\n", true, false, 0)),
          List.of(new Heredoc("COMPLEX", "print('hello world')\n", true, false, 0)),
          List.of(new Heredoc("file.txt", "hello world\n", true, false, 0)),
          List.of(new Heredoc("eof", "echo foo\n", false, false, 0)),
          List.of(new Heredoc("eo'f", "echo foo\n", true, false, 0)),
          List.of(new Heredoc("eo'f", "echo foo\n", false, false, 0)),
          List.of(new Heredoc("one two", "echo bar\n", false, false, 0)),
          List.of(new Heredoc("$EOF", "", true, false, 0)),
          List.of(new Heredoc("EOF", "", true, false, 0)),
          List.of(new Heredoc("EOF", "", true, false, 0)));
      assertThat(c).hasSize(expected.size() + 1);
      for (int i = 0; i < expected.size(); i++) {
        assertThat(c.get(i + 1).heredocs()).as("child %d: %s", i + 1, c.get(i + 1).original())
            .isEqualTo(expected.get(i));
      }
    }

    @Test
    void neverInJsonForm() {
      List<SyntaxNode> c = parse("FROM a\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\nEOF\n").children();
      assertThat(c).hasSize(4);
      assertThat(c.get(1).heredocs()).isEmpty();
      assertThat(c.get(2).heredocs()).isEmpty();
    }

    @Test
    void onlyRunCopyAddAndThoseUnderOnbuild() {
      List<SyntaxNode> c = parse("FROM a\nENV a=<<EOF\nADD <<EOF /x\nbody\nEOF\n"
          + "ONBUILD COPY <<A /a\nin onbuild\nA\nONBUILD ENV x=<<B\n").children();
      assertThat(c).hasSize(5);
      assertThat(c.get(1).heredocs()).isEmpty();
      assertThat(c.get(2).heredocs()).containsExactly(new Heredoc("EOF", "body\n", true, false, 0));
      SyntaxNode onbuild = c.get(3);
      assertThat(onbuild.heredocs()).containsExactly(new Heredoc("A", "in onbuild\n", true, false, 0));
      assertThat(onbuild.nested().orElseThrow().heredocs()).isEqualTo(onbuild.heredocs());
      assertThat(onbuild.span()).isEqualTo(new SourceSpan("Dockerfile", 6, 1, 8));
      assertThat(c.get(4).heredocs()).isEmpty();
    }

    @Test
    void bodyIsVerbatimAndSpanCoversIt() {
      SyntaxNode n = parse("FROM a\nRUN <<EOF bash\n  # kept \\\n\n\tx\nEOF\nRUN b\n")
          .children().get(1);
      assertThat(n.heredocs()).containsExactly(new Heredoc("EOF", "  # kept \\\n\n\tx\n", true, false, 0));
      assertThat(n.args()).containsExactly("<<EOF bash");
      assertThat(n.span()).isEqualTo(new SourceSpan("Dockerfile", 2, 1, 6));
    }

    @Test
    void terminatorMustMatchExactly() {
      SyntaxNode n = parse("FROM a\nRUN <<EOF\n EOF\nEOF \nEOF\n").children().get(1);
      assertThat(n.heredocs().get(0).content()).isEqualTo(" EOF\nEOF \n");
    }

    @Test
    void unterminatedHeredoc() {
      DockerfileException e = failure("FROM a\nRUN <<EOF\nline\n");
      assertThat(e.primary().message()).isEqualTo("unterminated heredoc");
      assertThat(e.primary().span()).isEqualTo(new SourceSpan("Dockerfile", 2, 1, 3));
      assertThat(failure("FROM a\nCOPY <<A <<B /x\na\nA\nb\n").primary().message())
          .isEqualTo("unterminated heredoc");
    }

    @Test
    void deepNestingNeverExhaustsTheStack() {
      String onbuilds = "ONBUILD \\\n".repeat(64) + "RUN <<EOF\nbody\nEOF\n";
      List<SyntaxNode> c = parse(onbuilds).children();
      assertThat(SyntaxDump.dump(c.get(0))).startsWith("onbuild (onbuild (")
          .endsWith("(run \"<<EOF\")" + ")".repeat(63));
      // heredocs are looked for one ONBUILD deep only, so body and EOF are instructions
      assertThat(c).hasSize(3);
      assertThat(c.get(0).heredocs()).isEmpty();
      // BuildKit's instruction layer rejects any chain; past 64 levels the parser does
      DockerfileException e = failure("ONBUILD \\\n".repeat(50_000) + "RUN x\n");
      assertThat(e.primary().message())
          .isEqualTo("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      assertThat(e.primary().span()).isEqualTo(new SourceSpan("Dockerfile", 1, 1, 50_001));
      String dollars = "RUN <<" + "${a:-\\\n".repeat(100_000) + "x\n";
      assertThat(parse(dollars).children().get(0).heredocs()).isEmpty();
    }

    @Test
    void unbalancedQuoteOnTheLineMeansNoHeredoc() {
      List<SyntaxNode> c = parse("FROM a\nRUN <<'EOF\nRUN b\n").children();
      assertThat(c).hasSize(3);
      assertThat(c.get(1).heredocs()).isEmpty();
    }

    @Test
    void heredocAfterContinuation() {
      SyntaxNode n = parse("FROM a\nRUN --mount=x \\\n  <<EOF cat\nhi\nEOF\n").children().get(1);
      assertThat(n.heredocs()).containsExactly(new Heredoc("EOF", "hi\n", true, false, 0));
      assertThat(n.span()).isEqualTo(new SourceSpan("Dockerfile", 2, 1, 5));
    }

    @Test
    void chompStripsTabsOnlyAndTheTerminatorMayBeIndentedWithTabs() {
      SyntaxNode n = parse("FROM a\nRUN <<-EOF\n\t\tone\n  two\n\t\tEOF\n").children().get(1);
      assertThat(n.heredocs()).containsExactly(new Heredoc("EOF", "one\n  two\n", true, true, 0));
    }
  }
}
