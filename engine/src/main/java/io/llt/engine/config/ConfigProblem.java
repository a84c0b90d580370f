package io.llt.engine.config;

import java.util.Objects;

/**
 * One problem found in a config file or a {@code --set} override, reported to the user as one line.
 *
 * <p>The line reads {@code source:line:column path message}, for example {@code configs/x.yaml:14:7
 * model.blocks[2].rule.learningRate must be > 0, found -0.01}. When there is no position (line 0,
 * for example a problem in a {@code --set} override or an unreadable file) the position is left
 * out: {@code source path message}. When the problem concerns no key (empty path), the path is left
 * out too, and a position-less line reads {@code source: message}.
 *
 * @param source the config file as given by the user, or {@code --set path=value} for a problem in
 *     an override
 * @param line the 1-based line, or 0 when there is no position
 * @param column the 1-based column, or 0 when there is no position
 * @param path the dotted path from the root record, with list indices in brackets (for example
 *     {@code model.blocks[2].units}), or an empty string when the problem concerns no key
 * @param message the rule and the bad value, and a fix or the alternatives where there are any
 */
public record ConfigProblem(String source, int line, int column, String path, String message) {
  /** Checks that the texts are set and the position is not negative. */
  public ConfigProblem {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
    if (line < 0 || column < 0) {
      throw new IllegalArgumentException(
          "line and column must be >= 0, found " + line + ":" + column);
    }
  }

  /** Creates a problem at {@code location}. */
  static ConfigProblem at(ConfigLocation location, String path, String message) {
    return new ConfigProblem(location.source(), location.line(), location.column(), path, message);
  }

  /** Returns the problem as the single line shown to the user. */
  @Override
  public String toString() {
    String where = line > 0 ? source + ":" + line + ":" + column : source;
    if (path.isEmpty()) {
      return where + (line > 0 ? " " : ": ") + message;
    }
    return where + " " + path + " " + message;
  }
}
