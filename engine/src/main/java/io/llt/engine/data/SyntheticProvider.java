package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;

/** Registers {@link SyntheticConfig} under the type id {@code synthetic}. */
public final class SyntheticProvider implements DataSourceProvider {
  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public SyntheticProvider() {}

  /** {@inheritDoc} */
  @Override
  public String id() {
    return SyntheticConfig.ID;
  }

  /** {@inheritDoc} */
  @Override
  public Class<? extends DataConfig> configType() {
    return SyntheticConfig.class;
  }

  /** {@inheritDoc} */
  @Override
  public String description() {
    return "seeded Gaussian clusters (no files), for tests and smoke runs";
  }
}
