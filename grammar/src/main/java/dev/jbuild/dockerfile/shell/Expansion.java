package dev.jbuild.dockerfile.shell;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The result of expanding one word.
 *
 * @param value the word after expansion and quote removal, without word splitting (BuildKit's
 *     {@code ProcessWord})
 * @param words the same word split on unquoted whitespace after expansion (BuildKit's {@code
 *     ProcessWords}); empty quotes alone give no word
 * @param used the variable names that were referenced and set, in order of first reference
 *     (BuildKit's {@code Matched})
 * @param unset the variable names that were referenced and unset, in order of first reference,
 *     including positional and special parameters such as {@code 1} or {@code @} (BuildKit's
 *     {@code Unmatched}); the {@code UndefinedVar} check reads it
 */
public record Expansion(String value, List<String> words, Set<String> used, Set<String> unset) {

  public Expansion {
    Objects.requireNonNull(value, "value");
    words = List.copyOf(words);
    used = Collections.unmodifiableSet(new LinkedHashSet<>(used));
    unset = Collections.unmodifiableSet(new LinkedHashSet<>(unset));
  }
}
