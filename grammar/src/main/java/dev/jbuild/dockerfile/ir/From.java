package dev.jbuild.dockerfile.ir;

import dev.jbuild.dockerfile.SourceSpan;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code FROM [--platform=<p>] <image|stage|scratch> [AS <name>]}: the header of a stage.
 *
 * @param image the base name as written (expanded later with global ARGs only)
 * @param platform the {@code --platform} value as written
 * @param name the stage name, lowercased and valid ({@code ^[a-z][a-z0-9-_.]*$})
 */
public record From(SourceSpan span, String image, Optional<String> platform, Optional<String> name)
    implements Instruction {

  /** BuildKit's rule for stage names, applied after lowercasing. */
  public static final Pattern STAGE_NAME = Pattern.compile("^[a-z][a-z0-9-_.]*$");

  public From {
    Objects.requireNonNull(span, "span");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(name, "name");
    name.ifPresent(
        n -> {
          if (!STAGE_NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("invalid stage name " + n);
          }
        });
  }

  @Override
  public String keyword() {
    return "FROM";
  }

  @Override
  public <R> R accept(InstructionVisitor<R> visitor) {
    return visitor.visitFrom(this);
  }
}
