package io.llt.engine.spi;

/** ServiceLoader provider of a layer type; listed in {@code META-INF/services/io.llt.engine.spi.LayerProvider}. */
public interface LayerProvider extends TypedProvider<LayerConfig> {}
