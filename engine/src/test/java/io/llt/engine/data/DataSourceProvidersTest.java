package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.TypeRegistry;
import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.DataSourceProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class DataSourceProvidersTest {
  @Test
  void everyDataSourceIsRegisteredUnderItsId() {
    TypeRegistry registry = TypeRegistry.load();
    assertThat(registry.ids(DataConfig.class))
        .contains("cifar10", "fashion-mnist", "kmnist", "mnist", "synthetic");
    assertThat(registry.configType(DataConfig.class, "fashion-mnist"))
        .contains(FashionMnistConfig.class);
    assertThat(registry.configType(DataConfig.class, "mnist")).contains(MnistConfig.class);
    assertThat(registry.configType(DataConfig.class, "kmnist")).contains(KmnistConfig.class);
    assertThat(registry.configType(DataConfig.class, "synthetic")).contains(SyntheticConfig.class);
    assertThat(registry.configType(DataConfig.class, "cifar10")).contains(Cifar10Config.class);
    assertThat(registry.idOf(Cifar10Config.defaults())).isEqualTo("cifar10");
    assertThat(registry.idOf(SyntheticConfig.defaults())).isEqualTo("synthetic");
    assertThat(registry.idOf(KmnistConfig.defaults())).isEqualTo("kmnist");
  }

  @Test
  void descriptionsAreOneLine() {
    for (DataSourceProvider p : ServiceLoader.load(DataSourceProvider.class)) {
      assertThat(p.description()).isNotBlank().doesNotContain("\n");
    }
  }
}
