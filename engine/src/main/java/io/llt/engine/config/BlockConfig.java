package io.llt.engine.config;

import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import java.util.List;

/**
 * One block: a group of layers trained by one local rule with its own optimizer state.
 *
 * @param id a unique id used in messages, metrics and reports; default {@code b<n>} (n from 1)
 * @param layers the layers, in order; at least one
 * @param rule the block's learning rule; default {@code model.rule}
 * @param optimizer the block's optimizer settings; default {@code trainer.optimizer}
 */
public record BlockConfig(
    String id, List<LayerConfig> layers, LocalRuleConfig rule, OptimizerConfig optimizer) {
  /** Validates. */
  public BlockConfig {
    Checks.required("layers", layers, "a list of layers, for example [{type: dense, units: 1000}]");
    Checks.nonEmpty("layers", layers);
    layers = List.copyOf(layers);
    if (id != null && !id.matches("[A-Za-z0-9_.-]+")) {
      throw new InvalidValueException(
          "id", "must use letters, digits, '_', '.' or '-', found '" + id + "'");
    }
  }
}
