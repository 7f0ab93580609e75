package dev.jbuild.dockerfile.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** BuildKit's TestParseHeredocHelpers and TestHeredocsFromLine (parser_heredoc_test.go). */
class HeredocStartsTest {

  @Test
  void validOpeners() throws LineSyntaxException {
    for (String s : List.of("<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"",
        "<<EO\"F\"", "<< EOF", "<<- EOF")) {
      HeredocStarts.Start start = HeredocStarts.parse(s);
      assertThat(start).as(s).isNotNull();
      assertThat(start.name()).as(s).isEqualTo("EOF");
      assertThat(start.expand()).as(s).isEqualTo(s.indexOf('\'') < 0 && s.indexOf('"') < 0);
      assertThat(start.chomp()).as(s).isEqualTo(s.startsWith("<<-"));
    }
  }

  @Test
  void unbalancedQuotesAreErrors() {
    for (String s : List.of("<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\"")) {
      assertThatThrownBy(() -> HeredocStarts.parse(s)).as(s)
          .isInstanceOf(LineSyntaxException.class)
          .hasMessageStartingWith("failed to process ")
          .hasMessageContaining("unexpected end of statement while looking for matching");
    }
  }

  @Test
  void notOpeners() throws LineSyntaxException {
    for (String s : List.of("", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh")) {
      assertThat(HeredocStarts.parse(s)).as(s).isNull();
    }
  }

  @Test
  void fileDescriptor() throws LineSyntaxException {
    assertThat(HeredocStarts.parse("3<<EOF").fileDescriptor()).isEqualTo(3);
    assertThat(HeredocStarts.parse("<<EOF").fileDescriptor()).isZero();
  }

  @Test
  void namesFromLines() throws LineSyntaxException {
    assertThat(names("RUN <<EOF")).containsExactly("EOF");
    assertThat(names("RUN <<-EOF")).containsExactly("EOF");
    assertThat(names("RUN << -EOF")).containsExactly("-EOF");
    assertThat(names("RUN <<'EOF'")).containsExactly("EOF");
    assertThat(names("RUN 4<<EOF")).containsExactly("EOF");
    assertThat(names("RUN <<EOF <<EOF2")).containsExactly("EOF", "EOF2");
    assertThat(names("RUN <<  EOF  > foo")).containsExactly("EOF");
    assertThat(names("RUN '<<EOF'")).isEmpty();
    assertThat(names("RUN \"<<EOF\"")).isEmpty();
    assertThat(names("RUN <<$EOF ${X:-a b}")).containsExactly("$EOF");
    // the line lexer swallows only blanks after <<, so the dash must touch it
    assertThat(names("RUN <<- EOF")).isEmpty();
  }

  private static List<String> names(String line) throws LineSyntaxException {
    return HeredocStarts.fromLine(line).stream().map(HeredocStarts.Start::name)
        .collect(Collectors.toList());
  }
}
