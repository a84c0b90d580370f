package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;

/** Registers {@link FashionMnistConfig} under the type id {@code fashion-mnist}. */
public final class FashionMnistProvider implements DataSourceProvider {
  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public FashionMnistProvider() {}

  /** {@inheritDoc} */
  @Override
  public String id() {
    return FashionMnistConfig.ID;
  }

  /** {@inheritDoc} */
  @Override
  public Class<? extends DataConfig> configType() {
    return FashionMnistConfig.class;
  }

  /** {@inheritDoc} */
  @Override
  public String description() {
    return "Fashion-MNIST: 28x28 grey clothing images, 10 classes, 60000 train / 10000 test (IDX"
        + " files)";
  }
}
