package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;

/** Registers {@link MnistConfig} under the type id {@code mnist}. */
public final class MnistProvider implements DataSourceProvider {
  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public MnistProvider() {}

  /** {@inheritDoc} */
  @Override
  public String id() {
    return MnistConfig.ID;
  }

  /** {@inheritDoc} */
  @Override
  public Class<? extends DataConfig> configType() {
    return MnistConfig.class;
  }

  /** {@inheritDoc} */
  @Override
  public String description() {
    return "MNIST: 28x28 grey handwritten digits, 10 classes, 60000 train / 10000 test (IDX files)";
  }
}
