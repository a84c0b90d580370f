package io.llt.engine.config;

import io.llt.engine.spi.LocalRuleConfig;
import java.util.List;

/**
 * The network: an ordered chain of blocks.
 *
 * @param input the per-example input shape the model sees; optional; when given it must have as many
 *     values as the data's examples, which it views in this shape (flat features as images)
 * @param rule the default rule of blocks that do not name their own
 * @param blocks the blocks, in order; at least one
 */
public record ModelConfig(List<Long> input, LocalRuleConfig rule, List<BlockConfig> blocks) {
  /** Validates. */
  public ModelConfig {
    Checks.required("blocks", blocks, "a list of blocks, each with layers and a rule");
    Checks.nonEmpty("blocks", blocks);
    blocks = List.copyOf(blocks);
    if (input != null) {
      input = List.copyOf(input);
      for (Long d : input) {
        if (d == null || d <= 0) {
          throw new InvalidValueException("input", "dimensions must be > 0, found " + input);
        }
      }
    }
  }
}
