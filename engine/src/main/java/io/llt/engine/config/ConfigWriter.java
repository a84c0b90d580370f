package io.llt.engine.config;

import io.llt.engine.spi.TypedConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Writes a resolved config (defaults included) back to YAML, for run directories and reports.
 * Loading the output with {@link ConfigLoader} gives a record equal to the input.
 *
 * <p>Typed configs ({@link TypedConfig}) get their registered id as a {@code type} key first; null
 * components are left out; enums are written in lower-kebab case; paths and values of other classes
 * as their {@code toString()}. Thread-safe.
 */
public final class ConfigWriter {
  private final TypeRegistry registry;

  /**
   * Creates a writer.
   *
   * @param registry the config families, used to write each typed config's {@code type} id
   */
  public ConfigWriter(TypeRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Returns {@code config} as block-style YAML.
   *
   * @param config the config record
   * @return the YAML text, ending with a line break
   * @throws IllegalStateException when a typed config's class is not registered
   */
  public String toYaml(Record config) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setIndicatorIndent(2);
    options.setIndentWithIndicator(true);
    options.setSplitLines(false);
    return new Yaml(options).dump(toMap(config));
  }

  /**
   * Returns {@code config} as nested maps and lists of plain values, in component order.
   *
   * @param config the config record
   * @return a {@link LinkedHashMap}; nested records are maps, lists are lists
   * @throws IllegalStateException when a typed config's class is not registered
   */
  public Map<String, Object> toMap(Record config) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (config instanceof TypedConfig typed) {
      out.put("type", registry.idOf(typed));
    }
    for (RecordComponent c : config.getClass().getRecordComponents()) {
      Object value = read(c, config);
      if (value != null) {
        out.put(c.getName(), plain(value));
      }
    }
    return out;
  }

  private Object plain(Object value) {
    if (value instanceof Record r) {
      return toMap(r);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(item -> out.add(item == null ? null : plain(item)));
      return out;
    }
    if (value instanceof Enum<?> e) {
      return RecordBinder.kebab(e);
    }
    if (value instanceof String
        || value instanceof Integer
        || value instanceof Long
        || value instanceof Double
        || value instanceof Boolean) {
      return value;
    }
    return value.toString();
  }

  private static Object read(RecordComponent component, Record config) {
    Method accessor = component.getAccessor();
    accessor.trySetAccessible();
    try {
      return accessor.invoke(config);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("accessor " + accessor + " failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read " + accessor, e);
    }
  }
}
