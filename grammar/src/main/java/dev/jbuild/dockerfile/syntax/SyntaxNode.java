package dev.jbuild.dockerfile.syntax;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One instruction as BuildKit's line parser sees it (its {@code parser.Node}): no expansion,
 * no quote removal, no validation. The instruction layer turns these into the typed IR.
 *
 * @param keyword the instruction keyword, lowercased ({@code run})
 * @param keywordAsWritten the keyword as the user wrote it ({@code Run}), for casing checks
 * @param original the whole logical line after continuation joining, as BuildKit's
 *     {@code Node.Original}
 * @param flags the leading {@code --flag[=value]} words, quotes removed (bare {@code --}
 *     dropped)
 * @param args the arguments in the shape of the instruction's parse function (ENV and LABEL
 *     as key, value, separator triples; an unknown keyword has the single empty argument of
 *     BuildKit's {@code parseIgnore})
 * @param json exec (JSON) form
 * @param nested the instruction after ONBUILD
 * @param heredocs here-documents, in order (for ONBUILD, those of the nested instruction,
 *     listed on both nodes)
 * @param comments the comment lines right before the instruction ({@code PrevComment}), without
 *     the {@code #}
 * @param span where it stands; startColumn is the column of the keyword
 */
public record SyntaxNode(
    String keyword,
    String keywordAsWritten,
    String original,
    List<String> flags,
    List<String> args,
    boolean json,
    Optional<SyntaxNode> nested,
    List<Heredoc> heredocs,
    List<String> comments,
    SourceSpan span) {

  public SyntaxNode {
    Objects.requireNonNull(keyword, "keyword");
    Objects.requireNonNull(keywordAsWritten, "keywordAsWritten");
    Objects.requireNonNull(original, "original");
    flags = List.copyOf(flags);
    args = List.copyOf(args);
    Objects.requireNonNull(nested, "nested");
    heredocs = List.copyOf(heredocs);
    comments = List.copyOf(comments);
    Objects.requireNonNull(span, "span");
  }
}
