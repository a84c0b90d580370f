package io.llt.engine.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;

/**
 * Builds a config record with every component absent, so that its compact constructor applies the
 * record's own defaults: the same single place that fills defaults when YAML omits a key.
 */
public final class ConfigDefaults {
  private ConfigDefaults() {}

  /**
   * Returns the record built from its defaults.
   *
   * @throws IllegalArgumentException when the record has required components
   */
  public static <R extends Record> R of(Class<R> type) {
    RecordComponent[] comps = type.getRecordComponents();
    Class<?>[] types = new Class<?>[comps.length];
    Object[] args = new Object[comps.length];
    for (int i = 0; i < comps.length; i++) {
      types[i] = comps[i].getType();
      if (types[i].isPrimitive()) {
        throw new IllegalArgumentException(
            type.getSimpleName() + "." + comps[i].getName() + " has no default");
      }
    }
    try {
      Constructor<R> c = type.getDeclaredConstructor(types);
      return c.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException(cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build defaults of " + type.getName(), e);
    }
  }
}
