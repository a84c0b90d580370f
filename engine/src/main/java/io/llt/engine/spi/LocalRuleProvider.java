package io.llt.engine.spi;

/** ServiceLoader provider of a learning rule; listed in {@code META-INF/services/io.llt.engine.spi.LocalRuleProvider}. */
public interface LocalRuleProvider extends TypedProvider<LocalRuleConfig> {}
