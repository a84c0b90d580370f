package io.llt.engine.spi;

/** ServiceLoader provider of a data source; listed in {@code META-INF/services/io.llt.engine.spi.DataSourceProvider}. */
public interface DataSourceProvider extends TypedProvider<DataConfig> {}
