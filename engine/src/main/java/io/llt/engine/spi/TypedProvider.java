package io.llt.engine.spi;

/**
 * A ServiceLoader-registered mapping from a short, stable type id to the config record that
 * implements it.
 *
 * @param <C> the config family (for example {@link LocalRuleConfig})
 */
public interface TypedProvider<C extends TypedConfig> {
  /** Returns the stable lower-kebab id used as {@code type:} in YAML, for example {@code mono-forward}. */
  String id();

  /** Returns the immutable record class bound from YAML for this id. */
  Class<? extends C> configType();

  /** Returns a one-line description for {@code llt list}. */
  String description();
}
