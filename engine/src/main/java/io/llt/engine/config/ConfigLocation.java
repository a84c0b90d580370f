package io.llt.engine.config;

import java.util.Objects;

/**
 * Where a config value was written: a file position, or a {@code --set} override (line 0).
 *
 * @param source the config file as given by the user, or {@code --set path=value}
 * @param line the 1-based line, or 0 when there is no position
 * @param column the 1-based column, or 0 when there is no position
 */
public record ConfigLocation(String source, int line, int column) {
  /** Checks that the source is set. */
  public ConfigLocation {
    Objects.requireNonNull(source, "source");
  }

  /** Returns {@code source:line:column}, or just the source when there is no position. */
  @Override
  public String toString() {
    return line > 0 ? source + ":" + line + ":" + column : source;
  }
}
