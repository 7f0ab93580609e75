package dev.jbuild.dockerfile.instructions;

import dev.jbuild.dockerfile.SourceSpan;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Optional;

/**
 * Structural equality of IR values that ignores source positions and the parser's warnings, for
 * the parse → print → parse invariant. Returns a description of the first difference.
 */
final class SpanlessEquality {
  private SpanlessEquality() {}

  static Optional<String> difference(Object a, Object b, String path) {
    if (a == null || b == null) {
      return a == b ? Optional.empty() : Optional.of(path + ": " + a + " vs " + b);
    }
    if (a.getClass() != b.getClass()) {
      return Optional.of(path + ": " + a.getClass().getSimpleName() + " vs " + b.getClass().getSimpleName());
    }
    if (a instanceof SourceSpan) {
      return Optional.empty();
    }
    if (a instanceof List) {
      List<?> x = (List<?>) a;
      List<?> y = (List<?>) b;
      if (x.size() != y.size()) {
        return Optional.of(path + ": " + x.size() + " elements vs " + y.size() + ": " + x + " vs " + y);
      }
      for (int i = 0; i < x.size(); i++) {
        Optional<String> d = difference(x.get(i), y.get(i), path + "[" + i + "]");
        if (d.isPresent()) {
          return d;
        }
      }
      return Optional.empty();
    }
    if (a instanceof Optional) {
      Optional<?> x = (Optional<?>) a;
      Optional<?> y = (Optional<?>) b;
      if (x.isPresent() != y.isPresent()) {
        return Optional.of(path + ": " + x + " vs " + y);
      }
      return x.isPresent() ? difference(x.get(), y.get(), path) : Optional.empty();
    }
    if (a.getClass().isRecord()) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        if (c.getName().equals("warnings") || c.getName().equals("file")) {
          continue;
        }
        try {
          Optional<String> d =
              difference(c.getAccessor().invoke(a), c.getAccessor().invoke(b), path + "." + c.getName());
          if (d.isPresent()) {
            return d;
          }
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return Optional.empty();
    }
    return a.equals(b) ? Optional.empty() : Optional.of(path + ": " + a + " vs " + b);
  }
}
