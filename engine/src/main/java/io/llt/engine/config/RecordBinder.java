package io.llt.engine.config;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.TypedConfig;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Binds a {@link YamlTree} to records by reflection, collecting every problem instead of stopping
 * at the first. A record is constructed only when all its components bound; its canonical
 * constructor then validates. Not thread-safe; one per load.
 */
final class RecordBinder {
  /** Returned instead of a value when binding failed (a problem has been added). */
  private static final Object FAILED = new Object();

  private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9][0-9_]*");
  private static final Pattern DECIMAL =
      Pattern.compile("[-+]?([0-9][0-9_]*(\\.[0-9_]*)?|\\.[0-9][0-9_]*)([eE][-+]?[0-9]+)?");
  private static final Pattern NON_FINITE =
      Pattern.compile("[-+]?(\\.?(inf|Inf|INF)|[Ii]nfinity|\\.?(nan|NaN|NAN))");

  private final TypeRegistry registry;
  private final YamlTree tree;
  private final List<ConfigProblem> problems;
  private final Map<String, ConfigLocation> locations = new LinkedHashMap<>();

  RecordBinder(TypeRegistry registry, YamlTree tree, List<ConfigProblem> problems) {
    this.registry = registry;
    this.tree = tree;
    this.problems = problems;
  }

  /** Binds the whole document to {@code rootType}; returns null when there were problems. */
  <T extends Record> T bindRoot(Class<T> rootType) {
    Node root = tree.root();
    Object value = bindRecord(root, tree.locate(root), rootType, "", false);
    return value == FAILED ? null : rootType.cast(value);
  }

  /** Returns the location of every value bound so far, by dotted path. */
  Map<String, ConfigLocation> locations() {
    return locations;
  }

  /** Returns the lower-kebab YAML name of an enum constant: {@code ONE_HOT} is {@code one-hot}. */
  static String kebab(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Binds a non-null node to {@code type}. */
  private Object bind(Node node, ConfigLocation at, Type type, String path) {
    Class<?> raw = rawClass(type, path);
    if (raw == List.class) {
      return bindList(node, at, elementType(type, path), path);
    }
    if (registry.isFamily(raw)) {
      return bindFamily(node, at, raw, path);
    }
    if (raw.isRecord()) {
      return bindRecord(node, at, raw, path, false);
    }
    if (!isScalarType(raw)) {
      throw new IllegalStateException(
          "unsupported config type "
              + raw.getName()
              + " at '"
              + path
              + "'; use String, Integer, Long, Double, Boolean, an enum, Path, List, a record, a"
              + " config family, or a class with a public static parse(String) method");
    }
    if (!(node instanceof ScalarNode scalar)) {
      String found = (raw.isEnum() ? "; found " : ", found ") + YamlTree.describe(node);
      return fail(at, path, "must be " + kind(raw) + found);
    }
    return bindScalar(scalar.getValue(), at, raw, path);
  }

  private Object bindList(Node node, ConfigLocation at, Type elementType, String path) {
    if (!(node instanceof SequenceNode list)) {
      return fail(at, path, "must be a list, found " + YamlTree.describe(node));
    }
    List<Object> out = new ArrayList<>();
    boolean failed = false;
    for (int i = 0; i < list.getValue().size(); i++) {
      Node item = list.getValue().get(i);
      String itemPath = path + "[" + i + "]";
      ConfigLocation itemAt = tree.locate(item);
      locations.put(itemPath, itemAt);
      Object value =
          YamlTree.isNull(item)
              ? fail(itemAt, itemPath, "must not be null")
              : bind(item, itemAt, elementType, itemPath);
      if (value == FAILED) {
        failed = true;
      } else {
        out.add(value);
      }
    }
    return failed ? FAILED : List.copyOf(out);
  }

  private Object bindFamily(Node node, ConfigLocation at, Class<?> family, String path) {
    String noun = noun(family);
    String known = "; known: " + orNone(registry.ids(family));
    if (!(node instanceof MappingNode map)) {
      return fail(
          at,
          path,
          "must be a mapping with a 'type' key naming the "
              + noun
              + ", found "
              + YamlTree.describe(node)
              + known);
    }
    String typePath = path + ".type";
    NodeTuple type = entry(map, "type");
    if (type == null || YamlTree.isNull(type.getValueNode())) {
      return fail(at, typePath, "is required to choose the " + noun + known);
    }
    ConfigLocation typeAt = tree.locateEntry(type.getKeyNode(), type.getValueNode());
    locations.put(typePath, typeAt);
    if (!(type.getValueNode() instanceof ScalarNode id)) {
      return fail(
          typeAt,
          typePath,
          "must name a " + noun + ", found " + YamlTree.describe(type.getValueNode()) + known);
    }
    Optional<Class<? extends TypedConfig>> configType = registry.configType(family, id.getValue());
    if (configType.isEmpty()) {
      return fail(typeAt, typePath, "'" + id.getValue() + "' is not a registered " + noun + known);
    }
    Class<?> recordType = configType.get();
    if (!recordType.isRecord()) {
      throw new IllegalStateException(
          "config type " + recordType.getName() + " of '" + id.getValue() + "' is not a record");
    }
    return bindRecord(node, at, recordType, path, true);
  }

  /**
   * Binds a mapping to a record. A typed record ({@link TypedConfig}) accepts a {@code type} key;
   * when {@code typeChecked} is false (the record is declared directly, not through its family), a
   * {@code type} given must be the record's own id.
   */
  private Object bindRecord(
      Node node, ConfigLocation at, Class<?> recordType, String path, boolean typeChecked) {
    if (!(node instanceof MappingNode map)) {
      return fail(at, path, "must be a mapping, found " + YamlTree.describe(node));
    }
    boolean typed = TypedConfig.class.isAssignableFrom(recordType);
    RecordComponent[] components = recordType.getRecordComponents();
    List<String> known = new ArrayList<>();
    if (typed) {
      known.add("type");
    }
    Arrays.stream(components).map(RecordComponent::getName).forEach(known::add);

    boolean failed = false;
    Map<String, NodeTuple> entries = new HashMap<>();
    Set<String> suggested = new HashSet<>();
    for (NodeTuple t : map.getValue()) {
      Node keyNode = t.getKeyNode();
      ConfigLocation keyAt = tree.locate(keyNode);
      if (!(keyNode instanceof ScalarNode k) || YamlTree.isNull(keyNode)) {
        failed = true;
        fail(keyAt, path, "keys must be names, found " + YamlTree.describe(keyNode));
        continue;
      }
      String key = k.getValue();
      String keyPath = YamlTree.join(path, key);
      NodeTuple first = entries.putIfAbsent(key, t);
      if (first != null) {
        int line = tree.locate(first.getKeyNode()).line();
        failed = true;
        fail(
            keyAt,
            keyPath,
            "duplicate key '" + key + "'" + (line > 0 ? " (first set at line " + line + ")" : ""));
      } else if (!known.contains(key)) {
        String suggestion = suggest(key, known);
        suggested.add(suggestion);
        failed = true;
        fail(keyAt, keyPath, unknownKey(key, suggestion, known));
      }
    }
    if (typed && !typeChecked && entries.containsKey("type")) {
      failed |= !checkOwnType(entries.get("type"), recordType, path);
    }

    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      String componentPath = YamlTree.join(path, c.getName());
      NodeTuple t = entries.get(c.getName());
      Node value = t == null ? null : t.getValueNode();
      ConfigLocation componentAt = t == null ? at : tree.locateEntry(t.getKeyNode(), value);
      if (t != null) {
        locations.put(componentPath, componentAt);
      }
      if (value == null || YamlTree.isNull(value)) {
        if (c.getType().isPrimitive()) {
          failed = true;
          if (!suggested.contains(c.getName())) { // else a misspelt key already names it
            fail(componentAt, componentPath, "is required");
          }
        }
        continue;
      }
      Object bound = bind(value, componentAt, c.getGenericType(), componentPath);
      if (bound == FAILED) {
        failed = true;
      } else {
        args[i] = bound;
      }
    }
    return failed ? FAILED : construct(recordType, components, args, at, path);
  }

  private Object construct(
      Class<?> recordType,
      RecordComponent[] components,
      Object[] args,
      ConfigLocation at,
      String path) {
    Class<?>[] types =
        Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
    Constructor<?> ctor;
    try {
      ctor = recordType.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          "record " + recordType.getName() + " has no canonical constructor", e);
    }
    ctor.trySetAccessible();
    try {
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InvalidValueException invalid) {
        String component = invalid.component();
        String problemPath = component.isEmpty() ? path : YamlTree.join(path, component);
        ConfigLocation written = LoadedConfig.nearest(locations, problemPath);
        ConfigLocation problemAt = component.isEmpty() || written == null ? at : written;
        return fail(problemAt, problemPath, message(invalid));
      }
      if (cause instanceof IllegalArgumentException invalid) {
        return fail(at, path, message(invalid));
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(
          "constructor of " + recordType.getName() + " failed for '" + path + "': " + cause, cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + recordType.getName(), e);
    }
  }

  private Object bindScalar(String text, ConfigLocation at, Class<?> type, String path) {
    if (type == String.class) {
      return text;
    }
    if (type == Integer.class || type == int.class) {
      Long value = parseInteger(text, Integer.MIN_VALUE, Integer.MAX_VALUE, at, path);
      return value == null ? FAILED : (Object) value.intValue();
    }
    if (type == Long.class || type == long.class) {
      Long value = parseInteger(text, Long.MIN_VALUE, Long.MAX_VALUE, at, path);
      return value == null ? FAILED : value;
    }
    if (type == Double.class || type == double.class) {
      return parseDouble(text, at, path);
    }
    if (type == Boolean.class || type == boolean.class) {
      if (text.equals("true") || text.equals("false")) {
        return Boolean.valueOf(text);
      }
      return fail(at, path, "must be true or false, found '" + text + "'");
    }
    if (type.isEnum()) {
      for (Object constant : type.getEnumConstants()) {
        if (kebab((Enum<?>) constant).equals(text)) {
          return constant;
        }
      }
      return fail(at, path, "must be " + kind(type) + "; found '" + text + "'");
    }
    if (type == Path.class) {
      try {
        return Path.of(text);
      } catch (InvalidPathException e) {
        return fail(at, path, "is not a valid path (" + e.getReason() + "), found '" + text + "'");
      }
    }
    Method parse = parseMethod(type);
    try {
      return parse.invoke(null, text);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        String why = cause.getMessage() == null ? "" : " (" + oneLine(cause.getMessage()) + ")";
        return fail(
            at, path, "is not a valid " + type.getSimpleName() + why + ", found '" + text + "'");
      }
      throw new IllegalStateException("parse of " + type.getName() + " failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot call " + parse, e);
    }
  }

  private Long parseInteger(String text, long min, long max, ConfigLocation at, String path) {
    if (INTEGER.matcher(text).matches()) {
      try {
        long value = Long.parseLong(text.replace("_", ""));
        if (value >= min && value <= max) {
          return value;
        }
      } catch (NumberFormatException e) {
        // out of range for a long; reported below
      }
      fail(at, path, "must be an integer in [" + min + ", " + max + "], found " + text);
      return null;
    }
    fail(at, path, "must be an integer, found '" + text + "'");
    return null;
  }

  private Object parseDouble(String text, ConfigLocation at, String path) {
    if (NON_FINITE.matcher(text).matches()) {
      return fail(at, path, "must be a finite number, found " + text);
    }
    if (!DECIMAL.matcher(text).matches()) {
      return fail(at, path, "must be a number, found '" + text + "'");
    }
    double value = Double.parseDouble(text.replace("_", ""));
    if (Double.isInfinite(value)) {
      return fail(at, path, "must be a finite number, found " + text);
    }
    return value;
  }

  /** Checks that a {@code type} key on a directly declared typed record names that record. */
  private boolean checkOwnType(NodeTuple type, Class<?> recordType, String path) {
    String typePath = path.isEmpty() ? "type" : path + ".type";
    ConfigLocation typeAt = tree.locateEntry(type.getKeyNode(), type.getValueNode());
    locations.put(typePath, typeAt);
    String own = ownId(recordType);
    Node value = type.getValueNode();
    if (own == null || (value instanceof ScalarNode s && s.getValue().equals(own))) {
      return true;
    }
    fail(typeAt, typePath, "must be '" + own + "' here, found " + YamlTree.describe(value));
    return false;
  }

  /**
   * Returns the id under which {@code recordType} is registered in one of its families, or null.
   */
  private String ownId(Class<?> recordType) {
    for (Class<?> family : recordType.getInterfaces()) {
      if (registry.isFamily(family)) {
        for (String id : registry.ids(family)) {
          if (registry.configType(family, id).orElse(null) == recordType) {
            return id;
          }
        }
      }
    }
    return null;
  }

  private Object fail(ConfigLocation at, String path, String message) {
    problems.add(ConfigProblem.at(at, path, message));
    return FAILED;
  }

  private static NodeTuple entry(MappingNode map, String key) {
    for (NodeTuple t : map.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
        return t;
      }
    }
    return null;
  }

  /** Returns the known key closest to {@code key} (case or at most two edits away), or null. */
  static String suggest(String key, List<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = candidate.equalsIgnoreCase(key) ? 0 : levenshtein(key, candidate);
      if (d <= 2 && d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best;
  }

  /**
   * Returns {@code unknown key 'x'; did you mean 'y'? (known: a, b)}; no question if no suggestion.
   */
  static String unknownKey(String key, String suggestion, List<String> known) {
    return "unknown key '"
        + key
        + "'"
        + (suggestion == null ? " " : "; did you mean '" + suggestion + "'? ")
        + "(known: "
        + orNone(known)
        + ")";
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] swap = prev;
      prev = cur;
      cur = swap;
    }
    return prev[b.length()];
  }

  /** Returns the word used for a family in messages: {@code rule}, {@code layer}, ... */
  static String noun(Class<?> family) {
    if (family == LocalRuleConfig.class) {
      return "rule";
    }
    if (family == LayerConfig.class) {
      return "layer";
    }
    if (family == DataConfig.class) {
      return "data source";
    }
    return family.getSimpleName();
  }

  private static String kind(Class<?> type) {
    if (type == String.class) {
      return "a string";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Double.class || type == double.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type.isEnum()) {
      return "one of "
          + Arrays.stream(type.getEnumConstants())
              .map(c -> kebab((Enum<?>) c))
              .collect(Collectors.joining(", "));
    }
    if (type == Path.class) {
      return "a path";
    }
    return "a " + type.getSimpleName();
  }

  private static boolean isScalarType(Class<?> type) {
    return type == String.class
        || type == Integer.class
        || type == int.class
        || type == Long.class
        || type == long.class
        || type == Double.class
        || type == double.class
        || type == Boolean.class
        || type == boolean.class
        || type.isEnum()
        || type == Path.class
        || parseMethod(type) != null;
  }

  private static Method parseMethod(Class<?> type) {
    for (Class<?> arg : List.of(String.class, CharSequence.class)) {
      try {
        Method m = type.getMethod("parse", arg);
        if (Modifier.isStatic(m.getModifiers()) && type.isAssignableFrom(m.getReturnType())) {
          return m;
        }
      } catch (NoSuchMethodException e) {
        // try the next signature
      }
    }
    return null;
  }

  private static Class<?> rawClass(Type type, String path) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    if (type instanceof WildcardType w) {
      return rawClass(w.getUpperBounds()[0], path);
    }
    throw new IllegalStateException("unsupported config type " + type + " at '" + path + "'");
  }

  private static Type elementType(Type listType, String path) {
    if (listType instanceof ParameterizedType p) {
      Type arg = p.getActualTypeArguments()[0];
      return arg instanceof WildcardType w ? w.getUpperBounds()[0] : arg;
    }
    throw new IllegalStateException("raw List at '" + path + "'; declare its element type");
  }

  private static String message(IllegalArgumentException e) {
    return e.getMessage() == null
        ? "is invalid (" + e.getClass().getSimpleName() + ")"
        : oneLine(e.getMessage());
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  private static String orNone(List<String> names) {
    return names.isEmpty() ? "(none)" : String.join(", ", names);
  }
}
