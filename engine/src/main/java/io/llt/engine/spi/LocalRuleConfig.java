package io.llt.engine.spi;

/**
 * Immutable, validated config of a learning rule, bound from a {@code rule:} node by its {@code
 * type:} id. Implementations are records that validate in their compact constructor.
 */
public interface LocalRuleConfig extends TypedConfig {
  /** Builds the (stateless) rule; one instance may serve many blocks. */
  LocalRule build();
}
