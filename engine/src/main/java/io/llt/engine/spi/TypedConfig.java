package io.llt.engine.spi;

/**
 * Marker for a config family whose concrete record is chosen by a {@code type:} key in YAML
 * (rules, layers, data sources). The key is a short stable id registered by a {@link
 * TypedProvider}; class names never appear in YAML or in saved files.
 */
public interface TypedConfig {}
