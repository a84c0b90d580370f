package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;

/** Registers {@link Cifar10Config} under the type id {@code cifar10}. */
public final class Cifar10Provider implements DataSourceProvider {
  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public Cifar10Provider() {}

  /** {@inheritDoc} */
  @Override
  public String id() {
    return Cifar10Config.ID;
  }

  /** {@inheritDoc} */
  @Override
  public Class<? extends DataConfig> configType() {
    return Cifar10Config.class;
  }

  /** {@inheritDoc} */
  @Override
  public String description() {
    return "CIFAR-10: 32x32 colour images, 10 classes, 50000 train / 10000 test (binary version,"
        + " never downloaded)";
  }
}
