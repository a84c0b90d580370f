package io.llt.engine.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Loads a YAML config file into an immutable record tree, applying {@code --set} overrides first
 * and reporting every problem at once as a {@link ConfigException}.
 *
 * <p>Binding rules, in short: keys are record component names and unknown keys fail; a component
 * typed by a config family interface (see {@link TypeRegistry#isFamily}) takes a mapping whose
 * {@code type} key picks the registered record; scalars are parsed from their text (so {@code 1e-3}
 * is a number); boxed components left out or set to {@code null} reach the record's canonical
 * constructor as null, which applies its own default or throws {@link InvalidValueException};
 * primitive components are required. Supported component types are String, Integer, Long, Double,
 * Boolean (and their primitives), enums (written in lower-kebab case, {@code ONE_HOT} as {@code
 * one-hot}), {@link Path}, {@code List<X>}, records, families and any class with a public static
 * {@code parse(String)} method (such as {@link java.time.Duration}; written back with {@code
 * toString()}).
 *
 * <p>Thread-safe: every load works on its own state.
 */
public final class ConfigLoader {
  private final TypeRegistry registry;

  /**
   * Creates a loader.
   *
   * @param registry the config families and their type ids
   */
  public ConfigLoader(TypeRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Reads and binds a config file.
   *
   * @param file the YAML file; its path as given appears in every problem
   * @param rootType the root record type
   * @param overrides {@code dotted.path=value} strings from {@code --set}, applied in order; the
   *     value is YAML, so {@code model.input=[784]} sets a list
   * @param <T> the root record type
   * @return the bound config and where each value was written
   * @throws ConfigException with every problem found, including an unreadable file
   */
  public <T extends Record> LoadedConfig<T> load(
      Path file, Class<T> rootType, List<String> overrides) {
    String source = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw fileProblem(
          source,
          "config file not found (working directory: "
              + Path.of("").toAbsolutePath()
              + "); check the path");
    } catch (AccessDeniedException e) {
      throw fileProblem(
          source, "config file is not readable (permission denied); check its permissions");
    } catch (CharacterCodingException e) {
      throw fileProblem(source, "config file is not valid UTF-8 text; save it as UTF-8");
    } catch (IOException e) {
      String why = Files.isDirectory(file) ? "it is a directory" : String.valueOf(e.getMessage());
      throw fileProblem(source, "cannot read config file (" + why + "); pass a readable YAML file");
    }
    return loadString(text, source, rootType, overrides);
  }

  /**
   * Binds YAML text.
   *
   * @param yaml the YAML document
   * @param sourceName the name used in problems, usually the file path
   * @param rootType the root record type
   * @param overrides {@code dotted.path=value} strings from {@code --set}, applied in order
   * @param <T> the root record type
   * @return the bound config and where each value was written
   * @throws ConfigException with every problem found: YAML syntax, overrides, unknown keys, bad
   *     values and the records' own checks
   */
  public <T extends Record> LoadedConfig<T> loadString(
      String yaml, String sourceName, Class<T> rootType, List<String> overrides) {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(sourceName, "sourceName");
    Objects.requireNonNull(rootType, "rootType");
    Objects.requireNonNull(overrides, "overrides");
    List<ConfigProblem> problems = new ArrayList<>();
    YamlTree tree = YamlTree.parse(yaml, sourceName, problems);
    List<YamlTree.Assignment> assignments = new ArrayList<>();
    for (String override : overrides) {
      YamlTree.Assignment a = YamlTree.parseOverride(override, problems);
      if (a != null) {
        assignments.add(a);
      }
    }
    if (tree == null) {
      throw new ConfigException(problems);
    }
    assignments.forEach(a -> tree.apply(a, problems));
    RecordBinder binder = new RecordBinder(registry, tree, problems);
    T config = binder.bindRoot(rootType);
    if (!problems.isEmpty()) {
      throw new ConfigException(sorted(problems, overrides));
    }
    return new LoadedConfig<>(config, sourceName, binder.locations());
  }

  /**
   * Orders problems with a file position by line and column, then those of {@code --set} overrides
   * in the order the overrides were given, then the rest as found.
   */
  private static List<ConfigProblem> sorted(List<ConfigProblem> problems, List<String> overrides) {
    List<String> sources = overrides.stream().map(o -> "--set " + o).toList();
    Comparator<ConfigProblem> order =
        Comparator.comparingInt((ConfigProblem p) -> p.line() == 0 ? Integer.MAX_VALUE : p.line())
            .thenComparingInt(ConfigProblem::column)
            .thenComparingInt(
                p -> sources.contains(p.source()) ? sources.indexOf(p.source()) : sources.size());
    List<ConfigProblem> out = new ArrayList<>(problems);
    out.sort(order);
    return out;
  }

  private static ConfigException fileProblem(String source, String message) {
    return new ConfigException(List.of(new ConfigProblem(source, 0, 0, "", message)));
  }
}
