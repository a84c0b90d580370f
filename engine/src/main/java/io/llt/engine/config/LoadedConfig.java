package io.llt.engine.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A bound, validated config together with where each of its values was written, so that checks made
 * after binding (for example graph validation) can report the right file line.
 *
 * @param config the root config record
 * @param source the config file as given by the user
 * @param locations the location of every value present in the YAML (after overrides), keyed by
 *     dotted path such as {@code model.blocks[1].rule.learningRate}; in document order
 * @param <T> the root record type
 */
public record LoadedConfig<T>(T config, String source, Map<String, ConfigLocation> locations) {
  /** Checks that every part is set and freezes the locations. */
  public LoadedConfig {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(source, "source");
    locations = Collections.unmodifiableMap(new LinkedHashMap<>(locations));
  }

  /**
   * Creates a problem located at the value that {@code path} names, or at its nearest written
   * ancestor.
   *
   * <p>For example, {@code model.blocks[1].layers[0].units} is located at the {@code units} value
   * when the file sets it, else at {@code layers[0]}, and so on up; when no prefix was written, the
   * problem names only the source (line 0).
   *
   * @param path the dotted path of the offending value
   * @param message the rule and the bad value, for example {@code must be > 0, found -1}
   * @return the problem, ready for a {@link ConfigException}
   */
  public ConfigProblem problemAt(String path, String message) {
    ConfigLocation at = nearest(locations, path);
    return at == null
        ? new ConfigProblem(source, 0, 0, path, message)
        : ConfigProblem.at(at, path, message);
  }

  /** Returns the location of {@code path} or of its longest written prefix, or null if none. */
  static ConfigLocation nearest(Map<String, ConfigLocation> locations, String path) {
    for (String p = path; !p.isEmpty(); p = parent(p)) {
      ConfigLocation at = locations.get(p);
      if (at != null) {
        return at;
      }
    }
    return null;
  }

  private static String parent(String path) {
    int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    return cut < 0 ? "" : path.substring(0, cut);
  }
}
