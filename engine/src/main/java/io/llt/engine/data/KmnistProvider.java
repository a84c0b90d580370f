package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;

/** Registers {@link KmnistConfig} under the type id {@code kmnist}. */
public final class KmnistProvider implements DataSourceProvider {
  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public KmnistProvider() {}

  /** {@inheritDoc} */
  @Override
  public String id() {
    return KmnistConfig.ID;
  }

  /** {@inheritDoc} */
  @Override
  public Class<? extends DataConfig> configType() {
    return KmnistConfig.class;
  }

  /** {@inheritDoc} */
  @Override
  public String description() {
    return "Kuzushiji-MNIST: 28x28 grey cursive Japanese characters, 10 classes, 60000 train /"
        + " 10000 test (IDX files)";
  }
}
