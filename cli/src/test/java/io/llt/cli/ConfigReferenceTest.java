package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LrScheduleConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.TypedProvider;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/config-reference.md names every registered type and every config key the code accepts. */
class ConfigReferenceTest {
  @Test
  void everyTypeAndKeyIsDocumented() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "config-reference.md"));
    TypeRegistry registry = TypeRegistry.load();
    List<String> missing = new ArrayList<>();
    for (Class<?> family : List.of(LocalRuleConfig.class, LayerConfig.class, DataConfig.class)) {
      for (TypedProvider<?> p : registry.providers(family)) {
        if (!doc.contains("`" + p.id() + "`")) {
          missing.add("type " + p.id());
        }
        keys(p.configType(), doc, missing);
      }
    }
    for (Class<?> c :
        List.of(ExperimentConfig.class, ModelConfig.class, BlockConfig.class, TrainerConfig.class,
            OptimizerConfig.class, LrScheduleConfig.class, io.llt.engine.config.MemoryConfig.class)) {
      keys(c, doc, missing);
    }
    assertThat(missing).as("missing from docs/config-reference.md").isEmpty();
  }

  private static void keys(Class<?> record, String doc, List<String> missing) {
    for (RecordComponent rc : record.getRecordComponents()) {
      if (!doc.contains("`" + rc.getName() + "`") && !doc.contains("." + rc.getName() + "`")) {
        missing.add(record.getSimpleName() + "." + rc.getName());
      }
    }
  }
}
