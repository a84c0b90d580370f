package io.llt.engine.config;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.TypedConfig;
import io.llt.engine.spi.TypedProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of polymorphic config families ({@code rule:}, {@code layers:}, {@code data:}) and
 * the ids their providers register. Loaded once from {@link ServiceLoader}; fails on a duplicate
 * id, naming both classes. Immutable after construction and thread-safe.
 */
public final class TypeRegistry {
  private final Map<Class<? extends TypedConfig>, Map<String, TypedProvider<?>>> families;

  private TypeRegistry(Map<Class<? extends TypedConfig>, Map<String, TypedProvider<?>>> families) {
    this.families = families;
  }

  /** Loads every rule, layer and data-source provider on the class path. */
  public static TypeRegistry load() {
    Builder b = builder();
    ServiceLoader.load(LocalRuleProvider.class).forEach(p -> b.register(LocalRuleConfig.class, p));
    ServiceLoader.load(LayerProvider.class).forEach(p -> b.register(LayerConfig.class, p));
    ServiceLoader.load(DataSourceProvider.class).forEach(p -> b.register(DataConfig.class, p));
    return b.build();
  }

  /** Returns a builder for registries assembled by hand (tests). */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns true when {@code type} is a registered polymorphic family interface. */
  public boolean isFamily(Class<?> type) {
    return families.containsKey(type);
  }

  /** Returns the config record registered under {@code id} in {@code family}. */
  public Optional<Class<? extends TypedConfig>> configType(Class<?> family, String id) {
    Map<String, TypedProvider<?>> m = families.get(family);
    if (m == null || !m.containsKey(id)) {
      return Optional.empty();
    }
    @SuppressWarnings("unchecked")
    Class<? extends TypedConfig> c = (Class<? extends TypedConfig>) m.get(id).configType();
    return Optional.of(c);
  }

  /** Returns the ids registered in {@code family}, sorted. */
  public List<String> ids(Class<?> family) {
    Map<String, TypedProvider<?>> m = families.get(family);
    return m == null ? List.of() : List.copyOf(new TreeMap<>(m).keySet());
  }

  /** Returns the providers registered in {@code family}, sorted by id. */
  public List<TypedProvider<?>> providers(Class<?> family) {
    Map<String, TypedProvider<?>> m = families.get(family);
    return m == null ? List.of() : List.copyOf(new TreeMap<>(m).values());
  }

  /** Returns the id under which the class of {@code config} is registered. */
  public String idOf(TypedConfig config) {
    for (Map<String, TypedProvider<?>> m : families.values()) {
      for (TypedProvider<?> p : m.values()) {
        if (p.configType() == config.getClass()) {
          return p.id();
        }
      }
    }
    throw new IllegalStateException("no provider registers " + config.getClass().getName());
  }

  /** Collects providers; {@link #build()} fails on duplicate ids within a family. */
  public static final class Builder {
    private final Map<Class<? extends TypedConfig>, Map<String, TypedProvider<?>>> families =
        new LinkedHashMap<>();
    private final List<String> duplicates = new ArrayList<>();

    private Builder() {
      families.put(LocalRuleConfig.class, new LinkedHashMap<>());
      families.put(LayerConfig.class, new LinkedHashMap<>());
      families.put(DataConfig.class, new LinkedHashMap<>());
    }

    /** Registers {@code provider} in {@code family}. */
    public <F extends TypedConfig> Builder register(
        Class<F> family, TypedProvider<? extends F> provider) {
      Map<String, TypedProvider<?>> m = families.computeIfAbsent(family, k -> new LinkedHashMap<>());
      TypedProvider<?> prev = m.putIfAbsent(provider.id(), provider);
      if (prev != null) {
        duplicates.add(
            "type id '"
                + provider.id()
                + "' is registered twice: "
                + prev.getClass().getName()
                + " and "
                + provider.getClass().getName());
      }
      return this;
    }

    /** Builds the registry. */
    public TypeRegistry build() {
      if (!duplicates.isEmpty()) {
        throw new IllegalStateException(String.join("; ", duplicates));
      }
      Map<Class<? extends TypedConfig>, Map<String, TypedProvider<?>>> copy = new LinkedHashMap<>();
      families.forEach((k, v) -> copy.put(k, Collections.unmodifiableMap(new LinkedHashMap<>(v))));
      return new TypeRegistry(Collections.unmodifiableMap(copy));
    }
  }
}
